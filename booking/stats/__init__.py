from booking.stats.routes import bp  # noqa: F401
