"""APScheduler: in the development process (`flask serve`), or as its own process in production (`flask scheduler`)."""
import logging
from datetime import datetime, timezone

from flask import Flask

from booking.jobs.services import JOBS, run_job

log = logging.getLogger(__name__)


def build(app: Flask, blocking: bool):
    """A scheduler with every job; each run happens in an app context and never stops the scheduler."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    from apscheduler.executors.pool import ThreadPoolExecutor

    cls = BlockingScheduler if blocking else BackgroundScheduler
    # One job at a time: they are short, and on SQLite parallel writers would only wait for each other.
    scheduler = cls(timezone=app.config["TIMEZONE"], executors={"default": ThreadPoolExecutor(1)},
                    job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600})

    def runner(name):
        def run():
            with app.app_context():
                ok, detail = run_job(name)
                log.info("job %s: %s (%s)", name, "ok" if ok else "failed", detail)
        return run

    now = datetime.now(timezone.utc)
    for job in JOBS.values():
        # Interval jobs also run once at start, so work that fell due while the scheduler was down is not left waiting.
        first = {"next_run_time": now} if job.trigger["trigger"] == "interval" else {}
        scheduler.add_job(runner(job.name), id=job.name, name=job.name, **job.trigger, **first)
    return scheduler
