from booking.admin.routes import bp  # noqa: F401
