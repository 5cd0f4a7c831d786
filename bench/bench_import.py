"""Benchmark: import a published list of 100,000 lines against as many municipalities, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc_bench_import .venv/bin/python bench/bench_import.py

The database named in DATABASE_URL is dropped and recreated (the name must start with «sc_bench», so a
real database can never be wiped by mistake). Synthetic municipalities are created in bulk; the list is
generated as published text and imported three times through grants.imports.inclusions (reading,
matching, checking and recording through the workflow's batch entry point, with its audit events):
1. every application is created and included; 2. the same list again (nothing changes);
3. every budget changed (every application updated). Prints rows per second for each; goal ≥ 10,000
(issue 11: with the audit trail's hash chain).
"""

import argparse
import os
import secrets
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG off, like production: a key that passes the production rule.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# The import notifies municipalities on commit; the bench must not print 100,000 e-mails.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def recreate_database(url: str):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme not in ("postgres", "postgresql") or not name.startswith("sc_bench"):
        sys.exit("DATABASE_URL must name a PostgreSQL database whose name starts with «sc_bench».")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def code(i: int) -> str:
    # ELSTAT codes are four characters; base 36 gives 1.6 million distinct ones.
    out = ""
    for _ in range(4):
        i, r = divmod(i, 36)
        out = ALPHABET[r] + out
    return out


def greek_number(i: int) -> str:
    # Names in Greek capitals only: digits would be as good, but letters exercise the folding.
    letters = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
    out = ""
    for _ in range(4):
        i, r = divmod(i, len(letters))
        out = letters[r] + out
    return out


def setup(n: int):
    from grants.models import Municipality, Programme, Region, RegionalUnit, RegionCategory

    region = Region.objects.create(code="EL99", name="ΔΟΚΙΜΑΣΤΙΚΗΣ", category=RegionCategory.LESS_DEVELOPED)
    units = [
        RegionalUnit.objects.create(code=f"{u:02d}", name=f"Δοκιμαστικής {u}", region=region)
        for u in range(50)
    ]
    Municipality.objects.bulk_create(
        [
            Municipality(
                elstat_code=code(i),
                name=f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {greek_number(i)}",
                search_key=f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {greek_number(i)}",
                regional_unit=units[i % len(units)],
                population_2011=10_000 + i % 50_000,
                population_2021=10_000 + i % 50_000,
                eligible=True,
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    return Programme.objects.create(
        code="BENCH", title="Bench", managing_authority="Bench", total_budget=Decimal("999999999999.00")
    )


def published_list(n: int, bump: int = 0) -> str:
    lines = ["ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ ΔΙΚΑΙΟΥΧΟΣ Π/Υ ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"]
    for i in range(n):
        budget = Decimal(200_000 + (i * 37) % 400_000 + bump) + Decimal("0.25")
        if i % 10 == 9:
            lines.append(f"Προς ένταξη ΔΗΜΟΣ ΔΟΚΙΜΗΣ {greek_number(i)} {budget:,.2f} –")
        else:
            lines.append(f"Ενταγμένη Δήμος Δοκιμής {greek_number(i).lower()} {budget:,.2f} 02/07/2024")
    return "\n".join(lines) + "\n"


def run(label: str, text: str, programme, n: int):
    from grants.imports.inclusions import import_inclusions

    started = time.perf_counter()
    report = import_inclusions(text.encode(), fmt="text", programme=programme, source=f"bench {label}")
    elapsed = time.perf_counter() - started
    if not report.ok:
        sys.exit("\n".join(str(e) for e in report.errors[:20]))
    print(
        f"{label:<28} {n:>7} rows in {elapsed:6.2f} s = {n / elapsed:8,.0f} rows/s "
        f"(created {report.created}, updated {report.updated}, unchanged {report.unchanged})"
    )
    return n / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from grants.models import Application, AuditEvent

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    programme = setup(args.rows)
    version = connection.cursor().connection.info.server_version
    print(
        f"PostgreSQL {version}; {args.rows} synthetic municipalities in {time.perf_counter() - started:.1f} s"
    )
    rates = [
        run("1. first import (create)", published_list(args.rows), programme, args.rows),
        run("2. same list again", published_list(args.rows), programme, args.rows),
        run("3. every budget changed", published_list(args.rows, bump=1000), programme, args.rows),
    ]
    print(f"applications {Application.objects.count()}, audit events {AuditEvent.objects.count()}")
    print(f"slowest: {min(rates):,.0f} rows/s (goal ≥ 10,000)")


if __name__ == "__main__":
    main()
