from booking.auth.routes import bp  # noqa: F401
