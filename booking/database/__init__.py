"""Database adapters: SQLite's and PostgreSQL's transaction handling and the pool's liveness check."""
