"""Visits: check-in, attendance and feedback (services.py holds the rules, routes.py the pages; create_app imports the routes)."""
