"""Bookings: their lifecycle (lifecycle.py), the services that act on them, and their pages (routes.py)."""
