from booking.catalog.routes import bp  # noqa: F401
