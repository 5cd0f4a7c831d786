"""Benchmark: every page and API response at EU scale, server time and query count against the goal.

    .venv/bin/python bench/scale.py [--db sc_bench_scale] [--reuse] [--only SUBSTRING] [--followups]
                                    [--exports]

Builds (unless --reuse) a database whose name starts with «sc_bench», with COPY: the Greek reference
data (332 municipalities, the 38-entry catalogue, the programme), then synthetic EU regions (NUTS2),
regional units (NUTS3) and municipalities with LAU codes up to 100,000 municipalities, one application
each spread over every status, about 10 selections each from the 38-entry catalogue (1,000,000), and
5,000,000 audit events written by the application's own COPY writer (grants.audit.insert_rows), so the
hash chain is the real one and valid (`--verify-chain` walks it, which takes minutes). One more
programme holds an application with 1,000 selections, from a catalogue of 1,000 more entries (inactive,
so the portal's 38-entry catalogue stays what municipalities see). Then, set-based in SQL, what issues 13
and 14 added, in a running call's proportions (build_followups): an account for every municipality
that applied (80,000) and its notifications, 400,000 documents, the clarification thread of returned
and reviewed applications, 380,000 checklist answers, decision versions, amendments, 150,000
contracts, 300,000 invoices, payments (four eyes), project progress and indicators.

Then it measures, as the right role (officer for the admin, auditor for the reports and the audit
trail, a municipality for the portal, officer and municipality for the API; signed in with a password
through the test client), every admin changelist and change page, every portal page, every /reports/
page and the dashboard, every API list and detail (`--followups`: only issues 13 and 14's): server
time (median of 5, after one warm-up run) and query count, printed as a table with the goal beside
each row. `--exports` adds the CSV exports of
the biggest reports beside COPY of their query (goal: within 2×).
"""

import argparse
import datetime
import os
import random
import secrets
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run with DEBUG off, like production: a key that passes the production rule.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("MFA_REQUIRED", "0")
os.environ.setdefault("API_THROTTLE_USER", "1000000/min")
os.environ.setdefault("EXPORT_JOB_ROWS", str(10**9))
os.environ.setdefault("LOG_LEVEL", "ERROR")

from benchdb import ensure_database  # noqa: E402 (bench/ is the script's directory)

GOAL_MS = 300
PASSWORD = "bench-scale-password-1"
COUNTRIES = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip
SYLLABLES = [
    "BA",
    "BE",
    "BRA",
    "DO",
    "FEL",
    "GAR",
    "HA",
    "KIR",
    "LA",
    "LEN",
    "MAR",
    "NO",
    "OST",
    "PE",
    "RI",
    "SAN",
    "TA",
    "VEL",
    "WIL",
    "ZA",
]
# Share of applications per status (every status present).
STATUS_SHARE = {
    "draft": 20,
    "submitted": 15,
    "under_review": 15,
    "returned": 5,
    "to_be_included": 10,
    "included": 20,
    "rejected": 5,
    "withdrawn": 5,
    "deincluded": 5,
}
# The statuses an application passed through to reach each one (its workflow history).
PATH = {
    "draft": [],
    "submitted": ["submit"],
    "under_review": ["submit", "start_review"],
    "returned": ["submit", "start_review", "return"],
    "to_be_included": ["submit", "start_review", "propose_inclusion"],
    "included": ["submit", "start_review", "propose_inclusion", "include"],
    "rejected": ["submit", "start_review", "reject"],
    "withdrawn": ["submit", "withdraw"],
    "deincluded": ["submit", "start_review", "propose_inclusion", "include", "deinclude"],
}


def log(message, start=None):
    suffix = f" ({time.perf_counter() - start:.1f} s)" if start is not None else ""
    print(f"  {message}{suffix}", flush=True)


@contextmanager
def foreign_keys_checked_once(cursor, table, indexes=False):
    """Django's foreign keys are checked at commit, one lookup per row and key: 20,000,000 for the
    audit trail. Dropped for the load and added back, which checks every row at once (one join per
    key): the same guarantee, in seconds. Other triggers (the selection summary) stay on. With
    `indexes`, the indexes that back no constraint (Django's one per foreign key, the lists') are
    dropped too and built again after: one sort each instead of a descent per row."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'f'",
        [table],
    )
    keys = cursor.fetchall()
    plain = []
    if indexes:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            [table],
        )
        plain = cursor.fetchall()
    for name, _definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in plain:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _name, definition in plain:
        cursor.execute(definition)
    for name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def copy_rows(cursor, table, columns, rows):
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- the build ----------------------------------------------------------------------------------


def build(args):
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from grants import roles
    from grants.models import Municipality, MunicipalityAccount, Programme
    from grants.reference import load_reference_data
    from grants.text import fold

    rng = random.Random(20261129)
    started = time.perf_counter()
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_reference_data()
    log("migrated, Greek reference data loaded", t)
    now = timezone.now()
    programme = Programme.objects.get(code="SMART-CITIES")
    Programme.objects.filter(pk=programme.pk).update(total_budget=10**11)
    large = Programme.objects.create(
        code="LAU-LARGE",
        title="Large catalogue",
        managing_authority="MA",
        total_budget=10**9,
        max_projects=1000,
    )

    users = {}
    for name, group in [
        ("officer", roles.OFFICERS),
        ("approver", roles.APPROVERS),
        ("auditor", roles.AUDITORS),
    ]:
        user = User.objects.create_user(f"bench-{name}", f"{name}@bench.example", None, is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        users[name] = user
    users["superuser"] = User.objects.create_superuser("bench-superuser", "root@bench.example", None)
    municipality_group = Group.objects.get_or_create(name=roles.MUNICIPALITIES)[0]
    # Kalamata: a draft; Pyli: submitted; Tripoli: included (the operation's money, amendments,
    # progress, indicators); Sparti: returned (the thread, documents to answer, a response deadline).
    for name, municipality in [
        ("kalamata", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"),
        ("pyli", "ΔΗΜΟΣ ΠΥΛΗΣ"),
        ("tripoli", "ΔΗΜΟΣ ΤΡΙΠΟΛΗΣ"),
        ("sparti", "ΔΗΜΟΣ ΣΠΑΡΤΗΣ"),
    ]:
        user = User.objects.create_user(f"bench-{name}", f"{name}@bench.example", None)
        user.groups.add(municipality_group)
        MunicipalityAccount.objects.create(
            user=user, municipality=Municipality.objects.get(name=municipality)
        )
        users[name] = user

    # One hash of the password for every account (a hash costs a second of CPU by design).
    User.objects.filter(username__startswith="bench-").update(password=make_password(PASSWORD))

    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # psycopg's own, for COPY
        t = time.perf_counter()
        # Regions (NUTS2) and regional units (NUTS3) of 26 countries, municipalities (LAU) in them.
        regions, units = [], []
        for country in COUNTRIES:
            for r in range(rng.randint(3, 14)):
                code = f"{country}{r // 10}{r % 10 + 1}" if r < 9 else f"{country}{chr(65 + r)}{r % 10}"
                regions.append(
                    (code, f"{country} REGION {r + 1}", rng.choice(["transition", "less_developed"]))
                )
        cur.execute("SELECT max(id) FROM grants_region")
        first_region = cur.fetchone()[0] + 1
        copy_rows(cur, "grants_region", ["code", "name", "category"], regions)
        cur.execute("SELECT id, code FROM grants_region WHERE id >= %s", [first_region])
        for region_id, code in cur.fetchall():
            for u in range(rng.randint(2, 8)):
                units.append((f"{code}{u + 1}", f"{code} UNIT {u + 1}", region_id))
        copy_rows(cur, "grants_regionalunit", ["code", "name", "region_id"], units)
        cur.execute("SELECT id, code FROM grants_regionalunit WHERE length(code) = 5")
        unit_ids = cur.fetchall()
        existing = Municipality.objects.count()

        def municipalities():
            for n in range(args.municipalities - existing):
                unit_id, unit_code = unit_ids[n % len(unit_ids)]
                place = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
                name = f"{rng.choice(['GEMEINDE', 'COMMUNE', 'COMUNE', 'GMINA', 'MUNICIPIO'])} {place} {n}"
                pop = int(rng.lognormvariate(8.5, 1.2)) + 50
                yield (
                    f"{unit_code[:2]}_{n:09d}", name, fold(name), unit_id, pop, int(pop * 1.02),
                    pop < 100_000, "", "",
                )  # fmt: skip

        copy_rows(
            cur,
            "grants_municipality",
            ["elstat_code", "name", "search_key", "regional_unit_id", "population_2011", "population_2021",
             "eligible", "contact_emails", "eligibility_override_reason"],
            municipalities(),
        )  # fmt: skip
        log(f"{len(regions)} regions, {len(units)} regional units, {args.municipalities:,} municipalities", t)

        # Applications: one per municipality in the Smart Cities programme.
        t = time.perf_counter()
        statuses = [s for s, share in STATUS_SHARE.items() for _ in range(share)]
        cur.execute("SELECT id, name FROM grants_municipality ORDER BY id")
        municipality_rows = cur.fetchall()
        fixed = {
            "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ": "draft",
            "ΔΗΜΟΣ ΠΥΛΗΣ": "submitted",
            "ΔΗΜΟΣ ΤΡΙΠΟΛΗΣ": "included",
            "ΔΗΜΟΣ ΣΠΑΡΤΗΣ": "returned",
        }
        today = now.date()
        officer = users["officer"].pk

        def applications():
            for mid, name in municipality_rows:
                status = fixed.get(name) or rng.choice(statuses)
                decided = status in ("included", "deincluded")
                proposed = status in ("to_be_included", "included", "deincluded")
                yield (
                    programme.pk, mid, status, 0, now.date() if decided else None,
                    f"{rng.randrange(16**4):04X}46ΜΤΛ6-{rng.randrange(1000):03d}" if decided else "",
                    "", "", officer if proposed else None, now if status != "draft" else None,
                    secrets.token_hex(32) if status != "draft" else "", 1, False, now, now,
                    0 if status in ("draft", "submitted") else 1, "",
                    # The deadlines the desk and the reminders read: a returned application's answer,
                    # a review's target (some already past), an included operation's expected end.
                    today + timedelta(days=rng.randint(-5, 20)) if status == "returned" else None,
                    today + timedelta(days=rng.randint(-10, 30)) if status == "under_review" else None,
                    today + timedelta(days=rng.randint(400, 900)) if decided else None,
                )  # fmt: skip

        columns = [
            "programme_id", "municipality_id", "status", "budget", "inclusion_date", "decision_ada",
            "mis_code", "deinclusion_ada", "proposed_by_id", "submitted_at", "submission_hash", "version",
            "is_demo", "created_at", "updated_at", "review_round", "completion_ada", "response_due",
            "review_due", "end_date",
        ]  # fmt: skip
        copy_rows(cur, "grants_application", columns, applications())
        log(f"{len(municipality_rows):,} applications", t)

        # Selections: 5 to 15 (about 10) of the 38 catalogue entries each.
        t = time.perf_counter()
        cur.execute("SELECT id FROM projects_catalogueproject ORDER BY id")
        projects = [row[0] for row in cur.fetchall()]
        cur.execute(
            "SELECT id, status FROM grants_application WHERE programme_id = %s ORDER BY id", [programme.pk]
        )
        apps = cur.fetchall()
        chosen = {}

        cur.execute("SELECT coalesce(max(id), 0) FROM projects_selection")
        next_id = [cur.fetchone()[0] + 1]

        stamp = now.isoformat()

        def selections():
            # COPY gives ids in the rows' order: the audit events below name each selection by its id.
            for app_id, _status in apps:
                picked = rng.sample(projects, rng.randint(5, 15))
                chosen[app_id] = [(project, next_id[0] + i) for i, project in enumerate(picked)]
                next_id[0] += len(picked)
                yield "".join(
                    f"{app_id}\t{project}\t{rng.randint(500, 3000) * 10}.00\t\t{stamp}\t{stamp}\n"
                    for project in picked
                )

        sel_columns = ["application_id", "project_id", "amount", "justification", "created_at", "updated_at"]
        with (
            foreign_keys_checked_once(cur, "projects_selection"),
            cur.copy(f"COPY projects_selection ({', '.join(sel_columns)}) FROM STDIN") as copy,
        ):
            for lines in selections():
                copy.write(lines)
        cur.execute("SELECT max(id) FROM projects_selection")
        assert cur.fetchone()[0] == next_id[0] - 1, "selection ids are not in COPY order"
        # A larger catalogue (inactive: the portal keeps its 38 entries) and one application choosing
        # 1,000 of its projects.
        cur.execute(
            'INSERT INTO projects_category ("order", title_el, title_en) VALUES (900, %s, %s) RETURNING id',
            ["Εκτεταμένος κατάλογος", "Large catalogue"],
        )
        category = cur.fetchone()[0]
        copy_rows(
            cur,
            "projects_catalogueproject",
            ["code", "title_el", "title_en", "category_id", "description", "official", "active", "source",
             "search_key"],
            ((f"L{i:04d}", f"Έργο {i}", f"Project {i}", category, "", False, False, "", f"L{i:04d} ΕΡΓΟ {i}")
             for i in range(1000)),
        )  # fmt: skip
        cur.execute(
            """INSERT INTO grants_application (programme_id, municipality_id, status, budget, decision_ada,
                   mis_code, deinclusion_ada, submission_hash, version, is_demo, created_at, updated_at,
                   submitted_at, review_round, completion_ada)
               SELECT %s, id, 'under_review', 0, '', '', '', '', 1, false, now(), now(), now(), 1, ''
               FROM grants_municipality WHERE name = 'ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ' RETURNING id""",
            [large.pk],
        )
        big = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO projects_selection
                   (application_id, project_id, amount, justification, created_at, updated_at)
               SELECT %s, id, 1000.00, '', now(), now() FROM projects_catalogueproject
               WHERE code LIKE 'L%%'""",
            [big],
        )
        cur.execute(
            """UPDATE grants_application a SET budget = s.total
               FROM (SELECT application_id, sum(amount) AS total FROM projects_selection GROUP BY 1) s
               WHERE s.application_id = a.id"""
        )
        cur.execute("SELECT count(*) FROM projects_selection")
        log(f"{cur.fetchone()[0]:,} selections (one application with 1,000)", t)
        build_followups(cur, programme, users, now)

    # The submitted application's receipt digest, as submit writes it (its PDF is then on file).
    from grants.models import Application
    from grants.workflow import submission_hash

    pyli = Application.objects.get(municipality__name="ΔΗΜΟΣ ΠΥΛΗΣ", programme=programme)
    Application.objects.filter(pk=pyli.pk).update(submission_hash=submission_hash(pyli))

    # Audit events through the application's own COPY writer: chained by grants.audit_chain.
    t = time.perf_counter()
    written = write_audit_events(args.events, apps, chosen, users, municipality_rows, rng, now)
    log(f"{written:,} audit events, chained", t)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log("VACUUM ANALYZE", t)
    log(
        f"built in {time.perf_counter() - started:.0f} s (goal: under 300 s; this process's CPU "
        f"{time.process_time():.0f} s, load {' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )


def valid_afms(count, rng):
    """`count` distinct nine-digit ΑΦΜ with a correct check digit (grants.delivery.afm's rule)."""
    found = set()
    while len(found) < count:
        digits = f"{rng.randrange(10**7, 10**8):08d}"
        check = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(digits)) % 11 % 10
        found.add(f"{digits}{check}")
    return sorted(found)


def build_followups(cur, programme, users, now):
    """What issues 13 and 14 added, in the proportions of a running call, set-based in SQL (INSERT …
    SELECT from the rows already loaded: no row crosses the wire, so it is faster than COPY):

    - an account for every municipality that has applied (80% of them; drafts have none yet), whose
      user uploads, answers, declares; the notifications of its application's every status change;
    - documents: the two required ones of every submitted application (and of 30% of drafts), and a
      project's documentation for 30% of selections; one small placeholder name for all (pages show
      the name and size; only a download reads the file, and none is measured);
    - the thread: a return with its requested items (and the municipality's answer, half of them) on
      every returned application, a question and answer on 30% of those under review and 10% of
      those decided since; 40% of the municipality's messages carry an attachment; the officers are
      told of the municipality's messages, the approvers of every proposal;
    - the checklist: every criterion answered in round 1 of every application reviewed (partly for
      those under review);
    - decision version 1 of every included and de-included operation (as migration 0016 writes it);
      for included ones: approved (8%, with version 2), refused (2%) and open (4%) amendments of the
      end date; a contract for 75% of the selected projects (60–95% of the project's amount), one to
      three invoices per contract (each 30% of it: declared ≤ contract), verified (70%, accepted ≤
      declared), pending or rejected; an authorised payment of half the accepted amount (prepared by
      the officer, authorised by the approver) and, for 30%, a prepared one of 30% more; the progress
      of every project with a contract and of half the others; both indicators' targets, and reported
      values for 60%.
    """
    from django.contrib.auth.models import Group

    from grants import roles

    rng = random.Random(20261130)
    t = time.perf_counter()
    officer, approver = users["officer"].pk, users["approver"].pk
    group = Group.objects.get(name=roles.MUNICIPALITIES).pk
    # The tables COPY just filled, described to the planner (otherwise it plans for empty ones).
    cur.execute("ANALYZE grants_municipality, grants_application, projects_selection")
    cur.execute("SELECT setseed(0.20261129)")
    # Every municipality that applied has an account (the same password as the benchmark's own).
    cur.execute(
        """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
               is_staff, is_active, date_joined)
           SELECT (SELECT password FROM auth_user WHERE username = 'bench-kalamata'), false,
                  'm' || a.municipality_id, '', '', 'm' || a.municipality_id || '@bench.example', false,
                  true, now()
           FROM grants_application a
           WHERE a.programme_id = %s AND a.status <> 'draft' AND NOT EXISTS
               (SELECT 1 FROM grants_municipalityaccount x WHERE x.municipality_id = a.municipality_id)""",
        [programme.pk],
    )
    with (
        foreign_keys_checked_once(cur, "grants_municipalityaccount", indexes=True),
        foreign_keys_checked_once(cur, "auth_user_groups", indexes=True),
    ):
        cur.execute(
            """INSERT INTO grants_municipalityaccount (municipality_id, user_id)
               SELECT substr(username, 2)::bigint, id FROM auth_user WHERE username ~ '^m[0-9]+$'"""
        )
        cur.execute(
            """INSERT INTO auth_user_groups (user_id, group_id)
               SELECT id, %s FROM auth_user WHERE username ~ '^m[0-9]+$'""",
            [group],
        )
    cur.execute(
        """CREATE TEMP TABLE bench_app AS
           SELECT a.id, a.status, a.municipality_id, m.name, acc.user_id,
                  coalesce(acc.username, '') AS username,
                  a.budget, a.inclusion_date, a.response_due, a.end_date, a.decision_ada
           FROM grants_application a
           JOIN grants_municipality m ON m.id = a.municipality_id
           LEFT JOIN (SELECT DISTINCT ON (x.municipality_id) x.municipality_id, x.user_id, u.username
                      FROM grants_municipalityaccount x JOIN auth_user u ON u.id = x.user_id
                      ORDER BY x.municipality_id, x.user_id) acc ON acc.municipality_id = a.municipality_id
           WHERE a.programme_id = %s""",
        [programme.pk],
    )
    cur.execute("CREATE INDEX ON bench_app (id)")
    cur.execute("ANALYZE bench_app")
    cur.execute("SELECT count(*) FROM grants_municipalityaccount")
    log(f"{cur.fetchone()[0]:,} municipality accounts", t)

    t = time.perf_counter()
    placeholder = "sc-bench/placeholder.pdf"
    with foreign_keys_checked_once(cur, "grants_document", indexes=True):
        cur.execute(
            """INSERT INTO grants_document (file, filename, format, size, sha256, uploaded_by_name,
                   uploaded_at, application_id, project_id, uploaded_by_id, document_type_id)
               SELECT %s, t.code || '.pdf', 'pdf', 40000 + (a.id * 7919) %% 4000000,
                      md5(a.id || t.code) || md5(t.code || a.id), a.username,
                      now() - interval '40 days', a.id, NULL, a.user_id, t.id
               FROM bench_app a CROSS JOIN grants_documenttype t
               WHERE t.programme_id = %s AND t.scope = 'application'
                 AND (a.status <> 'draft' OR random() < 0.3)""",
            [placeholder, programme.pk],
        )
        cur.execute(
            """INSERT INTO grants_document (file, filename, format, size, sha256, uploaded_by_name,
                   uploaded_at, application_id, project_id, uploaded_by_id, document_type_id)
               SELECT %s, p.code || '-' || t.code || '.pdf', 'pdf', 40000 + (s.id * 7919) %% 4000000,
                      md5(s.id || t.code) || md5(t.code || s.id), a.username,
                      now() - interval '40 days', a.id, s.project_id, a.user_id, t.id
               FROM bench_app a JOIN projects_selection s ON s.application_id = a.id
               JOIN projects_catalogueproject p ON p.id = s.project_id
               CROSS JOIN grants_documenttype t
               WHERE t.programme_id = %s AND t.scope = 'project' AND a.status <> 'draft'
                 AND random() < 0.3""",
            [placeholder, programme.pk],
        )
    cur.execute("SELECT count(*) FROM grants_document")
    log(f"{cur.fetchone()[0]:,} documents", t)

    # The thread: (status, share with a thread).
    t = time.perf_counter()
    cur.execute(
        """CREATE TEMP TABLE bench_thread AS
           SELECT a.*, a.status = 'returned' OR random() < 0.5 AS answered FROM bench_app a
           WHERE a.status = 'returned'
              OR (a.status = 'under_review' AND random() < 0.3)
              OR (a.status IN ('to_be_included', 'included', 'rejected', 'deincluded') AND random() < 0.1)"""
    )
    officer_name = users["officer"].username
    cur.execute(
        """INSERT INTO grants_message (side, kind, author_name, body, requested_items, response_due,
               created_at, application_id, author_id)
           SELECT 'authority', CASE WHEN status = 'returned' THEN 'return' ELSE 'message' END, %s,
                  'Παρακαλούμε να διευκρινίσετε το ποσό του δεύτερου έργου και να επισυνάψετε την '
                  || 'απόφαση του Δημοτικού Συμβουλίου υπογεγραμμένη.',
                  CASE WHEN status = 'returned'
                       THEN '["Υπογεγραμμένη απόφαση Δημοτικού Συμβουλίου", "Αιτιολόγηση ποσών"]'::jsonb
                       ELSE '[]'::jsonb END,
                  CASE WHEN status = 'returned' THEN response_due END,
                  now() - interval '20 days', id, %s
           FROM bench_thread""",
        [officer_name, officer],
    )
    cur.execute(
        """INSERT INTO grants_message (side, kind, author_name, body, requested_items, response_due,
               created_at, application_id, author_id)
           SELECT 'municipality', 'message', username,
                  'Επισυνάπτουμε την υπογεγραμμένη απόφαση· το ποσό αφορά την προμήθεια αισθητήρων.',
                  '[]'::jsonb, NULL, now() - interval '15 days', id, user_id
           FROM bench_thread WHERE answered"""
    )
    cur.execute(
        """INSERT INTO grants_messageattachment (file, filename, format, size, sha256, message_id)
           SELECT %s, 'apofasi-ds.pdf', 'pdf', 250000, md5(id::text) || md5(id::text), id
           FROM grants_message WHERE side = 'municipality' AND random() < 0.4""",
        [placeholder],
    )
    cur.execute("SELECT count(*) FROM grants_message")
    messages = cur.fetchone()[0]
    log(f"{messages:,} messages", t)

    # The inbox: each municipality's status changes (read, but the last), the approvers' proposals,
    # the officers' messages from municipalities (unread while the review is open).
    t = time.perf_counter()
    kinds = {"submit": "status", "start_review": "status", "return": "returned",
             "propose_inclusion": "proposed", "include": "included", "reject": "rejected",
             "withdraw": "status", "deinclude": "status"}  # fmt: skip
    reached = {"submit": "submitted", "start_review": "under_review", "return": "returned",
               "propose_inclusion": "to_be_included", "include": "included", "reject": "rejected",
               "withdraw": "withdrawn", "deinclude": "deincluded"}  # fmt: skip
    steps = [
        (status, n, len(path), kinds[action], reached[action])
        for status, path in PATH.items()
        for n, action in enumerate(path, start=1)
    ]
    with foreign_keys_checked_once(cur, "grants_notification", indexes=True):
        cur.execute(
            f"""INSERT INTO grants_notification (kind, params, created_at, read_at, emailed_at,
                    application_id, recipient_id)
                SELECT s.kind, jsonb_build_object('m', a.name, 'p', %s::text, 's', s.reached)
                       || CASE WHEN s.kind = 'returned' AND a.response_due IS NOT NULL
                               THEN jsonb_build_object('d', a.response_due::text) ELSE '{{}}'::jsonb END,
                       now() - (s.total - s.n) * interval '9 days',
                       CASE WHEN s.n < s.total THEN now() - (s.total - s.n) * interval '8 days' END,
                       now() - (s.total - s.n) * interval '9 days', a.id, a.user_id
                FROM bench_app a
                JOIN (VALUES {", ".join(["(%s, %s, %s, %s, %s)"] * len(steps))})
                     AS s(status, n, total, kind, reached) ON s.status = a.status
                WHERE a.user_id IS NOT NULL""",
            [programme.title, *[v for step in steps for v in step]],
        )
        cur.execute(
            """INSERT INTO grants_notification (kind, params, created_at, read_at, emailed_at,
                   application_id, recipient_id)
               SELECT 'proposed', jsonb_build_object('m', a.name, 'p', %s::text, 's', 'to_be_included'),
                      now() - interval '30 days',
                      CASE WHEN a.status <> 'to_be_included' THEN now() - interval '29 days' END,
                      now() - interval '30 days', a.id, %s
               FROM bench_app a WHERE a.status IN ('to_be_included', 'included', 'deincluded')""",
            [programme.title, approver],
        )
        cur.execute(
            """INSERT INTO grants_notification (kind, params, created_at, read_at, emailed_at,
                   application_id, recipient_id)
               SELECT 'message', jsonb_build_object('m', a.name, 'p', %s::text), m.created_at,
                      CASE WHEN a.status NOT IN ('under_review', 'returned') THEN m.created_at END, NULL,
                      a.id, %s
               FROM grants_message m JOIN bench_app a ON a.id = m.application_id
               WHERE m.side = 'municipality'""",
            [programme.title, officer],
        )
    cur.execute("SELECT count(*) FROM grants_notification")
    log(f"{cur.fetchone()[0]:,} notifications", t)

    t = time.perf_counter()
    with foreign_keys_checked_once(cur, "grants_checklistanswer", indexes=True):
        cur.execute(
            """INSERT INTO grants_checklistanswer (review_round, answer, comment, answered_at,
                   answered_by_id, application_id, criterion_id)
               SELECT 1, CASE WHEN a.status = 'rejected' AND c.code = 'total_within_cap' THEN 'no'
                              ELSE 'yes' END,
                      CASE WHEN a.status = 'rejected' AND c.code = 'total_within_cap'
                           THEN 'Ο προϋπολογισμός υπερβαίνει το όριο.' ELSE '' END,
                      now() - interval '25 days', %s, a.id, c.id
               FROM bench_app a CROSS JOIN grants_checklistcriterion c
               WHERE c.programme_id = %s AND c.active
                 AND a.status IN ('under_review', 'returned', 'to_be_included', 'included', 'rejected',
                                  'deincluded')
                 AND (a.status <> 'under_review' OR random() < 0.6)""",
            [officer, programme.pk],
        )
    cur.execute("SELECT count(*) FROM grants_checklistanswer")
    log(f"{cur.fetchone()[0]:,} checklist answers", t)

    # Decisions: version 1 of every included and de-included operation, as migration 0016 writes it.
    t = time.perf_counter()
    cur.execute(
        """INSERT INTO grants_decisionversion (version, kind, decision_ada, decision_date, budget,
               selections, end_date, created_at, application_id, created_by_id)
           SELECT 1, 'inclusion', a.decision_ada, a.inclusion_date, a.budget, coalesce(j.rows, '[]'::jsonb),
                  a.end_date, now() - interval '60 days', a.id, %s
           FROM bench_app a
           LEFT JOIN (SELECT s.application_id,
                             jsonb_agg(jsonb_build_object('project', p.code, 'amount', s.amount::text)
                                       ORDER BY p.code) AS rows
                      FROM projects_selection s JOIN projects_catalogueproject p ON p.id = s.project_id
                      JOIN bench_app d ON d.id = s.application_id AND d.status IN ('included', 'deincluded')
                      GROUP BY s.application_id) j ON j.application_id = a.id
           WHERE a.status IN ('included', 'deincluded')""",
        [approver],
    )
    # Amendments of included operations' end date: approved (version 2), refused, open.
    cur.execute(
        """CREATE TEMP TABLE bench_amend AS
           SELECT a.id, a.user_id, a.end_date, x.r
           FROM bench_app a, LATERAL (SELECT random() + a.id * 0 AS r) x
           WHERE a.status = 'included' AND a.user_id IS NOT NULL"""
    )
    cur.execute(
        """INSERT INTO grants_decisionversion (version, kind, decision_ada, decision_date, budget,
               selections, end_date, created_at, application_id, created_by_id)
           SELECT 2, 'amendment', 'ΤΡ' || lpad(v.application_id::text, 8, '0'), current_date - 10,
                  v.budget, v.selections, am.end_date + 180, now() - interval '10 days', v.application_id, %s
           FROM bench_amend am JOIN grants_decisionversion v ON v.application_id = am.id AND v.version = 1
           WHERE am.r < 0.08""",
        [approver],
    )
    cur.execute(
        """UPDATE grants_application a SET end_date = am.end_date + 180
           FROM bench_amend am WHERE am.id = a.id AND am.r < 0.08"""
    )
    cur.execute(
        """INSERT INTO grants_amendment (state, justification, budget, selections, end_date, requested_at,
               proposed_at, approved_at, refused_at, decision_ada, decision_date, note, application_id,
               approved_by_id, decision_version_id, proposed_by_id, refused_by_id, requested_by_id)
           SELECT CASE WHEN am.r < 0.08 THEN 'approved' WHEN am.r < 0.10 THEN 'refused'
                       ELSE 'requested' END,
                  'Καθυστέρηση στη διαγωνιστική διαδικασία.', NULL, NULL, am.end_date + 180,
                  now() - interval '30 days',
                  CASE WHEN am.r < 0.10 THEN now() - interval '20 days' END,
                  CASE WHEN am.r < 0.08 THEN now() - interval '10 days' END,
                  CASE WHEN am.r >= 0.08 AND am.r < 0.10 THEN now() - interval '10 days' END,
                  CASE WHEN am.r < 0.08 THEN 'ΤΡ' || lpad(am.id::text, 8, '0') ELSE '' END,
                  CASE WHEN am.r < 0.08 THEN current_date - 10 END, '', am.id,
                  CASE WHEN am.r < 0.08 THEN %s END, v.id,
                  CASE WHEN am.r < 0.10 THEN %s END,
                  CASE WHEN am.r >= 0.08 AND am.r < 0.10 THEN %s END, am.user_id
           FROM bench_amend am
           LEFT JOIN grants_decisionversion v ON v.application_id = am.id AND v.version = 2
           WHERE am.r < 0.14""",
        [approver, officer, approver],
    )
    cur.execute(
        "SELECT (SELECT count(*) FROM grants_decisionversion), (SELECT count(*) FROM grants_amendment)"
    )
    log("{:,} decision versions, {:,} amendments".format(*cur.fetchone()), t)

    # Money: contracts, invoices, payments of included operations.
    t = time.perf_counter()
    afms = valid_afms(2000, rng)
    with foreign_keys_checked_once(cur, "grants_contract", indexes=True):
        cur.execute(
            """INSERT INTO grants_contract (contractor_name, contractor_afm, amount, signed_on, adam,
                   procedure, created_at, checked_at, application_id, checked_by_id, created_by_id,
                   project_id)
               SELECT 'ΑΝΑΔΟΧΟΣ ' || (s.id %% 2000) || ' Α.Ε.', (%s::text[])[1 + s.id %% 2000],
                      round(s.amount * (0.6 + 0.35 * random())::numeric, 2),
                      current_date - 60 - (random() * 150)::int, '25SYMV' || lpad(s.id::text, 12, '0'),
                      (ARRAY['open', 'small_value', 'direct_award', 'framework'])[1 + s.id %% 4],
                      now() - interval '50 days', now() - interval '45 days', a.id, %s, a.user_id,
                      s.project_id
               FROM bench_app a JOIN projects_selection s ON s.application_id = a.id
               WHERE a.status = 'included' AND a.user_id IS NOT NULL AND random() < 0.75""",
            [afms, officer],
        )
    with foreign_keys_checked_once(cur, "grants_expendituredeclaration", indexes=True):
        cur.execute(
            """INSERT INTO grants_expendituredeclaration (invoice_number, invoice_date, amount, is_final,
                   state, accepted_amount, note, declared_at, verified_at, application_id, contract_id,
                   declared_by_id, verified_by_id)
               SELECT 'ΤΙΜ-' || c.id || '-' || k, c.signed_on + (20 * k)::int, round(c.amount * 0.3, 2),
                      false,
                      x.state,
                      CASE x.state WHEN 'verified' THEN round(c.amount * 0.3 * x.share, 2)
                                   WHEN 'rejected' THEN 0 END,
                      CASE x.state WHEN 'rejected' THEN 'Το τιμολόγιο δεν αφορά τη σύμβαση.' ELSE '' END,
                      now() - interval '30 days',
                      CASE WHEN x.state <> 'submitted' THEN now() - interval '20 days' END,
                      c.application_id, c.id, c.created_by_id,
                      CASE WHEN x.state <> 'submitted' THEN %s END
               FROM grants_contract c
               CROSS JOIN LATERAL generate_series(1, 1 + (c.id %% 3)) k
               CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.70 THEN 'verified' WHEN r < 0.95 THEN 'submitted'
                                               ELSE 'rejected' END AS state,
                                          CASE WHEN r < 0.5 THEN 1 ELSE 0.9 END AS share
                                   FROM (SELECT random() + k * 0 AS r) q) x""",
            [officer],
        )
    cur.execute(
        """INSERT INTO grants_payment (amount, reference, state, prepared_at, authorised_at, paid_on, note,
               application_id, authorised_by_id, prepared_by_id)
           SELECT round(v.accepted * 0.5, 2), 'ΠΛΗΡ-' || v.application_id || '-1', 'authorised',
                  now() - interval '15 days', now() - interval '12 days', current_date - 10, '',
                  v.application_id, %s, %s
           FROM (SELECT application_id, sum(accepted_amount) AS accepted FROM grants_expendituredeclaration
                 WHERE state = 'verified' GROUP BY 1) v
           WHERE v.accepted >= 1""",
        [approver, officer],
    )
    cur.execute(
        """INSERT INTO grants_payment (amount, reference, state, prepared_at, authorised_at, paid_on, note,
               application_id, authorised_by_id, prepared_by_id)
           SELECT round(v.accepted * 0.3, 2), 'ΠΛΗΡ-' || v.application_id || '-2', 'prepared',
                  now() - interval '3 days', NULL, NULL, '', v.application_id, NULL, %s
           FROM (SELECT application_id, sum(accepted_amount) AS accepted FROM grants_expendituredeclaration
                 WHERE state = 'verified' GROUP BY 1) v
           WHERE v.accepted >= 1 AND random() < 0.3""",
        [officer],
    )
    cur.execute(
        "SELECT (SELECT count(*) FROM grants_contract), (SELECT count(*) FROM grants_expendituredeclaration),"
        " (SELECT count(*) FROM grants_payment)"
    )
    log("{:,} contracts, {:,} expenditure declarations, {:,} payments".format(*cur.fetchone()), t)

    t = time.perf_counter()
    with foreign_keys_checked_once(cur, "grants_projectprogress", indexes=True):
        cur.execute(
            """INSERT INTO grants_projectprogress (stage, procurement_on, contracted_on, implementation_on,
                   completed_on, updated_at, application_id, project_id, updated_by_id)
               SELECT x.stage, current_date - 200,
                      CASE WHEN x.stage IN ('contracted', 'in_implementation', 'completed')
                           THEN current_date - 150 END,
                      CASE WHEN x.stage IN ('in_implementation', 'completed') THEN current_date - 100 END,
                      CASE WHEN x.stage = 'completed' THEN current_date - 20 END,
                      now() - interval '5 days', a.id, s.project_id, a.user_id
               FROM bench_app a JOIN projects_selection s ON s.application_id = a.id
               LEFT JOIN LATERAL (SELECT 1 AS contracted FROM grants_contract c
                                  WHERE c.application_id = a.id AND c.project_id = s.project_id LIMIT 1) c
                    ON true
               CROSS JOIN LATERAL (SELECT CASE WHEN c.contracted IS NULL THEN 'procurement'
                                               WHEN r < 0.3 THEN 'contracted'
                                               WHEN r < 0.8 THEN 'in_implementation'
                                               ELSE 'completed' END AS stage
                                   FROM (SELECT random() + s.id * 0 AS r) q) x
               WHERE a.status = 'included' AND a.user_id IS NOT NULL
                 AND (c.contracted IS NOT NULL OR random() < 0.5)"""
        )
    cur.execute(
        """INSERT INTO grants_indicatortarget (code, target, set_at, application_id, set_by_id)
           SELECT code, CASE code WHEN 'RCO14' THEN 1 ELSE 1000 + (a.id * 7919) %% 49000 END,
                  now() - interval '60 days', a.id, %s
           FROM bench_app a CROSS JOIN (VALUES ('RCO14'), ('RCR11')) c(code)
           WHERE a.status = 'included'""",
        [officer],
    )
    cur.execute(
        """INSERT INTO grants_indicatorvalue (code, achieved, measured_on, evidence, reported_at,
               application_id, reported_by_id)
           SELECT 'RCR11', (500 + (a.id * 7919) % 20000) * k, current_date - 90 * (3 - k),
                  'Στατιστικά χρήσης της πλατφόρμας.', now() - (3 - k) * interval '90 days', a.id, a.user_id
           FROM bench_app a CROSS JOIN generate_series(1, 2) k
           WHERE a.status = 'included' AND a.user_id IS NOT NULL AND (a.id * 7919) % 10 < 6"""
    )
    cur.execute(
        "SELECT (SELECT count(*) FROM grants_projectprogress), (SELECT count(*) FROM grants_indicatortarget),"
        " (SELECT count(*) FROM grants_indicatorvalue)"
    )
    log(
        "{:,} project progress rows, {:,} indicator targets, {:,} indicator values".format(*cur.fetchone()), t
    )
    cur.execute("DROP TABLE bench_app, bench_thread, bench_amend")


def write_audit_events(total, apps, chosen, users, municipality_rows, rng, now):
    """`total` events, about the same number per application (created, projects added, its workflow
    steps, amounts changed), in time order over two years, by COPY with their chain hashes. The
    canonical form is formatted here for speed (the one definition, grants.audit_chain, would take
    ten minutes for 5,000,000 events) and compared with audit_chain.canonical on every 1,000th event;
    the hash is audit_chain's own SHA-256 of the previous hash and that form."""
    import hashlib
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from grants import audit, audit_chain
    from grants.models import Application
    from projects.models import Selection

    app_type = ContentType.objects.get_for_model(Application).pk
    selection_type = ContentType.objects.get_for_model(Selection).pk
    municipality_of = dict(zip((a for a, _s in apps), municipality_rows, strict=False))
    staff = {
        "start_review": users["officer"], "return": users["officer"], "propose_inclusion": users["officer"],
        "reject": users["officer"], "include": users["approver"], "deinclude": users["approver"],
    }  # fmt: skip
    NULL = "\\N"  # COPY's text format
    statuses = {
        "submit": "submitted", "start_review": "under_review", "return": "returned",
        "propose_inclusion": "to_be_included", "include": "included", "reject": "rejected",
        "withdraw": "withdrawn", "deinclude": "deincluded",
    }  # fmt: skip
    encode = audit_chain._ENCODE  # the canonical form's own JSON encoder
    app_step = 730 * 86_400 // len(apps)  # whole seconds: the canonical times are formatted here
    first = (now - datetime.timedelta(days=730)).replace(microsecond=0)
    per_app = max(1, total // len(apps))
    tick = 999_999 // per_app  # an application's events within one second, in order
    # Everything an event repeats is formatted once: the JSON of each before/after (compact, sorted:
    # the canonical form's and a valid jsonb input alike), each actor's columns, each time's digits.
    actors = {None: ("null", NULL, "", "portal")}
    for user in staff.values():
        actors[user.pk] = (str(user.pk), str(user.pk), audit.actor_display(user), "admin")
    empty = encode({})
    status_json = {s: encode({"status": s}) for s in ["draft", *statuses.values()]}
    added = {}
    change = (encode({"amount": "10000.00"}), encode({"amount": "12000.00"}))
    micros = [f"{k * tick:06d}" for k in range(per_app)]
    loads = json.loads

    def events():
        """(canonical form, COPY line without its hash, content values or None) for every event."""
        n = 0
        while True:
            for index, (app_id, status) in enumerate(apps):
                mid, name = municipality_of[app_id]
                base = first + datetime.timedelta(seconds=app_step * index)
                canon_second, copy_second = (
                    base.strftime("%Y-%m-%dT%H:%M:%S"),
                    base.strftime("%Y-%m-%d %H:%M:%S"),
                )
                app_ref = (app_type, str(app_id), f"{name} — SMART-CITIES")
                # (action, actor's pk, before, after, (content type, object id, object repr))
                steps = [("application.create", None, empty, status_json["draft"], app_ref)]
                for project, selection in chosen[app_id]:
                    if project not in added:
                        after = {"amount": "10000.00", "justification": "", "project": project}
                        added[project] = encode(after)
                    ref = str(selection)
                    steps.append(("selection.add", None, empty, added[project], (selection_type, ref, ref)))
                state = "draft"
                for action in PATH[status]:
                    actor = staff.get(action)
                    steps.append((f"workflow.{action}", actor and actor.pk, status_json[state],
                                  status_json[statuses[action]], app_ref))  # fmt: skip
                    state = statuses[action]
                while len(steps) < per_app:
                    selection = str(rng.choice(chosen[app_id])[1])
                    steps.append(("selection.change", None, *change, (selection_type, selection, selection)))
                for k in range(min(per_app, len(steps))):
                    action, actor_pk, b, a, (ct, oid, orepr) = steps[k]
                    actor_id, actor_copy, actor_name, channel = actors[actor_pk]
                    micro = micros[k]
                    form = (
                        f'{{"action":"{action}","actor":{actor_id},"actor_name":"{actor_name}","after":{a},'
                        f'"application":{app_id},"before":{b},"channel":"{channel}","content_type":{ct},'
                        f'"municipality":{mid},"note":"","object_id":"{oid}","object_repr":"{orepr}",'
                        f'"time":"{canon_second}.{micro}Z"}}'
                    )
                    line = (
                        f"{copy_second}.{micro}+00\t{actor_copy}\t{actor_name}\t{channel}\t{action}\t{ct}\t"
                        f"{oid}\t{orepr}\t{mid}\t{app_id}\t{b}\t{a}\t\t"
                    )
                    values = None
                    if n % 1000 == 0:  # checked against the one definition
                        when = base + datetime.timedelta(microseconds=k * tick)
                        values = (when, actor_pk, actor_name, channel, action, ct, oid, orepr, mid, app_id,
                                  loads(b), loads(a), "")  # fmt: skip
                    yield form, line, values
                    n += 1
                    if n >= total:
                        return

    columns = ", ".join([*audit_chain.COLUMNS, "chain_hash"])
    written = 0
    sha256 = hashlib.sha256
    with transaction.atomic():
        previous = audit_chain.lock_head(connection, "grants_auditevent")
        with (
            connection.cursor() as cursor,
            foreign_keys_checked_once(cursor.cursor, "grants_auditevent"),
            cursor.cursor.copy(f"COPY grants_auditevent ({columns}) FROM STDIN") as copy,
        ):
            buffer = []
            for form, line, values in events():
                if values is not None:
                    assert form == audit_chain.canonical(values), (form, audit_chain.canonical(values))
                previous = sha256((previous + form).encode()).hexdigest()
                buffer.append(f"{line}{previous}\n")
                written += 1
                if len(buffer) == 20_000:
                    copy.write("".join(buffer))
                    buffer = []
                    if written % 500_000 == 0:
                        print(f"\r  … {written:,} audit events", end="", flush=True)
            copy.write("".join(buffer))
    print("\r", end="")
    return written


# --- the measurements ---------------------------------------------------------------------------


def pages(users, followups_only=False):
    """(group, url, role) for every page: admin, portal, reports, API (with `followups_only`, those
    of issues 13 and 14 alone)."""
    from django.contrib import admin
    from django.urls import reverse

    from grants.models import Application, AuditEvent, Municipality, Programme
    from grants.reports.definitions import REPORTS
    from projects.models import Selection

    kalamata = users["kalamata"].municipality_account.municipality
    own = Application.objects.get(municipality=kalamata, programme__code="SMART-CITIES")
    big = Application.objects.get(programme__code="LAU-LARGE")
    submitted = Application.objects.get(municipality=users["pyli"].municipality_account.municipality)
    typical = Application.objects.filter(programme__code="SMART-CITIES", status="included").order_by("pk")[
        500
    ]
    if followups_only:
        return followup_pages(users, typical)
    own_selection = Selection.objects.filter(application=own).order_by("pk").first()
    result = [("admin", reverse("admin:index"), "officer")]
    samples = {
        Application: typical.pk,
        Municipality: Municipality.objects.filter(elstat_code__contains="_").order_by("pk")[1000].pk,
        AuditEvent: AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[1000],
        Selection: Selection.objects.order_by("pk").values_list("pk", flat=True)[500_000]
        if Selection.objects.count() > 500_000
        else own_selection.pk,
    }
    for model, _model_admin in sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label):
        opts = model._meta
        # Groups and lock-outs are the superuser's; the audit trail the auditor's; the rest the officer's.
        role = "superuser" if opts.app_label == "axes" or model.__name__ == "Group" else "officer"
        role = "auditor" if model is AuditEvent else role
        result.append(("admin", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), role))
        pk = samples.get(model) or model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            result.append(
                ("admin", reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]), role)
            )
    result.append(("admin", reverse("admin:grants_application_change", args=[big.pk]) + "#1000", "officer"))
    result.append(("admin", reverse("admin:grants_auditevent_changelist") + "?action=workflow.", "auditor"))
    included = "?application__status__exact=included"
    result.append(("admin", reverse("admin:projects_selection_changelist") + included, "officer"))
    result.append(("admin", reverse("admin:grants_application_changelist") + "?q=gemeinde", "officer"))
    result.append(("admin", reverse("admin:grants_municipality_changelist") + "?q=de_000000042", "officer"))

    result += [
        ("portal", reverse("portal:home"), "kalamata"),
        ("portal", reverse("portal:accessibility"), "kalamata"),
        ("portal", reverse("portal:application", args=[own.pk]), "kalamata"),
        ("portal", reverse("portal:cap_bar", args=[own.pk]), "kalamata"),
        ("portal", reverse("portal:selection_edit", args=[own_selection.pk]), "kalamata"),
        ("portal", reverse("portal:application", args=[submitted.pk]), "pyli"),
        ("portal", reverse("portal:receipt", args=[submitted.pk]), "pyli"),
        ("portal", reverse("portal:receipt_pdf", args=[submitted.pk]), "pyli"),
    ]
    result.append(("reports", reverse("reports:dashboard"), "auditor"))
    for name in REPORTS:
        result.append(("reports", reverse("reports:page", args=[name]), "auditor"))
    result.append(("reports", reverse("reports:page", args=["caps"]) + "?q=gemeinde", "auditor"))
    result.append(("reports", reverse("reports:search") + "?q=gemeinde", "auditor"))
    result.append(("reports", reverse("reports:search") + f"?q={kalamata.elstat_code}", "auditor"))

    programme = Programme.objects.get(code="SMART-CITIES")
    api = [
        ("/api/v1/municipalities/", "officer"),
        (f"/api/v1/municipalities/{samples[Municipality]}/", "officer"),
        ("/api/v1/municipalities/?q=gemeinde", "officer"),
        ("/api/v1/categories/", "officer"),
        ("/api/v1/catalogue/", "officer"),
        (f"/api/v1/catalogue/{own_selection.project_id}/", "officer"),
        ("/api/v1/programmes/", "officer"),
        (f"/api/v1/programmes/{programme.pk}/", "officer"),
        ("/api/v1/applications/", "officer"),
        ("/api/v1/applications/?status=included", "officer"),
        (f"/api/v1/applications/{typical.pk}/", "officer"),
        (f"/api/v1/applications/{big.pk}/", "officer"),
        (f"/api/v1/applications/{typical.pk}/selections/", "officer"),
        (f"/api/v1/applications/{big.pk}/selections/", "officer"),
        (f"/api/v1/applications/{typical.pk}/history/", "officer"),
        (f"/api/v1/applications/{typical.pk}/transitions/", "officer"),
        ("/api/v1/reports/popularity/", "officer"),
        ("/api/v1/reports/budgets/", "officer"),
        ("/api/v1/reports/absorption/", "officer"),
        ("/api/v1/exports/", "officer"),
        ("/api/v1/applications/", "kalamata"),
        (f"/api/v1/applications/{own.pk}/", "kalamata"),
        (f"/api/v1/applications/{own.pk}/selections/", "kalamata"),
        (f"/api/v1/applications/{own.pk}/selections/{own_selection.pk}/", "kalamata"),
        (f"/api/v1/applications/{own.pk}/history/", "kalamata"),
        ("/api/v1/municipalities/", "kalamata"),
        ("/api/v1/reports/popularity/", "kalamata"),
    ]
    result += [("api", url, role) for url, role in api]
    result += followup_pages(users, typical)
    return result


def followup_pages(users, typical):
    """The pages and responses issues 13 and 14 added: the documents, the thread, the inbox and the
    to-dos, the checklist; an included operation's decisions, amendments, money, progress and
    indicators, and their reports. As the municipality on its own application (Sparti's returned one,
    Tripoli's included one) and as the officer on an operation that has every kind of record."""
    from django.urls import reverse

    from grants.models import (
        Amendment,
        Application,
        Contract,
        Document,
        ExpenditureDeclaration,
        Notification,
        Payment,
    )

    returned = Application.objects.get(municipality=users["sparti"].municipality_account.municipality)
    own_op = Application.objects.get(municipality=users["tripoli"].municipality_account.municipality)

    # An operation with an approved amendment, a prepared payment and indicator values (about one in
    # a hundred included ones), from the middle of the table.
    def middle(queryset, nth):
        pks = list(queryset.order_by("pk").values_list("pk", flat=True).distinct()[: nth + 1])
        return Application.objects.get(pk=pks[-1])

    operation = middle(
        Application.objects.filter(
            programme__code="SMART-CITIES",
            status="included",
            amendments__state="approved",
            payments__state="prepared",
            indicator_values__isnull=False,
        ),
        50,
    )
    reviewing = middle(Application.objects.filter(programme__code="SMART-CITIES", status="under_review"), 500)
    document = Document.objects.filter(application=returned).order_by("pk").first()
    amendment = Amendment.objects.filter(application=operation).order_by("pk").first()
    contract = Contract.objects.filter(application=operation).order_by("pk").first()
    declaration = ExpenditureDeclaration.objects.filter(application=operation).order_by("pk").first()
    payment = Payment.objects.filter(application=operation).order_by("pk").first()
    notification = Notification.objects.filter(recipient=users["sparti"]).order_by("-pk").first()
    result = [
        ("admin", reverse("admin-inbox"), "officer"),
        ("admin", reverse("admin-inbox"), "approver"),
        ("admin", reverse("admin-preferences"), "officer"),
        ("admin", reverse("admin:grants_application_change", args=[returned.pk]), "officer"),
        ("admin", reverse("admin:grants_application_change", args=[operation.pk]), "officer"),
        ("admin", reverse("admin:grants_application_change", args=[reviewing.pk]), "officer"),
        ("admin", reverse("admin:grants_application_thread", args=[returned.pk]), "officer"),
        ("admin", reverse("admin:grants_amendment_change", args=[amendment.pk]), "officer"),
        ("admin", reverse("admin:grants_amendment_request", args=[operation.pk]), "officer"),
        ("admin", reverse("admin:grants_amendment_targets", args=[operation.pk]), "officer"),
        ("admin", reverse("admin:grants_contract_change", args=[contract.pk]), "officer"),
        ("admin", reverse("admin:grants_expendituredeclaration_change", args=[declaration.pk]), "officer"),
        ("admin", reverse("admin:grants_expendituredeclaration_changelist") + "?state=submitted", "officer"),
        ("admin", reverse("admin:grants_payment_change", args=[payment.pk]), "approver"),
        ("admin", reverse("admin:grants_payment_changelist") + "?state=prepared", "approver"),
        ("admin", reverse("admin:grants_payment_prepare"), "officer"),
        ("admin", reverse("admin:grants_amendment_changelist") + "?state=requested", "officer"),
    ]
    portal = [
        ("portal:home", [], "sparti"),
        ("portal:home", [], "tripoli"),
        ("portal:inbox", [], "sparti"),
        ("portal:inbox", [], "tripoli"),
        ("portal:notification", [notification.pk], "sparti"),
        ("portal:preferences", [], "sparti"),
        ("portal:application", [returned.pk], "sparti"),
        ("portal:documents", [returned.pk], "sparti"),
        ("portal:messages", [returned.pk], "sparti"),
        ("portal:application", [own_op.pk], "tripoli"),
        ("portal:documents", [own_op.pk], "tripoli"),
        ("portal:operation", [own_op.pk], "tripoli"),
        ("portal:amendment_new", [own_op.pk], "tripoli"),
        ("portal:progress_set", [own_op.pk], "tripoli"),
        ("portal:indicator_report", [own_op.pk], "tripoli"),
        ("portal:money", [own_op.pk], "tripoli"),
        ("portal:contract_new", [own_op.pk], "tripoli"),
        ("portal:declaration_new", [own_op.pk], "tripoli"),
    ]
    result += [("portal", reverse(name, args=args), role) for name, args, role in portal]
    a, r, o, m = (f"/api/v1/applications/{x.pk}" for x in (operation, returned, own_op, reviewing))
    api = [
        ("/api/v1/document-types/", "officer"),
        ("/api/v1/document-types/", "sparti"),
        ("/api/v1/notifications/", "officer"),
        ("/api/v1/notifications/", "approver"),
        ("/api/v1/notifications/", "sparti"),
        (f"{r}/documents/", "officer"),
        (f"{r}/documents/{document.pk}/", "officer"),
        (f"{r}/documents/", "sparti"),
        (f"{r}/documents/{document.pk}/", "sparti"),
        (f"{r}/messages/", "officer"),
        (f"{r}/messages/", "sparti"),
        (f"{r}/checklist/", "officer"),
        (f"{m}/checklist/", "officer"),
        (f"/api/v1/applications/{typical.pk}/checklist/", "officer"),
        (f"{a}/decisions/", "officer"),
        (f"{a}/amendments/", "officer"),
        (f"{a}/amendments/{amendment.pk}/", "officer"),
        (f"{a}/amendments/{amendment.pk}/transitions/", "officer"),
        (f"{a}/progress/", "officer"),
        (f"{a}/indicators/", "officer"),
        (f"{a}/contracts/", "officer"),
        (f"{a}/contracts/{contract.pk}/", "officer"),
        (f"{a}/contracts/{contract.pk}/transitions/", "officer"),
        (f"{a}/declarations/", "officer"),
        (f"{a}/declarations/{declaration.pk}/", "officer"),
        (f"{a}/declarations/{declaration.pk}/transitions/", "officer"),
        (f"{a}/payments/", "officer"),
        (f"{a}/payments/{payment.pk}/", "officer"),
        (f"{a}/payments/{payment.pk}/transitions/", "approver"),
        (f"{o}/decisions/", "tripoli"),
        (f"{o}/amendments/", "tripoli"),
        (f"{o}/progress/", "tripoli"),
        (f"{o}/indicators/", "tripoli"),
        (f"{o}/contracts/", "tripoli"),
        (f"{o}/declarations/", "tripoli"),
        (f"{o}/payments/", "tripoli"),
        ("/api/v1/reports/absorption/", "officer"),
        ("/api/v1/reports/absorption/?group=municipality", "officer"),
        ("/api/v1/reports/absorption/?group=region", "officer"),
        ("/api/v1/reports/absorption/?group=programme", "officer"),
        ("/api/v1/reports/absorption/", "tripoli"),
        ("/api/v1/reports/indicators/", "officer"),
        ("/api/v1/reports/indicators/?group=region", "officer"),
    ]
    result += [("api", url, role) for url, role in api]
    return result


def measure(client, url, runs):
    """(status, median wall ms, median CPU ms of this process, queries, median SQL ms). On a shared
    machine the wall time includes waiting for a core; the CPU time is this process's own work."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def once():
        # The log keeps the last 9,000 queries: once full, its length no longer grows and the context
        # would capture nothing (the follow-up rows printed 0 queries after a few hundred pages).
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            if getattr(response, "streaming", False):
                for _ in response.streaming_content:
                    pass
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        return response.status_code, wall * 1000, cpu * 1000, len(queries.captured_queries), sql * 1000

    status, _wall, _cpu, count, _sql = once()  # warm-up
    runs = [once() for _ in range(runs)]
    return (
        status,
        statistics.median(r[1] for r in runs),
        statistics.median(r[2] for r in runs),
        count,
        statistics.median(r[4] for r in runs),
    )


def run_measurements(args):
    from django.contrib.auth.models import User
    from django.test import Client, RequestFactory

    users = {u.username.removeprefix("bench-"): u for u in User.objects.filter(username__startswith="bench-")}
    clients = {}
    for role, user in users.items():
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="el")
        # A real sign-in (django-axes wants the request it guards).
        login_request = RequestFactory().post("/accounts/login/")
        assert client.login(request=login_request, username=user.username, password=PASSWORD), role
        clients[role] = client
    rows = []
    head = f"{'page':<64} {'as':<9} {'status':>6} {'ms':>6} {'cpu ms':>6} {'sql ms':>6} {'queries':>7}"
    print(f"\n{head} {'goal':>6}")
    for group, url, role in pages(users, followups_only=args.followups):
        if args.only and args.only not in url:
            continue
        code, ms, cpu, queries, sql = measure(clients[role], url, args.runs)
        ok = code == 200 and ms <= GOAL_MS
        rows.append((group, url, role, code, ms, queries, ok))
        verdict = "ok" if ok else "SLOW"
        line = (
            f"{url[:64]:<64} {role:<9} {code:>6} {ms:6.0f} {cpu:6.0f} {sql:6.0f} {queries:>7} {GOAL_MS:>4}ms"
        )
        print(f"{line} {verdict}")
    slow = [r for r in rows if not r[6]]
    print(f"\n{len(rows) - len(slow)} of {len(rows)} within {GOAL_MS} ms (median of {args.runs}, status 200)")
    return rows


def run_exports(args):
    """CSV exports of the biggest reports, beside COPY of the same query (goal: within 2×)."""
    import psycopg
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import RequestFactory

    from grants.reports.definitions import REPORTS
    from grants.reports.views import report_download

    auditor = User.objects.get(username="bench-auditor")
    print(f"\n{'export':<28} {'rows':>10} {'view s':>8} {'COPY s':>8} {'ratio':>6}")
    for name in ["operations", "selections", "caps", "popularity", "open-data"]:
        report = REPORTS[name]()
        request = RequestFactory().get(f"/reports/{name}.csv")
        request.user = auditor
        start = time.perf_counter()
        response = report_download(request, name=name, fmt="csv")
        lines = 0
        for chunk in response.streaming_content if response.streaming else [response.content]:
            lines += chunk.count(b"\n")
        ours = time.perf_counter() - start
        if hasattr(report, "csv_values"):
            # The caps: the query whose cells the database computes by the cap rule.
            qs = report.csv_values(report.filterset(auditor, {}).qs)
        elif not hasattr(report, "expressions"):
            print(f"{name + '.csv':<28} {lines - 1:>10,} {ours:8.2f} {'—':>8} {'—':>6}")
            continue
        else:
            qs = (
                report.filterset(auditor, {})
                .qs.order_by(*report.ordering)
                .values_list(*report.expressions(for_csv=True))
            )
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cur:
            raw = cur.connection
            query = psycopg.ClientCursor(raw).mogrify(sql, params)
            start = time.perf_counter()
            with raw.cursor().copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for _data in copy:
                    pass
            copy_s = time.perf_counter() - start
        print(f"{name + '.csv':<28} {lines - 1:>10,} {ours:8.2f} {copy_s:8.2f} {ours / copy_s:5.1f}×")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sc_bench_scale")
    parser.add_argument("--reuse", action="store_true", help="measure the existing database, build nothing")
    parser.add_argument("--municipalities", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="measure only the URLs containing this")
    parser.add_argument(
        "--exports", action="store_true", help="also time the biggest CSV exports against COPY"
    )
    parser.add_argument("--followups", action="store_true", help="measure only the pages of issues 13 and 14")
    parser.add_argument("--verify-chain", action="store_true", help="walk the audit chain after the build")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = ensure_database(args.db, fresh=not args.reuse)

    import django

    django.setup()
    import logging

    from django.core.management import call_command

    # The request log (one JSON line per request on stdout) would drown the table.
    for name in ("grants.requests", "django.request", "django.security"):
        logging.getLogger(name).disabled = True

    if not args.reuse:
        print(f"building {args.db} …")
        build(args)
    else:
        call_command("migrate", verbosity=0)
    if args.verify_chain:
        from grants.audit import verify_chain

        t = time.perf_counter()
        count, broken, _last = verify_chain()
        log(f"audit chain: {count:,} events, {'valid' if broken is None else f'broken at {broken}'}", t)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    run_measurements(args)
    if args.exports:
        run_exports(args)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
