"""A base manager's own pages (services.py holds the rules, routes.py the pages; create_app imports the routes)."""
