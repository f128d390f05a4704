"""The web edge: what every page shares (template helpers, pagination, the nav) and how refusals become pages."""
