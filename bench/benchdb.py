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


def registry(municipalities: int, total_budget):
    """A region, a regional unit, the programme and `municipalities` synthetic municipalities, in
    bulk (the benchmarks measure exports and imports, not the reference loader). Returns the programme."""
    from grants.models import Municipality, Programme, Region, RegionalUnit

    region = Region.objects.create(code="EL65", name="ΠΕΛΟΠΟΝΝΗΣΟΥ", category="less_developed")
    unit = RegionalUnit.objects.create(code="44", name="Μεσσηνίας", region=region)
    programme = Programme.objects.create(
        code="SMART-CITIES", title="Έξυπνες Πόλεις", managing_authority="ΕΥΔ", total_budget=total_budget
    )
    Municipality.objects.bulk_create(
        Municipality(
            elstat_code=f"{i:04d}",
            name=f"ΔΗΜΟΣ ΔΟΚΙΜΑΣΤΙΚΟΣ {i:04d}",
            search_key=f"ΔΗΜΟΣ ΔΟΚΙΜΑΣΤΙΚΟΣ {i:04d}",
            regional_unit=unit,
            population_2011=10000 + i,
            population_2021=10000 + i,
            eligible=True,
        )
        for i in range(municipalities)
    )
    return programme
