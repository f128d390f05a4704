from booking.visits.routes import bp  # noqa: F401
