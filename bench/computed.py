"""The city's paths computed every time, in process: what a request costs when no kept answer can be given (the
first after any commit; booking.database.snapshot). `bench/run.py` prints these beside the wrk figures.

Usage: DATABASE_URL=... python bench/computed.py AREA_ID (the benchmark's street) → one JSON object on stdout: path → milliseconds
(median and largest of ROUNDS requests, after one to warm up), with the statements each request ran.
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SECRET_KEY", "bench")

from sqlalchemy import event  # noqa: E402

from app import app  # noqa: E402
from bench.run import city_paths  # noqa: E402

ROUNDS = 15


def main():
    street_area = int(sys.argv[1])
    app.extensions.pop("kept_answers", None)  # every request computes its answer
    client = app.test_client()

    def token(username):
        r = client.post("/api/v1/auth/token", json={"username": username, "password": "demo-pass-2026"})
        return r.get_json()["token"]

    tokens = {who: token(who) for who in ("admin", "bench-street", "manager")}
    paths = {name: (path, tokens[who]) for name, path, who in city_paths(street_area)}
    statements = [0]
    with app.app_context():
        from models import db
        event.listen(db.engine, "after_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    out = {}
    for name, (path, tok) in paths.items():
        headers = {"Authorization": f"Bearer {tok}"}
        assert client.get(path, headers=headers).status_code == 200, path
        times = []
        statements[0] = 0
        for _ in range(ROUNDS):
            began = time.perf_counter()
            r = client.get(path, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            assert r.status_code == 200, (path, r.status_code)
        out[name] = {"median_ms": statistics.median(times), "max_ms": max(times),
                     "statements": statements[0] / ROUNDS}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
