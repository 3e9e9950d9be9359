"""Persistence: tables, the database engine and sessions, direct-driver statements, migrations."""
