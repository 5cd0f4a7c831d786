"""Benchmark: export 1,000,000 selection rows as CSV through the reports' own code path, next to
PostgreSQL's `COPY (the same query) TO STDOUT`, with peak memory.

    .venv/bin/python bench/bench_export_csv.py [--rows 1000000] [--db sc_bench_export] [--fresh]

The database (its name must start with «sc_bench») is created and migrated when missing, and filled
with synthetic data by INSERT … SELECT (1,000 municipalities × 1,000 catalogue projects = 1,000,000
selections); it is reused on later runs unless --fresh. The export is the real download view
(/reports/selections.csv as an auditor: scoping, FilterSet, COUNT, AuditEvent, streamed response);
its bytes are consumed and dropped, as are COPY's. Goal: within 2× of COPY, peak memory < 200 MB.
"""

import argparse
import os
import resource
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG off, like production: a key that passes the production rule.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# It times the download built inside the request; beyond EXPORT_JOB_ROWS the view would hand it to a job.
os.environ.setdefault("EXPORT_JOB_ROWS", str(10**9))

import benchdb  # noqa: E402 (bench/ is the script's directory)
from benchdb import ensure_database  # noqa: E402


def generate(rows: int):
    """Reference rows through the ORM in bulk, the selections by one INSERT … SELECT."""
    from decimal import Decimal

    from django.db import connection, transaction

    from grants.models import Application, ApplicationStatus, Municipality
    from projects.models import CatalogueProject, Category, Selection

    side = max(1, int(rows**0.5))
    if Selection.objects.count() == side * side:
        return False
    with transaction.atomic():
        programme = benchdb.registry(side, Decimal("999999999999.00"))
        category = Category.objects.create(order=1, title_el="Βιώσιμη Μετακίνηση", title_en="Mobility")
        CatalogueProject.objects.bulk_create(
            CatalogueProject(
                code=f"P{i:04d}",
                title_el=f"Έργο έξυπνης πόλης αριθμός {i}",
                title_en=f"Smart city project {i}",
                category=category,
            )
            for i in range(side)
        )
        Application.objects.bulk_create(
            Application(programme=programme, municipality=m, status=ApplicationStatus.SUBMITTED)
            for m in Municipality.objects.all()
        )
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO projects_selection (application_id, project_id, amount, justification,
                                                created_at, updated_at)
                SELECT a.id, p.id, round((random() * 200000)::numeric, 2), '', now(), now()
                FROM grants_application a CROSS JOIN projects_catalogueproject p
                """
            )
            cur.execute("ANALYZE")
    return True


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def export_via_view(user) -> tuple[int, float]:
    from django.test import RequestFactory

    from grants.reports.views import report_download

    request = RequestFactory().get("/reports/selections.csv")
    request.user = user
    start = time.perf_counter()
    response = report_download(request, name="selections", fmt="csv")
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    return size, time.perf_counter() - start


def export_via_csv_writer(user) -> tuple[int, float]:
    """The portable path (SQLite, reports with Python-formatted cells): server-side cursor + csv.writer."""
    from grants.reports import formats
    from grants.reports.definitions import REPORTS

    report = REPORTS["selections"]()
    qs = report.filterset(user, {}).qs
    start = time.perf_counter()
    convs = formats.csv_converters(report.columns, escape=False)
    size = sum(
        len(c) for c in formats.stream_csv(report.columns, report.rows(qs, for_csv=True), converters=convs)
    )
    return size, time.perf_counter() - start


def export_via_copy(user) -> tuple[int, float]:
    import psycopg
    from django.db import connection

    from grants.reports.definitions import REPORTS

    report = REPORTS["selections"]()
    qs = (
        report.filterset(user, {})
        .qs.order_by(*report.ordering)
        .values_list(*report.expressions(for_csv=True))
    )
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        raw = cur.connection
        query = psycopg.ClientCursor(raw).mogrify(sql, params)
        start = time.perf_counter()
        size = 0
        with raw.cursor().copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for data in copy:
                size += len(data)
    return size, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sc_bench_export")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--csv-writer", action="store_true", help="also time the portable csv.writer path")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = ensure_database(args.db, args.fresh)

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from grants import roles
    from projects.models import Selection

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    if generate(args.rows):
        print(f"generated {Selection.objects.count():,} selections in {time.perf_counter() - t0:.1f} s")
    user, _ = User.objects.get_or_create(username="bench-auditor")
    user.groups.add(Group.objects.get_or_create(name=roles.AUDITORS)[0])
    user = User.objects.get(pk=user.pk)

    n = Selection.objects.count()
    copy_bytes, copy_s = export_via_copy(user)  # first, so both runs find the data in cache
    copy_bytes, copy_s = export_via_copy(user)
    before = rss_mb()
    ours_bytes, ours_s = export_via_view(user)
    peak = rss_mb()
    print(f"rows:            {n:,}")
    print(f"report CSV:      {ours_s:6.2f} s  {ours_bytes / 1e6:7.1f} MB  ({n / ours_s:,.0f} rows/s)")
    print(f"COPY TO STDOUT:  {copy_s:6.2f} s  {copy_bytes / 1e6:7.1f} MB  ({n / copy_s:,.0f} rows/s)")
    print(f"ratio:           {ours_s / copy_s:6.2f}× COPY (goal ≤ 2×)")
    if args.csv_writer:
        w_bytes, w_s = export_via_csv_writer(user)
        print(f"csv.writer path: {w_s:6.2f} s  {w_bytes / 1e6:7.1f} MB  ({w_s / copy_s:.2f}× COPY, portable)")
        peak = rss_mb()
    print(f"peak RSS:        {peak:6.1f} MB (process, before the export {before:.1f} MB; goal < 200 MB)")


if __name__ == "__main__":
    main()
