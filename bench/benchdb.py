"""The benchmarks' own databases: named «sc_bench…», so that a benchmark can never wipe a real one."""

import sys


def ensure_database(name: str, fresh: bool) -> str:
    """Create database `name` (dropped first when `fresh`) and return its URL."""
    import psycopg

    if not name.startswith("sc_bench"):
        sys.exit("The database name must start with «sc_bench», so a real database is never wiped.")
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"
