"""`make bench`: the app under gunicorn (2 workers) against a bare Flask endpoint, at 10k and 1M bookings.

`--db postgresql` (or BENCH_DB=postgresql make bench) runs it on PostgreSQL: `make` starts a throwaway server on
loopback (scripts/with-postgres, as for make test-pg) and the databases are made in it.

In one run on one machine: loads the demo data plus 10 thousand, then 1 million bookings; serves each
with the same gunicorn settings; drives it from a separate process (wrk) for a fixed time per endpoint; and
prints requests per second, median and 99th-percentile latency, the ratio to the bare endpoint, the ratio of
1M to 10k, and the workers' peak memory. Beside the bare endpoint it measures the token check alone (bench/probe.py),
the floor under every API call. Ratios measured in one run, so that machine noise cancels: every run of
an endpoint follows a run of the bare endpoint, and the ratio reported is the median over those pairs.

Members sign in themselves (扫码签到): the sheet a link opens and the sign-in POST, against GET /api/v1/me, with
each POST a different member of a visit of today (bench/prepare.py) and the answers' statuses counted
(bench/signin.lua). `--sign-in-only` measures just these and /me (`--sizes 10k` for one database alone).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable
GUNICORN = [PY, "-m", "gunicorn", "-w", "2", "--worker-class", "sync", "--log-level", "warning"]


def sh(cmd, env=None, **kw):
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, check=True, **kw)


def _pg_database(server: str, name: str, fresh: bool) -> str:
    """A database of the PostgreSQL server (made anew when `fresh`), as a URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    url = make_url(server)
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if fresh and exists:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        if fresh or not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def build(name: str, n: int, reuse: bool, pg_server: str | None = None, areas: str = "2,4,5") -> tuple[str, dict]:
    """A database with the demo data plus n bookings spread over a city of `areas` (D,S,C: districts, streets,
    communities), prepared for the benchmark (SQLite, or in `pg_server`)."""
    path = OUT / f"{name}.db"
    info_path = OUT / f"{name}{'-pg' if pg_server else ''}.json"
    fresh = not (reuse and info_path.exists() and (pg_server or path.exists()))
    if pg_server:
        uri = _pg_database(pg_server, name.replace("-", "_"), fresh)
    else:
        uri = f"sqlite:///{path}"
    if fresh:
        if not pg_server:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        env = {"DATABASE_URL": uri}
        print(f"== building {name}: demo data + {n} bookings over a city of {areas} areas", flush=True)
        began = time.monotonic()
        sh([PY, "-m", "flask", "--app", "app", "db", "upgrade"], env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sh([PY, "-m", "flask", "--app", "app", "seed-load", "--bookings", str(n), "--areas", areas], env)
        sh([PY, "bench/prepare.py", str(info_path)], env)
        print(f"   built in {time.monotonic() - began:.0f} s", flush=True)
    else:  # a database of an earlier run: bring its schema up to date, and write bodies for free slots
        env = {"DATABASE_URL": uri}
        sh([PY, "-m", "flask", "--app", "app", "db", "upgrade"], env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sh([PY, "bench/prepare.py", str(info_path)], env)
    return uri, json.loads(info_path.read_text())


class Server:
    """gunicorn with 2 sync workers on a loopback port."""

    def __init__(self, app: str, uri: str | None, port: int):
        env = {**os.environ, "SECRET_KEY": "bench"}
        if uri:
            env["DATABASE_URL"] = uri
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(GUNICORN + ["-b", f"127.0.0.1:{port}", app], cwd=ROOT, env=env)
        probe = "/bare" if app == "bench.bare:app" else "/healthz"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + probe, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("server did not start")
                time.sleep(0.2)

    def worker_peak_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the workers."""
        peak = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{self.proc.pid}$", text, re.M):
                m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
                if m:
                    peak = max(peak, int(m.group(1)))
        return peak / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def token(url: str, username: str) -> str:
    req = urllib.request.Request(url + "/api/v1/auth/token", method="POST",
                                 data=json.dumps({"username": username, "password": "demo-pass-2026"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["token"]


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def wrk(url: str, seconds: int, connections: int, script: str, env: dict) -> dict:
    """Drive one endpoint with wrk (a separate process) and read its figures."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s",
                          script, url],
                         cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result = {"rps": rps, "p50": p50, "p99": p99, "requests": total, "non2xx": int(bad.group(1)) if bad else 0}
    statuses = re.search(r"^statuses:(.*)$", out, re.M)  # printed by scripts that count them (bench/signin.lua)
    if statuses:
        result["statuses"] = {k: int(v) for k, v in re.findall(r"(\d+)=(\d+)", statuses.group(1))}
    return result


def db_count(uri: str, sql: str) -> int:
    """How many request bodies earlier (reused) runs consumed, so each request still takes a free place."""
    from sqlalchemy import create_engine, text
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def post_json(url: str, path: str, body: dict, tok: str) -> int:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def sequential(url: str, path: str, bodies: list[dict], tok: str) -> dict:
    """One client, one request after another: each request's latency (for paths that make something new)."""
    times, bad = [], 0
    began = time.monotonic()
    for body in bodies:
        t = time.monotonic()
        status = post_json(url, path, body, tok)
        times.append((time.monotonic() - t) * 1000)
        bad += status >= 300
    times.sort()
    return {"rps": len(times) / (time.monotonic() - began), "p50": median(times),
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "requests": len(times), "non2xx": bad,
            "ratio": None}


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


class Paired:
    """Each round drives the bare endpoint and then the app's endpoint for the same time, one right after the
    other, so that both see the same machine; the ratio is the median of the rounds' ratios."""

    def __init__(self, bare: Server, seconds: int, rounds: int):
        self.bare, self.seconds, self.rounds = bare, seconds, rounds
        self.bare_runs: list[dict] = []

    def run(self, url: str, script: str, env: dict, connections: int = 4, before_round=None) -> dict:
        before_round = before_round or (lambda e: e)
        wrk(url, 1, connections, script, before_round(env))  # warm up
        pairs = []
        for _ in range(self.rounds):
            bare = wrk(self.bare.url + "/bare", self.seconds, 4, "bench/get.lua", {"TOKEN": "-"})
            run = wrk(url, self.seconds, connections, script, before_round(env))
            self.bare_runs.append(bare)
            pairs.append((bare, run))
        runs = [run for _, run in pairs]
        statuses = {}
        for run in runs:
            for code, count in run.get("statuses", {}).items():
                statuses[code] = statuses.get(code, 0) + count
        return {**({"statuses": dict(sorted(statuses.items()))} if statuses else {}),
            "rps": median(r["rps"] for r in runs), "p50": median(r["p50"] for r in runs),
            "p99": median(r["p99"] for r in runs), "requests": sum(r["requests"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs),
            "ratio": median(run["rps"] / bare["rps"] for bare, run in pairs),
            "ratios": [round(run["rps"] / bare["rps"], 3) for bare, run in pairs],
        }


def sign_in_link(url: str, booking_id: int, tok: str) -> str:
    """A new sign-in link of the visit, as the manager of its base asks for it (POST …/sign-in-link): its API path."""
    req = urllib.request.Request(url + f"/api/v1/bookings/{booking_id}/sign-in-link", data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        link = json.loads(r.read())["url"]
    return "/api/v1/sign-in/" + link.rsplit("/s/", 1)[1]


def signed_in(uri: str, booking_ids: list[int]) -> set[tuple[int, int]]:
    """(visit, member) of the sign-ins made so far in the benchmark's visits."""
    from sqlalchemy import create_engine, text
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(
                f"SELECT booking_id, member_id FROM roster_entries WHERE signed_in_at IS NOT NULL "
                f"AND booking_id IN ({', '.join(str(int(b)) for b in booking_ids)})")).all())
    finally:
        engine.dispose()


def measure_sign_in(url: str, uri: str, info: dict, paired: Paired, label: str) -> dict:
    """Members sign in themselves: GET of the sheet a link opens, and the sign-in POST, each against the bare
    endpoint like the rest. Before every run the visits' manager asks for fresh links (the default lifetime,
    SIGN_IN_LINK_SECONDS 120 s, outlasts a run), and the run's requests are the members of today's visits who have
    not signed in yet, visit after visit, each once: every request should be a first sign-in (201). The status mix is
    counted by bench/signin.lua and the sign-ins made are checked in the database afterwards."""
    plan = info["sign_in"]
    manager = token(url, plan["manager"])
    visits = [v["booking_id"] for v in plan["visits"]]
    lines_path = OUT / f"signin-{label}{'-pg' if uri.startswith('postgresql') else ''}.lines"
    cap = max(3000, 1500 * paired.seconds)  # more than a run can use: running out would show as 409s
    before = len(signed_in(uri, visits))

    def fresh_sheet(env):
        return {**env, "SIGN_IN_PATH": sign_in_link(url, plan["sheet_booking"], manager)}

    def fresh_members(env):
        done = signed_in(uri, visits)
        lines = []
        for visit in plan["visits"]:
            pending = [(m, last4) for m, last4 in visit["members"] if (visit["booking_id"], m) not in done]
            if not pending:
                continue
            path = sign_in_link(url, visit["booking_id"], manager)
            lines += [f"{path} {json.dumps({'member_id': m, 'phone_last4': last4})}" for m, last4 in pending]
            if len(lines) >= cap:
                break
        if len(lines) < cap:
            sys.exit("the sign-in benchmark has used up its members: run again (prepare.py resets today's visits)")
        lines_path.write_text("\n".join(lines) + "\n")
        return {**env, "LINES": str(lines_path)}

    results = {"sign-in sheet": paired.run(url + "/api/v1/sign-in/sheet", "bench/signin.lua", {},
                                           before_round=fresh_sheet),
               "sign-in": paired.run(url + "/api/v1/sign-in/post", "bench/signin.lua", {},
                                     before_round=fresh_members)}
    made = signed_in(uri, visits)
    ok_count = results["sign-in"].get("statuses", {}).get("201", 0)
    # Beside wrk's count: every sign-in the server made (warm-up and requests still in flight at a run's end
    # included), and no visit's roster past its headcount.
    from sqlalchemy import create_engine, text
    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        largest = conn.execute(text(
            f"SELECT max(n) FROM (SELECT count(*) AS n FROM roster_entries WHERE booking_id IN "
            f"({', '.join(str(v) for v in visits)}) GROUP BY booking_id) AS sizes")).scalar()
    engine.dispose()
    results["sign-in"]["database"] = {"signed_in": len(made) - before, "answered_201_in_runs": ok_count,
                                      "largest_roster": largest, "headcount": plan["group"]}
    return results


def city_paths(street_area: int) -> list[tuple[str, str, str]]:
    """(name, path, username): the figures by area and the area administrator's day (bench-street, the city's
    street `street_area`), and a manager's list beside them. Measured by wrk here and computed every time by
    bench/computed.py."""
    return [
        ("stats by area", "/api/v1/stats?group_by=area", "admin"),
        ("area landing page", f"/api/v1/areas/{street_area}/overview", "bench-street"),
        ("area watch list", f"/api/v1/reports/watch?area_id={street_area}", "bench-street"),
        ("area admin bookings", "/api/v1/bookings?per_page=20", "bench-street"),
        ("manager bookings", "/api/v1/bookings?per_page=20", "manager"),
    ]


def measure(uri: str, info: dict, paired: Paired, port: int, label: str = "", sign_in_only: bool = False
            ) -> tuple[dict, float]:
    server = Server("app:app", uri, port)
    if sign_in_only:  # the authenticated floor and the members' sign-in, nothing else (bench/run.py --sign-in-only)
        try:
            results = {"me": paired.run(server.url + "/api/v1/me", "bench/get.lua",
                                        {"TOKEN": token(server.url, "secretary")})}
            results.update(measure_sign_in(server.url, uri, info, paired, label))
            memory = server.worker_peak_mb()
        finally:
            server.stop()
        return results, memory
    try:
        secretary, manager, admin = (token(server.url, u) for u in ("secretary", "manager", "admin"))
        results = {}
        targets = [
            ("me", "/api/v1/me", secretary),  # the token check plus loading the account: the floor of most views
            ("availability", f"/api/v1/menu-items/{info['item_id']}/availability?date={info['date']}", secretary),
            ("base page", f"/api/v1/bases/{info['base_id']}", secretary),
            ("manager bookings", "/api/v1/bookings?per_page=20", manager),
        ]
        if info.get("street_area"):  # the city (seed-load --areas): figures by area, the area administrator's day
            tokens = {"admin": admin, "manager": manager, "bench-street": token(server.url, "bench-street")}
            targets += [(name, path, tokens[who]) for name, path, who in city_paths(info["street_area"])
                        if name != "manager bookings"]  # measured above, with or without a city
        for name, path, tok in targets:
            results[name] = paired.run(server.url + path, "bench/get.lua", {"TOKEN": tok})

        def fresh_bodies(env):  # each round starts after the bodies earlier rounds (and runs) consumed
            used = db_count(uri, "SELECT count(*) FROM bookings WHERE contact_name = '压测'") - 1  # less the roster's
            if used - info["bodies_base"] + 20_000 > info["bodies_count"]:
                sys.exit("the creation benchmark has used up its free slots: run without --reuse to rebuild")
            return {**env, "OFFSET": str(used - info["bodies_base"])}

        results["create booking"] = paired.run(server.url + "/api/v1/bookings", "bench/post.lua",
                                               {"TOKEN": manager, "BODIES": info["bodies"]}, before_round=fresh_bodies)
        results["study hours"] = paired.run(
            server.url + f"/api/v1/branches/{info['branch_id']}/study-hours?year={info['year']}", "bench/get.lua",
            {"TOKEN": secretary})
        results["roster save"] = paired.run(server.url + f"/api/v1/bookings/{info['roster_booking']}/roster",
                                            "bench/put.lua", {"TOKEN": secretary, "BODY": info["roster_body"]})
        results.update(measure_sign_in(server.url, uri, info, paired, label))
        results["stats by month"] = wrk(server.url + "/api/v1/stats?group_by=month", paired.seconds * 2, 1,
                                        "bench/get.lua", {"TOKEN": admin})
        results["stats by month"]["ratio"] = None
        results["district summary"] = wrk(server.url + "/api/v1/reports/summary", paired.seconds * 2, 1,
                                          "bench/get.lua", {"TOKEN": admin})
        results["district summary"]["ratio"] = None
        if info.get("street_area"):  # its latency alone (one connection), as for the statistics by month
            results["stats by area (latency)"] = wrk(server.url + "/api/v1/stats?group_by=area", paired.seconds * 2, 1,
                                                     "bench/get.lua", {"TOKEN": admin})
            results["stats by area (latency)"]["ratio"] = None
        made = db_count(uri, f"SELECT count(*) FROM booking_series WHERE branch_id = {info['branch_id']}")
        bodies = info["series_bodies"][made:made + 40]
        if len(bodies) < 40:
            sys.exit("the series benchmark has used up its slots: run without --reuse to rebuild")
        results["series of 12"] = sequential(server.url, "/api/v1/booking-series", bodies, secretary)
        memory = server.worker_peak_mb()
    finally:
        server.stop()
    probe = Server("bench.probe:app", uri, port + 10)
    try:
        results["token check only"] = paired.run(probe.url + "/api/v1/bench/token-only", "bench/get.lua",
                                                 {"TOKEN": token(probe.url, "secretary")})
    finally:
        probe.stop()
    return results, memory


SIGN_IN = ("sign-in sheet", "sign-in")


def sign_in_report(results: dict) -> list[str]:
    """The members' sign-in against the authenticated floor (GET /api/v1/me in the same run), with the answers."""
    lines = ["Members sign in (扫码签到): GET /api/v1/sign-in/{token} (the sheet of a visit: 120 members, 60 on the "
             "roster, 30 signed in) and POST /api/v1/sign-in/{token} (each request a different member of a visit of "
             "today, checked in, 100 of its branch's 120 members coming, 60 of them on the roster beforehand: a "
             "first sign-in with the phone's last four digits). Links asked for by the base's manager before every "
             "run, with the default SIGN_IN_LINK_SECONDS (120 s). Share of /me: the path's × bare over /me's.", "",
             "| path | bookings | req/s | p50 ms | p99 ms | × bare | share of /me | 1M/10k cost | answers |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    labels = [label for label in ("10k", "1M") if label in results]
    for name in SIGN_IN:
        for label in labels:
            r = results[label][name]
            growth = f"{results['10k'][name]['ratio'] / max(r['ratio'], 1e-9):.2f}" \
                if label == "1M" and "10k" in results else ""
            answers = ", ".join(f"{code}: {count}" for code, count in r.get("statuses", {}).items())
            lines.append(f"| {name} | {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['ratio']:.2f} | "
                         f"{r['ratio'] / results[label]['me']['ratio']:.2f} | {growth} | {answers} |")
    for label in labels:
        d = results[label]["sign-in"]["database"]
        lines.append("")
        lines.append(f"{label}: the server made {d['signed_in']} sign-ins (wrk counted {d['answered_201_in_runs']} "
                     f"201s in the measured runs; the rest: warm-up and requests still in flight when a run ended); "
                     f"largest roster {d['largest_roster']} of headcount {d['headcount']}.")
    return lines


def sign_in_checks(results: dict) -> list[tuple[str, bool]]:
    def first(r):  # the share of the sign-in POSTs answered 201
        statuses = r["sign-in"].get("statuses", {})
        return statuses.get("201", 0) / max(sum(statuses.values()), 1)
    runs = {label: results[label] for label in ("10k", "1M") if label in results}
    checks = []
    if len(runs) == 2:
        small, big = runs["10k"], runs["1M"]
        growth = small["sign-in"]["ratio"] / max(big["sign-in"]["ratio"], 1e-9)
        checks.append((f"sign-in at 1M costs ≤ 1.2 × at 10k ({growth:.2f})", growth <= 1.2))
    return checks + [
        ("sign-ins answered 201 ≥ 99% (" + ", ".join(f"{first(r):.1%} at {label}" for label, r in runs.items()) + ")",
         all(first(r) >= 0.99 for r in runs.values())),
        ("the sign-in sheet answered 200 every time", all(r["sign-in sheet"]["non2xx"] == 0 for r in runs.values())),
        ("no roster past its headcount", all(r["sign-in"]["database"]["largest_roster"] <= r["sign-in"]["database"]
                                              ["headcount"] for r in runs.values())),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=4, help="time of each run")
    parser.add_argument("--rounds", type=int, default=5, help="paired runs (bare, endpoint) per endpoint")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="reuse databases built by an earlier run")
    parser.add_argument("--areas", default="2,4,5", help="the city the bookings are spread over (seed-load --areas D,S,C)")
    parser.add_argument("--sign-in-only", action="store_true",
                        help="measure only GET /api/v1/me and the members' sign-in (sheet and POST); "
                             "report in bench/out/results-signin*.md")
    parser.add_argument("--sizes", default="10k,1M",
                        help="which databases to build and measure, of 10k and 1M (with --sign-in-only: either alone)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default=os.environ.get("BENCH_DB") or "sqlite",
                        help="postgresql: in the server of $TEST_DATABASE_URL (make starts a throwaway one)")
    args = parser.parse_args()
    pg_server = None
    if args.db == "postgresql":
        pg_server = os.environ.get("TEST_DATABASE_URL") or sys.exit(
            "--db postgresql needs a server: run BENCH_DB=postgresql make bench (it starts one on loopback)")
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = {label: n for label, n in (("10k", args.small), ("1M", args.large)) if label in args.sizes.split(",")}
    if len(sizes) < 2 and not args.sign_in_only:
        sys.exit("the full benchmark compares 10k with 1M: --sizes 10k,1M (or --sign-in-only)")
    dbs = {label: build(f"bench-{label}", n, args.reuse, pg_server, args.areas) for label, n in sizes.items()}

    bare = Server("bench.bare:app", None, 5701)
    try:
        wrk(bare.url + "/bare", 2, 4, "bench/get.lua", {"TOKEN": "-"})  # warm up
        paired = Paired(bare, args.seconds, args.rounds)
        results, memory = {}, {}
        for i, (label, (uri, info)) in enumerate(dbs.items()):
            print(f"== measuring with {label} bookings", flush=True)
            results[label], memory[label] = measure(uri, info, paired, 5702 + i, label, args.sign_in_only)
            if info.get("street_area") and not args.sign_in_only:  # the same paths computed every time
                results[label]["computed"] = json.loads(subprocess.run(
                    [PY, "bench/computed.py", str(info["street_area"])], cwd=ROOT, check=True, capture_output=True,
                    text=True, env={**os.environ, "DATABASE_URL": uri}).stdout)
        memory = {"bare": bare.worker_peak_mb(), **memory}
    finally:
        bare.stop()
    bare_runs = paired.bare_runs
    bare_result = {"rps": median(r["rps"] for r in bare_runs), "p50": median(r["p50"] for r in bare_runs),
                   "p99": median(r["p99"] for r in bare_runs)}

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    suffix = "-pg" if pg_server else ""
    if args.sign_in_only:
        lines = [f"Machine: {cpu}, {os.cpu_count()} cores; gunicorn 2 sync workers; wrk 1 thread, 4 connections; "
                 f"{'PostgreSQL' if pg_server else 'SQLite'}. Each figure: median of {args.rounds} runs of "
                 f"{args.seconds} s, each run right after a run of the bare endpoint "
                 f"({bare_result['rps']:.0f} req/s, median).", ""]
        lines += sign_in_report(results)
        checks = sign_in_checks(results)
        lines += ["", *[f"- [{'x' if ok else ' '}] {text}" for text, ok in checks]]
        report = "\n".join(lines)
        print()
        print(report)
        (OUT / f"results-signin{suffix}.md").write_text(report + "\n")
        (OUT / f"results-signin{suffix}.json").write_text(json.dumps(
            {"bare": bare_result, "results": results, "memory": memory}, indent=1))
        sys.exit(0 if all(ok for _, ok in checks) else 1)
    lines = [f"Machine: {cpu}, {os.cpu_count()} cores; gunicorn 2 sync workers; wrk 1 thread, 4 connections "
             f"(statistics and summary 1; series: one client, 40 in a row); {'PostgreSQL' if pg_server else 'SQLite'}. Each figure: median of {args.rounds} runs of {args.seconds} s, each run right "
             f"after a run of the bare endpoint; × bare is the median of those pairs' ratios.", "",
             "| endpoint | bookings | req/s | p50 ms | p99 ms | × bare | 1M/10k cost |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
             f"| bare Flask endpoint | – | {bare_result['rps']:.0f} | {bare_result['p50']:.2f} | "
             f"{bare_result['p99']:.2f} | 1.00 | – |"]
    names = ["token check only"] + [n for n in results["10k"] if n not in ("token check only", "computed")]
    for name in names:
        for label in ("10k", "1M"):
            r = results[label][name]
            small = results["10k"][name]
            if r["ratio"] is None:  # statistics: a latency figure, not a throughput one
                growth = small["rps"] / r["rps"] if label == "1M" and r["rps"] else None
                ratio = ""
            else:
                growth = small["ratio"] / max(r["ratio"], 1e-9) if label == "1M" else None
                ratio = f"{r['ratio']:.2f}"
            lines.append(f"| {name} | {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {ratio} | "
                         f"{'' if growth is None else f'{growth:.2f}'} |"
                         + (f" ({r['non2xx']} non-2xx)" if r["non2xx"] else ""))
    city = "stats by area" in results["1M"]
    if city:  # the area administrator's paths and the figures by area, against the authenticated floor (GET /me)
        lines += ["", "Against the authenticated floor (GET /api/v1/me in the same run): the endpoint's × bare over /me's.",
                  "", "| endpoint | share of /me at 10k | share of /me at 1M | 1M/10k cost |", "| --- | ---: | ---: | ---: |"]
        for name in ("stats by area", "area landing page", "area watch list", "area admin bookings",
                     "manager bookings"):
            small_share, big_share = (results[k][name]["ratio"] / results[k]["me"]["ratio"] for k in ("10k", "1M"))
            lines.append(f"| {name} | {small_share:.2f} | {big_share:.2f} | "
                         f"{results['10k'][name]['ratio'] / max(results['1M'][name]['ratio'], 1e-9):.2f} |")
    if city:  # what the same paths cost when no kept answer can be given (the first request after any commit)
        lines += ["", "Computed every time, in process (bench/computed.py: no kept answer; median and largest of 15 "
                  "requests through the test client, and the statements each ran):", "",
                  "| endpoint | 10k median ms | 1M median ms | 1M largest ms | 1M/10k | statements |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, small_c in results["10k"]["computed"].items():
            big_c = results["1M"]["computed"][name]
            lines.append(f"| {name} | {small_c['median_ms']:.1f} | {big_c['median_ms']:.1f} | {big_c['max_ms']:.1f} | "
                         f"{big_c['median_ms'] / small_c['median_ms']:.2f} | {big_c['statements']:.0f} |")
    floor_ratio = results["1M"]["token check only"]["ratio"]
    lines.append("")
    lines.append(f"The token check alone (bench/probe.py: the API's bearer check and nothing else) is {floor_ratio:.2f} × "
                 f"bare: no API endpoint can go faster here. At 1M bookings, availability is "
                 f"{results['1M']['availability']['ratio'] / floor_ratio:.0%} of it, the base page "
                 f"{results['1M']['base page']['ratio'] / floor_ratio:.0%}, creation "
                 f"{results['1M']['create booking']['ratio'] / floor_ratio:.0%}.")
    lines.append("")
    lines.append("Peak worker memory (VmHWM): " + ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items()))
    big, small = results["1M"], results["10k"]
    # The targets: SQLite's as before; PostgreSQL's (a server over a socket) a little lower for throughput.
    floor = {"availability": 0.30, "base page": 0.30, "create booking": 0.15} if pg_server else \
        {"availability": 0.40, "base page": 0.0, "create booking": 0.20}
    checks = [
        (f"{name} at 1M costs ≤ 1.2 × at 10k", small[name]["ratio"] / max(big[name]["ratio"], 1e-9) <= 1.2)
        for name in ("availability", "base page", "create booking", "study hours", "roster save")
    ] + [
        (f"{name} ≥ {share:.0%} of bare", big[name]["ratio"] >= share) for name, share in floor.items() if share
    ] + [
        ("creation answered 201 every time", big["create booking"]["non2xx"] == 0 and small["create booking"]["non2xx"] == 0),
        ("roster saves and series answered 2xx every time", all(
            r[name]["non2xx"] == 0 for r in (big, small) for name in ("roster save", "series of 12"))),
        ("statistics by month over 1M < 1 s (p99)", big["stats by month"]["requests"] > 0
         and big["stats by month"]["p99"] < 1000),
        ("district summary over 1M < 1 s (p99)", big["district summary"]["requests"] > 0
         and big["district summary"]["p99"] < 1000),
        ("worker memory < 200 MB", max(memory.values()) < 200),
    ]

    def share(r, name):  # of the authenticated floor: GET /api/v1/me in the same run
        return r[name]["ratio"] / r["me"]["ratio"]
    if city:
        checks += [
            (f"{name} at 1M costs ≤ 1.2 × at 10k ({small[name]['ratio'] / max(big[name]['ratio'], 1e-9):.2f})",
             small[name]["ratio"] / max(big[name]["ratio"], 1e-9) <= 1.2)
            for name in ("stats by area", "area landing page", "area watch list")
        ] + [
            (f"{name} ≥ 0.5 of /me at {label} ({share(r, name):.2f})", share(r, name) >= 0.5)
            for name in ("stats by area", "area landing page", "area watch list") for label, r in (("10k", small), ("1M", big))
        ] + [
            (f"statistics by area over 1M < 1 s (p99 {big['stats by area (latency)']['p99']:.0f} ms)",
             big["stats by area (latency)"]["requests"] > 0 and big["stats by area (latency)"]["p99"] < 1000),
            (f"statistics by area over 1M computed every time < 1 s (largest "
             f"{big['computed']['stats by area']['max_ms']:.0f} ms)", big["computed"]["stats by area"]["max_ms"] < 1000),
        ] + [
            (f"{name} ≥ 0.25 of /me at {label} ({share(r, name):.2f})", share(r, name) >= 0.25)
            for name in ("manager bookings", "area admin bookings") for label, r in (("10k", small), ("1M", big))
        ] + [
            ("the area administrator's paths answered 2xx every time", all(
                r[name]["non2xx"] == 0 for r in (big, small)
                for name in ("stats by area", "area landing page", "area watch list", "area admin bookings"))),
        ]
    checks += sign_in_checks(results)
    lines.append("")
    lines += [f"- [{'x' if ok else ' '}] {text}" for text, ok in checks]
    lines.append("")
    lines += sign_in_report(results)
    lines.append("")
    lines.append("Ratios of each round (10k, 1M): " + "; ".join(
        f"{name} {results['10k'][name]['ratios']} {results['1M'][name]['ratios']}"
        for name in names if results["10k"][name]["ratio"] is not None))
    report = "\n".join(lines)
    print()
    print(report)
    (OUT / f"results{suffix}.md").write_text(report + "\n")
    (OUT / f"results{suffix}.json").write_text(json.dumps({"bare": bare_result, "results": results, "memory": memory},
                                                          indent=1))
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
