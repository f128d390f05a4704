"""Command-line tools: seed-demo, create-user (db upgrade comes from Flask-Migrate)."""
import click
from flask import Flask

from booking.errors import ValidationFailed
from models import ROLES


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo data set (loading it twice changes nothing)."""
        from booking import seed
        created = seed.load_demo()
        click.echo("演示数据已就绪。" if created else "演示数据已存在，未做更改。")
        click.echo(seed.ACCOUNTS_TEXT)

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(list(ROLES)), required=True)
    @click.option("--base", "base_ids", type=int, multiple=True, help="Base id a manager manages (repeatable).")
    @click.option("--branch", "branch_id", type=int, help="Branch id of a secretary.")
    @click.option("--name", "display_name", default="", help="Display name.")
    @click.option("--email", default=None)
    @click.password_option(prompt="密码 Password")
    def create_user(username, role, base_ids, branch_id, display_name, email, password):
        """Create an account; asks for the password."""
        from booking.auth.services import create_user as create
        try:
            user = create(None, username=username, password=password, role=role, display_name=display_name,
                          email=email, branch_id=branch_id, base_ids=list(base_ids))
        except ValidationFailed as err:
            for field, message in err.fields.items():
                click.echo(f"{field}: {message}", err=True)
            raise SystemExit(1)
        click.echo(f"已创建用户 {user.username}（{user.role_label}），id={user.id}")
