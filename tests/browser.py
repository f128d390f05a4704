"""Helpers for the browser journeys: a live server in a thread and Debian's Chromium through Playwright."""
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).parent / "artifacts"


@contextmanager
def live_server(app):
    """Serve the app on a free loopback port for the duration of the block."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def phone_browser(bypass_csp: bool = True):
    """A headless Chromium page at phone size (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--lang=zh-CN"],
        )
        # bypass_csp: axe-core is injected as an inline script, which the pages' policy would refuse.
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=bypass_csp)
        page = context.new_page()
        page.set_default_timeout(30000)  # a loaded CI machine can take its time; never a speed check
        try:
            yield page
        finally:
            context.close()
            browser.close()


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def shot(page, name: str) -> None:
    """Keep a screenshot of what the journey saw (tests/artifacts, or SCREENSHOT_DIR)."""
    target = Path(os.environ.get("SCREENSHOT_DIR", ARTIFACTS))
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def login(page, base_url: str, username: str, password: str = "demo-pass-2026") -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def assert_accessible(page) -> None:
    violations = serious_accessibility_violations(page)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


def relogin(page, base_url: str, username: str) -> None:
    """Log out by dropping the session cookie, and log in as someone else."""
    page.context.clear_cookies()
    login(page, base_url, username)
