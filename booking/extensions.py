"""Flask extensions, bound to the app in create_app."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from models import db

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"
csrf = CSRFProtect()
migrate = Migrate()

__all__ = ["db", "login_manager", "csrf", "migrate"]
