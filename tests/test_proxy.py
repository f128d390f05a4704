"""The documented production set-up: nginx (deploy/nginx/booking-proxy.conf) in front of gunicorn's sync workers.

Reproduced without it: 8 connections sending their headers slowly, or 100 idle sockets, held every gunicorn
worker, and every other client's request failed for 32 s. nginx reads each request whole before handing it on.
"""
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.server import ROOT, free_port, gunicorn

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _read(path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait_for(port: int, proc, pidfile) -> bool:
    """True once this nginx holds the port: it writes its pid file only after binding every listener, so a
    stranger that happens to answer on the port is never taken for it. False when it could not bind the port
    (another process took it between free_port and nginx's start): the caller picks another."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = proc.stdout.read().decode(errors="replace") + _read(pidfile.parent / "error.log")
            if "Address already in use" in log:
                return False
            raise RuntimeError(log)
        if pidfile.exists() and pidfile.read_text().strip() == str(proc.pid):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                pass
        time.sleep(0.1)
    raise RuntimeError("nginx did not start")


def _default_server(port: int) -> str:
    """The shipped booking.conf's default_server block (names it does not serve are closed), on a test port."""
    text = (ROOT / "deploy/nginx/booking.conf").read_text()
    block = re.search(r"server \{\n    listen 80 default_server;.*?\n\}", text, re.S).group(0)
    block = block.replace("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;")
    return "\n".join(line for line in block.splitlines() if "443" not in line and "ssl_" not in line)


def _static_location(app) -> str:
    """The shipped booking-static.conf with the alias pointing at this app's built static folder."""
    text = (ROOT / "deploy/nginx/booking-static.conf").read_text()
    return text.replace("/srv/booking/instance/static/", app.config.get("STATIC_BUILD_FOLDER")
                        or f"{app.instance_path}/static/")


def _start_nginx(tmp_path, temp, port, upstream, world):
    """nginx in the foreground with the shipped configuration on the given port."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
load_module /usr/lib/nginx/modules/ngx_http_brotli_static_module.so;  # as Debian's modules-enabled does
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    upstream booking_app {{ server {upstream.removeprefix('http://')}; keepalive 16; }}
    {_default_server(port)}
    server {{
        listen 127.0.0.1:{port};
        server_name booking.example.gov.cn 127.0.0.1;
        {_static_location(world)}
        include {ROOT}/deploy/nginx/booking-proxy.conf;
    }}
}}
""")
    return subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


@pytest.fixture
def proxied(world, tmp_path):
    """The app under gunicorn (2 sync workers, PROXY_COUNT=1) behind nginx with the shipped configuration: the
    default server closing unknown names, and the app's server under its name (and 127.0.0.1 for these tests)."""
    settings = {"PROXY_COUNT": "1", "PUBLIC_URL": "https://booking.example.gov.cn"}
    with gunicorn(world.config["SQLALCHEMY_DATABASE_URI"], workers=2, settings=settings) as upstream:
        temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir()
        for _attempt in range(5):
            port = free_port()
            proc = _start_nginx(tmp_path, temp, port, upstream, world)
            if _wait_for(port, proc, tmp_path / "nginx.pid"):
                break
        else:
            raise RuntimeError("nginx found no free port in five tries")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


def test_slow_and_idle_clients_do_not_shut_others_out(proxied):
    port = int(proxied.rsplit(":", 1)[1])
    held = []
    try:
        for _ in range(8):  # headers trickling in, never finished
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            held.append(s)
        for _ in range(100):  # connections opened and left idle
            held.append(socket.create_connection(("127.0.0.1", port)))
        for _ in range(5):
            with urllib.request.urlopen(proxied + "/healthz", timeout=10) as r:
                assert r.status == 200 and json.loads(r.read()) == {"status": "ok"}
    finally:
        for s in held:
            s.close()


def test_the_proxy_passes_the_client_address(proxied):
    """Behind nginx (PROXY_COUNT=1) each client is throttled on its own address, not all as nginx's 127.0.0.1,
    and a client cannot pick its address by sending X-Forwarded-For itself."""
    import http.client
    port = int(proxied.rsplit(":", 1)[1])

    def token(password, source, forged=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
        headers = {"Content-Type": "application/json", **({"X-Forwarded-For": forged} if forged else {})}
        conn.request("POST", "/api/v1/auth/token", body=json.dumps({"username": "admin", "password": password}),
                     headers=headers)
        return conn.getresponse().status

    for _ in range(7):
        token("wrong-password", "127.0.0.3")
    assert token("wrong-password", "127.0.0.3") == 429
    assert token("demo-pass-2026", "127.0.0.3", forged="198.51.100.4") == 429  # a forged header changes nothing
    assert token("demo-pass-2026", "127.0.0.2") == 200  # another client logs in


def test_unknown_names_are_closed_by_nginx_and_refused_by_the_app(proxied):
    """A forged Host never reaches the app through the shipped nginx (the default server closes the connection
    without an answer), and the app's own TRUSTED_HOSTS refuses it too."""
    import http.client
    port = int(proxied.rsplit(":", 1)[1])

    def ask(host):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz", headers={"Host": host})
        return conn.getresponse().status

    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        ask("evil.example")
    assert ask("booking.example.gov.cn") == 200


def test_static_files_and_pages_go_out_compressed(proxied, world):
    """nginx serves the app's fingerprinted files itself, brotli or gzip as the client accepts, kept a year; pages
    from the app are compressed on the way."""
    css = "/static/" + world.extensions["assets"]["vendor/bootstrap/bootstrap.min.css"]
    for accept, encoding in (("br, gzip", "br"), ("gzip", "gzip")):
        request = urllib.request.Request(proxied + css, headers={"Accept-Encoding": accept})
        with urllib.request.urlopen(request, timeout=10) as r:
            body = r.read()
            assert r.headers["Content-Encoding"] == encoding and len(body) < 40_000, (accept, len(body))
            assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert "Accept-Encoding" in r.headers["Vary"] and "Set-Cookie" not in r.headers
    with urllib.request.urlopen(urllib.request.Request(proxied + "/login", headers={"Accept-Encoding": "gzip"}),
                                timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip" and r.headers["Cache-Control"] == "no-store"
