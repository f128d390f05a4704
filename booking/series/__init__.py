"""Standing monthly bookings (固定预约): services.py holds the rules, routes.py the pages."""
