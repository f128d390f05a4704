"""Command-line tools: seed-demo, create-user (db upgrade comes from Flask-Migrate)."""
import os

import click
from flask import Flask

from booking import clock
from booking.auth.services import create_user as create
from booking.demo import loadgen, seed as demo  # `seed` is also seed-load's option
from booking.errors import ValidationFailed
from booking.jobs.scheduler import build
from booking.jobs.services import JOBS, describe_schedule, last_runs, run_job
from booking.ops import backup
from booking.reservations import integrity
from models import ROLES, db


def _area_shape(ctx, param, value):
    """--areas D,S,C: three whole numbers from 1 (None when not given)."""
    if value is None:
        return None
    try:
        shape = tuple(int(x) for x in value.split(","))
    except ValueError:
        shape = ()
    if len(shape) != 3 or not all(1 <= x <= 100 for x in shape):
        raise click.BadParameter("应为 D,S,C 三个 1–100 的整数，如 2,4,5")
    return shape


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="Load it even into a database that has accounts of its own.")
    def seed_demo(force):
        """Load the demo data set (loading it twice changes nothing); refuses a database in real use."""
        others = demo.real_accounts()
        if others and not force:
            click.echo(f"这个数据库已有 {len(others)} 个非演示账号（如 {others[0]}），看来正在实际使用；"
                       "演示账号的密码是公开的，未载入演示数据。确需载入请加 --force。", err=True)
            raise SystemExit(1)
        created = demo.load_demo()
        people = demo.load_demo_members()
        past = 0
        if not demo.has_past():
            with click.progressbar(length=demo.PAST_MONTHS, label="生成近一年的演示活动") as bar:
                past = demo.load_demo_past(progress=bar.update)
        if past:
            click.echo(f"已生成近一年的演示活动 {past} 个（含实到人数、党员出席、评价、纪实和授课记录）。")
        if people:
            click.echo(f"已为演示党支部登记党员 {people} 人。")
        click.echo("演示数据已就绪。" if created or past or people else "演示数据已存在，未做更改。")
        click.echo(demo.accounts_text())

    @app.cli.command("backup")
    @click.argument("destination", required=False)
    def backup_command(destination):
        """Write a backup of the database and the photos to one archive (default: instance/backups/)."""
        if not destination:
            folder = os.path.join(app.instance_path, "backups")
            os.makedirs(folder, mode=0o700, exist_ok=True)
            destination = os.path.join(folder, f"booking-{clock.local(clock.now()):%Y%m%d-%H%M%S}.tar.gz")
        try:
            manifest = backup.create(destination, progress=click.echo)
        except backup.BackupError as err:
            click.echo(str(err), err=True)
            raise SystemExit(1) from None
        click.echo(f"已备份到 {destination}（{manifest['dialect']}，结构版本 {manifest['revision']}，"
                   f"照片 {manifest['photos']} 张）。")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(source, yes):
        """Replace the database and the photos with a backup's (then run db upgrade if the backup is older)."""
        try:
            manifest = backup.read_manifest(source)
            if not yes:
                click.confirm(f"用 {manifest['created_at']} 的备份替换当前的数据库和照片？当前数据将被覆盖", abort=True)
            backup.restore(source, progress=click.echo)
        except backup.BackupError as err:
            click.echo(str(err), err=True)
            raise SystemExit(1) from None
        click.echo(f"已恢复 {manifest['created_at']} 的备份（照片 {manifest['photos']} 张）。"
                   "如备份来自旧版本，请再运行 flask --app app db upgrade。")

    @app.cli.command("seed-load")
    @click.option("--bookings", "n", type=click.IntRange(1, 10_000_000), required=True, help="How many bookings to add.")
    @click.option("--seed", default=2026, help="Random seed (the same seed gives the same data).")
    @click.option("--secretaries", type=click.IntRange(0, 100_000), default=0,
                  help="Also give that many generated branches a secretary account (password demo-pass-2026).")
    @click.option("--areas", "shape", callback=_area_shape, default=None, metavar="D,S,C",
                  help="A city: D districts of S streets of C communities over which the generated organisations and "
                       "bases lie (account bench-street: area administrator of the first street).")
    def seed_load(n, seed, secretaries, shape):
        """Add N bookings on top of the demo data and of earlier runs, for benchmarks (bulk inserts, progress bar)."""
        import time as _time
        from sqlalchemy.exc import SQLAlchemyError
        from booking.areas import services as areas
        try:
            if areas.root().kind != "city":  # under a city root (an earlier --areas run) the demo is there already
                demo.load_demo()
            began = _time.monotonic()
            made = loadgen.load(n, seed, secretaries, shape)
        except SQLAlchemyError as err:  # one line a person can act on, not a traceback
            db.session.rollback()
            reason = str(getattr(err, "orig", err)).splitlines()[0][:200]
            raise click.ClickException(f"生成压测数据失败：{reason}") from None
        click.echo(f"已生成 {made['bookings']} 个预约（第 {made['run']} 次生成，{made['venues']} 个场馆，"
                   f"{made['branches']} 个支部" + (f"，{made['secretaries']} 个书记账号" if made["secretaries"] else "")
                   + (f"，{made['areas']} 个属地" if made["areas"] else "")
                   + f"），用时 {_time.monotonic() - began:.1f} 秒。")

    @app.cli.command("check-integrity")
    @click.option("--repair", is_flag=True,
                  help="Recompute the slot counters and partner headcounts from the bookings (audited).")
    def check_integrity(repair):
        """Check that places, history, lecturers and series agree with the bookings; exit 1 listing what does not."""
        if repair:
            for line in integrity.repair():
                click.echo(f"已修正：{line}")
        found = integrity.check()
        if not found:
            click.echo(f"ok {integrity.summary()}: places, history, lecturers and series agree")
            return
        for mismatch in found[:200]:
            click.echo(f"{mismatch.kind}: {mismatch.text}")
        if len(found) > 200:
            click.echo(f"…… 另有 {len(found) - 200} 处未列出")
        click.echo(f"{len(found)} mismatch(es)", err=True)
        raise SystemExit(1)

    @app.cli.group("jobs")
    def jobs():
        """Scheduled jobs: list them, or run one by hand."""

    @jobs.command("list")
    def jobs_list():
        """Name, schedule, last run and result of each job."""
        runs = last_runs()
        click.echo(f"{'NAME':<16} {'SCHEDULE':<24} {'LAST RUN':<26} RESULT")
        for job in JOBS.values():
            run = runs.get(job.name)
            last = clock.iso(run.started_at) if run else "never"
            result = ("ok " if run.ok else "FAILED ") + run.detail if run else ""
            click.echo(f"{job.name:<16} {describe_schedule(job):<24} {last:<26} {result}")

    @jobs.command("run")
    @click.argument("name")
    def jobs_run(name):
        """Run one job once, now."""
        if name not in JOBS:
            click.echo(f"unknown job {name!r}; jobs: {', '.join(JOBS)}", err=True)
            raise SystemExit(2)
        ok, detail = run_job(name)
        click.echo(f"{name}: {'ok' if ok else 'failed'} ({detail})")
        if not ok:
            raise SystemExit(1)

    @app.cli.command("scheduler")
    def scheduler():
        """Run the job scheduler in the foreground (production: one such process, never one per web worker)."""
        sched = build(app, blocking=True)
        click.echo("scheduler started: " + ", ".join(j.id for j in sched.get_jobs()))
        sched.start()

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def serve(host, port):
        """Development: serve the app with the scheduler inside this one process."""
        from werkzeug.serving import run_simple
        scheduler = build(app, blocking=False)
        scheduler.start()
        click.echo(f"scheduler running in-process; serving http://{host}:{port}")
        try:
            run_simple(host, port, app, threaded=True)
        finally:
            scheduler.shutdown(wait=False)

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(list(ROLES)), required=True)
    @click.option("--base", "base_ids", type=int, multiple=True, help="Base id a manager manages (repeatable).")
    @click.option("--branch", "branch_id", type=int, help="Branch id of a secretary.")
    @click.option("--area", "area_id", type=int, help="Area id of an area administrator (GET /api/v1/areas).")
    @click.option("--name", "display_name", default="", help="Display name.")
    @click.option("--email", default=None)
    @click.password_option(prompt="密码 Password")
    def create_user(username, role, base_ids, branch_id, area_id, display_name, email, password):
        """Create an account; asks for the password."""
        try:
            user = create(None, username=username, password=password, role=role, display_name=display_name,
                          email=email, branch_id=branch_id, base_ids=list(base_ids), area_id=area_id)
        except ValidationFailed as err:
            for field, message in err.fields.items():
                click.echo(f"{field}: {message}", err=True)
            raise SystemExit(1)
        click.echo(f"已创建用户 {user.username}（{user.role_label}），id={user.id}")
