"""`make rush`: the rush when a popular date opens (七一): at one instant, N secretaries (1,000 by default), each
online for a branch of their own, try to book the last places of a handful of slots, and join the waitlist when
the slot is full.

Against gunicorn with 4 sync workers, on SQLite (`--db sqlite`) or PostgreSQL (`--db postgresql`, in the server of
$TEST_DATABASE_URL: `make rush` starts a throwaway one). The clients are one asyncio process with a connection
each, all opened first and then sent at the same moment. It prints the throughput, the p50/p99 latency of the
booking requests and of whole answers (booking, then waitlist), and checks the outcome: the places given equal the
capacity left exactly, every other booking answer is 409 slot_full followed by a waitlist entry, no 5xx, no time-out,
no "database is locked". The floor: the per-booking CPU cost (measured by one client, one request after another)
times N over the machine's cores.
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
PY = sys.executable
SLOTS = 5            # the handful of slots opening at once
LEFT = 40            # places left in each (so 4 groups of 10 get one)
HEADCOUNT = 10


def sh(cmd, env):
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


def prepare(uri: str, clients: int) -> dict:
    """The database: demo, 10k bookings and `clients` secretaries of their own branches (seed-load), a base with
    SLOTS slots whose capacity leaves LEFT places each, a token for every secretary."""
    env = {"DATABASE_URL": uri}
    sh([PY, "-m", "flask", "--app", "app", "db", "upgrade"], env)
    sh([PY, "-m", "flask", "--app", "app", "seed-load", "--bookings", "10000", "--secretaries", str(clients)], env)
    os.environ["DATABASE_URL"] = uri
    from datetime import time as clock_time, timedelta

    from sqlalchemy import select

    from booking import clock, create_app
    from booking.auth.services import issue_token
    from booking.reservations import records
    from models import Base, MenuItem, OpeningSlot, User, Venue, db
    app = create_app()
    with app.app_context():
        base = Base(name=f"七一热门基地{int(time.time())}", type="red", min_advance_days=1, max_advance_days=60,
                    requires_approval=False)
        db.session.add(base)
        db.session.flush()
        venue = Venue(base_id=base.id, name="纪念馆", kind="museum", capacity=200)
        db.session.add(venue)
        db.session.flush()
        day = clock.local_today() + timedelta(days=7)
        hours = [8 + 2 * k for k in range(SLOTS)]
        for weekday in range(7):
            for hour in hours:
                db.session.add(OpeningSlot(venue_id=venue.id, weekday=weekday, start_time=clock_time(hour),
                                           end_time=clock_time(hour, 50), capacity=200))
        item = MenuItem(base_id=base.id, venue_id=venue.id, title="七一主题党日", category="red",
                        content_topic="党史学习", duration_minutes=50, min_group=5, max_group=60)
        db.session.add(item)
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        manager.bases = [*manager.bases, base]
        db.session.commit()
        starts = [clock.at_local(day, clock_time(h)) for h in hours]
        # Most places already taken by earlier (offline) bookings of demo branches: LEFT remain in each slot.
        from models import Branch
        demo_branches = db.session.scalars(select(Branch.id).order_by(Branch.id).limit(8)).all()
        for start in starts:
            taken = 0
            for branch_id in demo_branches:
                size = min(60, 200 - LEFT - taken)
                if size <= 0:
                    break
                records.create_booking(manager, menu_item_id=item.id, start=start, headcount=size,
                                            contact_name="联系人", contact_phone="13800000000", branch_id=branch_id)
                taken += size
        users = db.session.scalars(select(User).where(User.username.like("load%-sec%")).order_by(User.id)
                                   .limit(clients)).all()
        if len(users) < clients:
            sys.exit(f"only {len(users)} generated secretaries")
        tokens = [issue_token(u)[0] for u in users]
        # The per-booking cost, one request after another (a different branch and a slot of its own each time).
        return {"item_id": item.id, "starts": [clock.iso(s) for s in starts], "tokens": tokens,
                "venue_id": venue.id, "probe_day": (day + timedelta(days=1)).isoformat()}


class Server:
    def __init__(self, uri: str, port: int, workers: int = 4):
        env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": "rush"}
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([PY, "-m", "gunicorn", "-w", str(workers), "--backlog", "4096", "--timeout", "120",
                                      "--log-level", "warning", "-b", f"127.0.0.1:{port}", "app:app"],
                                     cwd=ROOT, env=env)
        import urllib.request
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


async def _request(port: int, method: str, path: str, body: dict, token: str, ready=None, go=None):
    """One HTTP/1.1 request on its own connection; (status, json, seconds)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2 ** 20)
    if ready is not None:
        ready()
        await go.wait()
    began = time.monotonic()
    writer.write(head + data)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout=120)
    elapsed = time.monotonic() - began
    writer.close()
    status = int(raw.split(b" ", 2)[1])
    payload = raw.split(b"\r\n\r\n", 1)[1]
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = {"raw": payload[:200].decode(errors="replace")}
    return status, answer, elapsed


async def _client(port: int, info: dict, k: int, ready, go) -> dict:
    start = info["starts"][k % len(info["starts"])]
    body = {"menu_item_id": info["item_id"], "start": start, "headcount": HEADCOUNT, "contact_name": "书记",
            "contact_phone": "13800000000"}
    token = info["tokens"][k]
    try:
        status, answer, took = await _request(port, "POST", "/api/v1/bookings", body, token, ready, go)
    except asyncio.TimeoutError:
        return {"booking": "timeout", "took": 120.0, "total": 120.0}
    out = {"booking": status, "code": answer.get("error", {}).get("code"), "took": took, "total": took,
           "text": json.dumps(answer, ensure_ascii=False)[:300]}
    if status == 409 and out["code"] == "slot_full":
        try:
            status, answer, more = await _request(port, "POST", "/api/v1/waitlist", body, token)
        except asyncio.TimeoutError:
            out["waitlist"] = "timeout"
            return out
        out["waitlist"], out["total"] = status, took + more
        out["waitlist_code"] = answer.get("error", {}).get("code")
    return out


async def _rush(port: int, info: dict, n: int) -> tuple[list[dict], float]:
    go = asyncio.Event()
    opened = 0

    def ready():
        nonlocal opened
        opened += 1
        if opened == n:
            go.set()

    began = time.monotonic()
    tasks = [asyncio.create_task(_client(port, info, k, ready, go)) for k in range(n)]
    await go.wait()
    began = time.monotonic()
    results = await asyncio.gather(*tasks)
    return results, time.monotonic() - began


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def per_booking_cost(port: int, info: dict, uri: str) -> float:
    """Seconds of a booking request answered alone (a probe day's slots, one branch after another)."""
    async def probe():
        times = []
        start = info["starts"][0].replace(info["starts"][0][:10], info["probe_day"])
        for k in range(40):
            body = {"menu_item_id": info["item_id"], "start": start, "headcount": 1, "contact_name": "书记",
                    "contact_phone": "13800000000"}
            status, _, took = await _request(port, "POST", "/api/v1/bookings", body, info["tokens"][-1 - k])
            times.append(took)
        return sorted(times)[len(times) // 2]
    return asyncio.run(probe())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.db == "postgresql":
        uri = os.environ.get("TEST_DATABASE_URL") or sys.exit("--db postgresql needs $TEST_DATABASE_URL (make rush)")
    else:
        path = OUT / "rush.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        uri = f"sqlite:///{path}"
    print(f"== preparing ({args.db}): demo, 10k bookings, {args.clients} secretaries", flush=True)
    info = prepare(uri, args.clients)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.clients + 256)), hard))
    port = 5801 if args.db == "sqlite" else 5802
    server = Server(uri, port)
    try:
        results, wall = asyncio.run(_rush(port, info, args.clients))
        cost = per_booking_cost(port, info, uri)
    finally:
        server.stop()

    outcome = Counter((r["booking"], r.get("code")) for r in results)
    waitlist = Counter((r.get("waitlist"), r.get("waitlist_code")) for r in results if "waitlist" in r)
    booked = outcome[(201, None)]
    took = [r["took"] for r in results]
    total = [r["total"] for r in results]
    errors = [r for r in results if r["booking"] == "timeout" or (isinstance(r["booking"], int) and r["booking"] >= 500)
              or r.get("waitlist") == "timeout" or (isinstance(r.get("waitlist"), int) and r["waitlist"] >= 500)]
    locked = [r for r in results if "locked" in r.get("text", "")]
    cores = os.cpu_count() or 1
    floor = cost * args.clients / cores
    expected = SLOTS * (LEFT // HEADCOUNT)
    checks = [
        (f"places given = capacity left exactly ({expected} groups of {HEADCOUNT})", booked == expected),
        ("every other booking answer 409 slot_full", outcome[(409, "slot_full")] == args.clients - expected),
        ("every full answer then a waitlist entry (201)", waitlist == Counter({(201, None): args.clients - expected})),
        ("no 5xx, no time-out", not errors),
        ("no \"database is locked\"", not locked),
        ("booking p99 under 2 s", percentile(took, 0.99) < 2.0),
    ]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    lines = [f"Rush on {args.db}: {args.clients} clients at one instant, {SLOTS} slots with {LEFT} places left each, "
             f"headcount {HEADCOUNT}; gunicorn 4 sync workers; {cpu}, {cores} cores.", "",
             "| figure | value |", "| --- | ---: |",
             f"| requests answered (bookings + waitlist) | {len(results) + sum(waitlist.values())} |",
             f"| wall time of the rush | {wall:.2f} s |",
             f"| throughput | {(len(results) + sum(waitlist.values())) / wall:.0f} req/s |",
             f"| booking p50 / p99 | {percentile(took, 0.5) * 1000:.0f} / {percentile(took, 0.99) * 1000:.0f} ms |",
             f"| booking then waitlist p50 / p99 | {percentile(total, 0.5) * 1000:.0f} / "
             f"{percentile(total, 0.99) * 1000:.0f} ms |",
             f"| one booking alone (median of 40) | {cost * 1000:.1f} ms |",
             f"| floor: {args.clients} × that / {cores} cores | {floor:.2f} s |",
             f"| outcome | {dict(outcome)} then waitlist {dict(waitlist)} |", ""]
    lines += [f"- [{'x' if ok else ' '}] {text}" for text, ok in checks]
    if errors or locked:
        lines.append("")
        lines += [f"  {r}" for r in (errors + locked)[:5]]
    report = "\n".join(lines)
    print()
    print(report)
    (OUT / f"rush-{args.db}.md").write_text(report + "\n")
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
