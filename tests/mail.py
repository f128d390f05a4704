"""A local SMTP server for the tests (aiosmtpd): what the app sends through real SMTP lands in `received`."""
import socket
import time
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox(list):
    """The messages received, in order."""

    def wait_for(self, n: int, seconds: float = 5) -> None:
        """Wait until n messages have arrived (the server delivers on its own thread)."""
        deadline = time.monotonic() + seconds
        while len(self) < n and time.monotonic() < deadline:
            time.sleep(0.05)


@contextmanager
def smtp_server(app):
    """Serve SMTP on a free loopback port for the block, with the app's mail settings pointing at it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = Inbox()

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_FROM="booking@example.org")
        yield received
    finally:
        controller.stop()
