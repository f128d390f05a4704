"""Helpers shared by the HTML forms."""
from flask import flash

from booking.errors import ValidationFailed


def apply_errors(form, err: ValidationFailed) -> None:
    """Show a service's field errors beside the form's fields (or as a message when no field matches)."""
    for name, message in (err.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(message)
        else:
            flash(message, "danger")


