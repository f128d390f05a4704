"""Accounts and sign-in (services.py holds the rules, routes.py the pages; create_app imports the routes)."""
