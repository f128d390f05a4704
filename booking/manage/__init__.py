from booking.manage.routes import bp  # noqa: F401
