from booking.lecturers.routes import bp  # noqa: F401
