"""Run the app under gunicorn with several worker processes, and fire simultaneous requests at it."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(database_uri: str, workers: int = 4, settings: dict | None = None):
    """Serve app:app with gunicorn on a free loopback port, bound to the given database."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "concurrency-test", **(settings or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--log-level", "warning", "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def call(url: str, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
    """One JSON request; returns (status, body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, {"raw": raw.decode(errors="replace")[:500]}


def simultaneously(requests: list) -> list[tuple[int, dict]]:
    """Send every (url, method, path, body, token) at the same moment, one thread each."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(i, args):
        barrier.wait()
        results[i] = call(*args)

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def assert_integrity() -> None:
    """The end of every concurrency test: the integrity checker finds every counter, history, lecturer and series
    date in agreement with the bookings."""
    from booking.reservations import integrity
    from models import db
    db.session.remove()
    found = integrity.check()
    assert found == [], "\n".join(f"{m.kind}: {m.text}" for m in found)
