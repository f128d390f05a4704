"""Stale connections found before use, at a fraction of pool_pre_ping's cost.

pool_pre_ping sends a `SELECT 1` on every checkout: on PostgreSQL a round trip in every request (about a tenth of a
booking's time). A connection that was used a moment ago is alive; one that sat idle in the pool may have been cut
(the server restarted, a proxy's idle timeout). So a connection is pinged only when it comes out of the pool after
IDLE_SECONDS of rest, and one that does not answer is replaced (the pool then opens a fresh one), as pool_pre_ping
would do. The database-outage handling (503, retryable) stays as it is for what happens after that.
"""
import time

from sqlalchemy import event, exc

IDLE_SECONDS = 10


def install(engine) -> None:
    """Ping connections that rested, on checkout (PostgreSQL; SQLite files do not go stale)."""

    @event.listens_for(engine, "checkin")
    def rested_since(dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_rested(dbapi_connection, record, proxy):
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except Exception as err:  # the connection is gone: the pool discards it and tries a fresh one
            raise exc.DisconnectionError() from err
