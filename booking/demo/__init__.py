"""The demo district and the load generator."""
