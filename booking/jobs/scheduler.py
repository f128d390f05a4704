"""APScheduler: in the development process (`flask serve`), or as its own process in production (`flask scheduler`)."""
import logging

from flask import Flask

from booking.jobs.services import JOBS, run_job

log = logging.getLogger(__name__)


def build(app: Flask, blocking: bool):
    """A scheduler with every job; each run happens in an app context and never stops the scheduler."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=app.config["TIMEZONE"], job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 600})

    def runner(name):
        def run():
            with app.app_context():
                ok, detail = run_job(name)
                log.info("job %s: %s (%s)", name, "ok" if ok else "failed", detail)
        return run

    for job in JOBS.values():
        scheduler.add_job(runner(job.name), id=job.name, name=job.name, **job.trigger)
    return scheduler
