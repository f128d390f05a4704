"""The JSON API v1 (see ../shared/api-contract.md)."""
from booking.api.core import PageSessionInterface, bp  # noqa: F401
from booking.api import (area_routes, auth_routes, booking_routes, catalog_routes, lecture_routes,  # noqa: F401,E402
                         lecturer_routes, member_routes, openapi,
                         partner_routes, report_routes, request_routes, series_routes, signin_routes, visit_routes,
                         waitlist_routes)
