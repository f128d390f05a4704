"""The catalogue: bases, venues, menus and their availability (services.py holds the rules, routes.py the pages; create_app imports the routes)."""
