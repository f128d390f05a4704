from booking.reservations.routes import bp  # noqa: F401
