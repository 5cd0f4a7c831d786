"""Benchmark: the audit trail as XLSX through the reports' own code path, with peak memory.

    .venv/bin/python bench/bench_export_xlsx.py [--events 300000] [--db sc_bench_xlsx] [--fresh]

The database (its name must start with «sc_bench») is created and migrated when missing, and filled
with synthetic audit events written by grants.audit.row + insert_rows (COPY), the way batch services
write them; it is reused on later runs unless --fresh. Each measurement runs in a process of its own,
so that its peak RSS is its own:
- sql: the report's rows (scoping, FilterSet, ordering, values_list on a server-side cursor), dropped;
- xlsx: formats.write_xlsx over the same rows, the file written to a temporary file as the view does.
The audit trail is the largest report: ~28,000 events at real scale, the default is ~10×.
"""

import argparse
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG off, like production: a key that passes the production rule.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import benchdb  # noqa: E402 (bench/ is the script's directory)
from benchdb import ensure_database  # noqa: E402

NOTES = [
    "",
    "Υποβολή από την πύλη",
    "Επιστροφή για διορθώσεις: λείπει η τεχνική περιγραφή του έργου και ο προϋπολογισμός ανά παραδοτέο",
    "=1+1 σημείωση που μοιάζει με τύπο",
    "Αποσύρουμε\x0bτην αίτηση",  # a control character pasted from a word processor
]


def generate(events: int) -> bool:
    """Reference rows through the ORM, the events as tuples through audit.insert_rows (COPY)."""
    import datetime
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from grants import audit
    from grants.models import (
        Application,
        ApplicationStatus,
        AuditEvent,
        Channel,
        Municipality,
    )

    if AuditEvent.objects.count() >= events:
        return False
    with transaction.atomic():
        programme = benchdb.registry(332, Decimal("1e9"))
        Application.objects.bulk_create(
            Application(programme=programme, municipality=m, status=ApplicationStatus.SUBMITTED)
            for m in Municipality.objects.all()
        )
        apps = list(Application.objects.select_related("municipality", "programme"))
        actors = [
            User.objects.create(username=f"officer{i}", first_name="Μαρία", last_name=f"Παπαδοπούλου {i}")
            for i in range(10)
        ]
        content_type_id = ContentType.objects.get_for_model(Application).id
        start = timezone.now() - datetime.timedelta(days=365)
        statuses = [s for s, _ in ApplicationStatus.choices]
        rows = []
        for i in range(events):
            app = apps[i % len(apps)]
            rows.append(
                audit.row(
                    action="workflow.submit" if i % 3 else "application.change",
                    channel=Channel.PORTAL if i % 2 else Channel.ADMIN,
                    actor=actors[i % len(actors)],
                    created_at=start + datetime.timedelta(seconds=100 * i),
                    obj=app,
                    content_type_id=content_type_id,
                    municipality_id=app.municipality_id,
                    application_id=app.pk,
                    before={"status": statuses[i % len(statuses)], "budget": Decimal(i) / 7},
                    after={"status": statuses[(i + 1) % len(statuses)], "budget": Decimal(i + 1) / 7},
                    note=NOTES[i % len(NOTES)],
                )
            )
            if len(rows) == 20000:
                audit.insert_rows(rows)
                rows.clear()
        audit.insert_rows(rows)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return True


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(what: str):
    """One measurement, in this process: prints «what seconds rows peak_rss_mb size_bytes»."""
    from django.contrib.auth.models import Group, User

    from grants import roles
    from grants.reports import formats
    from grants.reports.definitions import REPORTS

    user, _ = User.objects.get_or_create(username="bench-auditor")
    user.groups.add(Group.objects.get_or_create(name=roles.AUDITORS)[0])
    user = User.objects.get(pk=user.pk)
    report = REPORTS["audit-trail"]()
    qs = report.filterset(user, {}).qs
    before = rss_mb()
    start = time.perf_counter()
    if what == "sql":
        n = sum(1 for _ in report.rows(qs))
        size = 0
    else:
        handle, n = formats.write_xlsx(report.columns, report.rows(qs), title=str(report.title))
        size = handle.seek(0, os.SEEK_END)
        handle.close()
    seconds = time.perf_counter() - start
    print(what, seconds, n, rss_mb(), before, size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--db", default="sc_bench_xlsx")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--measure", choices=["sql", "xlsx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = ensure_database(args.db, args.fresh and not args.measure)

    import django

    django.setup()
    if args.measure:
        measure(args.measure)
        return

    from django.core.management import call_command

    from grants.models import AuditEvent

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    if generate(args.events):
        print(f"generated {AuditEvent.objects.count():,} audit events in {time.perf_counter() - t0:.1f} s")
    runs = {}
    for what in ("sql", "sql", "xlsx"):  # sql twice: the second finds the data in cache, as xlsx does
        out = subprocess.run(
            [sys.executable, __file__, "--db", args.db, "--measure", what],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        runs[what] = (float(out[1]), int(out[2]), float(out[3]), float(out[4]), int(out[5]))
    sql_s, n = runs["sql"][:2]
    xlsx_s, _n, peak, before, size = runs["xlsx"]
    print(f"events:          {n:,}")
    print(f"report rows:     {sql_s:6.2f} s  ({n / sql_s:,.0f} rows/s, the query and its cursor alone)")
    print(
        f"XLSX:            {xlsx_s:6.2f} s  {size / 1e6:7.1f} MB  ({n / xlsx_s:,.0f} rows/s, query included)"
    )
    print(f"writer alone:    {xlsx_s - sql_s:6.2f} s  ({n / (xlsx_s - sql_s):,.0f} rows/s)")
    print(f"peak RSS:        {peak:6.1f} MB (process, before the export {before:.1f} MB)")


if __name__ == "__main__":
    main()
