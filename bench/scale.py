"""Benchmark: every page and API response at EU scale, server time and query count against the goal.

    .venv/bin/python bench/scale.py [--db sc_bench_scale] [--reuse] [--only SUBSTRING] [--exports]

Builds (unless --reuse) a database whose name starts with «sc_bench», with COPY: the Greek reference
data (332 municipalities, the 38-entry catalogue, the programme), then synthetic EU regions (NUTS2),
regional units (NUTS3) and municipalities with LAU codes up to 100,000 municipalities, one application
each spread over every status, about 10 selections each from the 38-entry catalogue (1,000,000), and
5,000,000 audit events written by the application's own COPY writer (grants.audit.insert_rows), so the
hash chain is the real one and valid (`--verify-chain` walks it, which takes minutes). One more
programme holds an application with 1,000 selections, from a catalogue of 1,000 more entries (inactive,
so the portal's 38-entry catalogue stays what municipalities see).

Then it measures, as the right role (officer for the admin, auditor for the reports and the audit
trail, a municipality for the portal, officer and municipality for the API; signed in with a password
through the test client), every admin changelist and change page, every portal page, every /reports/
page and the dashboard, every API list and detail: server time (median of 5, after one warm-up run)
and query count, printed as a table with the goal beside each row. `--exports` adds the CSV exports of
the biggest reports beside COPY of their query (goal: within 2×).
"""

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from contextlib import contextmanager
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
def foreign_keys_checked_once(cursor, table):
    """Django's foreign keys are checked at commit, one lookup per row and key: 20,000,000 for the
    audit trail. Dropped for the load and added back, which checks every row at once (one join per
    key): the same guarantee, in seconds. Other triggers (the selection summary) stay on."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'f'",
        [table],
    )
    keys = cursor.fetchall()
    for name, _definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def copy_rows(cursor, table, columns, rows):
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- the build ----------------------------------------------------------------------------------


def build(args):
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
        user = User.objects.create_user(f"bench-{name}", f"{name}@bench.example", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        users[name] = user
    users["superuser"] = User.objects.create_superuser("bench-superuser", "root@bench.example", PASSWORD)
    municipality_group = Group.objects.get_or_create(name=roles.MUNICIPALITIES)[0]
    for name, municipality in [("kalamata", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"), ("pyli", "ΔΗΜΟΣ ΠΥΛΗΣ")]:
        user = User.objects.create_user(f"bench-{name}", f"{name}@bench.example", PASSWORD)
        user.groups.add(municipality_group)
        MunicipalityAccount.objects.create(
            user=user, municipality=Municipality.objects.get(name=municipality)
        )
        users[name] = user

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
        fixed = {"ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ": "draft", "ΔΗΜΟΣ ΠΥΛΗΣ": "submitted"}
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
                )  # fmt: skip

        columns = [
            "programme_id", "municipality_id", "status", "budget", "inclusion_date", "decision_ada",
            "mis_code", "deinclusion_ada", "proposed_by_id", "submitted_at", "submission_hash", "version",
            "is_demo", "created_at", "updated_at", "review_round", "completion_ada",
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
    log(f"built in {time.perf_counter() - started:.0f} s (goal: under 300 s)")


def write_audit_events(total, apps, chosen, users, municipality_rows, rng, now):
    """`total` events, about the same number per application (created, projects added, its workflow
    steps, amounts changed), in time order over two years, by COPY with their chain hashes. The
    canonical form is formatted here for speed (the one definition, grants.audit_chain, would take
    ten minutes for 5,000,000 events) and compared with audit_chain.canonical on every 1,000th event;
    the hash is audit_chain's own SHA-256 of the previous hash and that form."""
    import datetime
    import hashlib

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
    jsons = {}

    def js(value):
        # Each before/after is one of a few dictionaries: encoded once (compact, sorted: the canonical
        # form's and a valid jsonb input alike).
        key = tuple(value.items())
        if key not in jsons:
            jsons[key] = (encode(value), value)
        return jsons[key][0]

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
                state = "draft"
                steps = [("application.create", None, {}, {"status": "draft"}, None)]
                for project, selection in chosen[app_id]:
                    after = {"amount": "10000.00", "justification": "", "project": project}
                    steps.append(("selection.add", None, {}, after, selection))
                for action in PATH[status]:
                    actor = staff.get(action)
                    steps.append(
                        (f"workflow.{action}", actor, {"status": state}, {"status": statuses[action]}, None)
                    )
                    state = statuses[action]
                while len(steps) < per_app:
                    _project, selection = rng.choice(chosen[app_id])
                    steps.append(
                        ("selection.change", None, {"amount": "10000.00"}, {"amount": "12000.00"}, selection)
                    )
                for k, (action, actor, before, after, selection) in enumerate(steps[:per_app]):
                    if selection is None:
                        ct, oid, orepr = app_type, str(app_id), f"{name} — SMART-CITIES"
                    else:
                        ct, oid, orepr = selection_type, str(selection), str(selection)
                    micro = f"{k * tick:06d}"
                    actor_id = "null" if actor is None else actor.pk
                    actor_name = audit.actor_display(actor) if actor else ""
                    channel = "admin" if actor else "portal"
                    b, a = js(before), js(after)
                    form = (
                        f'{{"action":"{action}","actor":{actor_id},"actor_name":"{actor_name}","after":{a},'
                        f'"application":{app_id},"before":{b},"channel":"{channel}","content_type":{ct},'
                        f'"municipality":{mid},"note":"","object_id":"{oid}","object_repr":"{orepr}",'
                        f'"time":"{canon_second}.{micro}Z"}}'
                    )
                    actor_copy = NULL if actor is None else actor.pk
                    line = (
                        f"{copy_second}.{micro}+00\t{actor_copy}\t{actor_name}\t{channel}\t{action}\t{ct}\t{oid}\t"
                        f"{orepr}\t{mid}\t{app_id}\t{b}\t{a}\t\t"
                    )
                    values = None
                    if n % 1000 == 0:  # checked against the one definition
                        when = base + datetime.timedelta(microseconds=k * tick)
                        values = (when, None if actor is None else actor.pk, actor_name, channel, action, ct,
                                  oid, orepr, mid, app_id, before, after, "")  # fmt: skip
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


def pages(users):
    """(group, url, role) for every page: admin, portal, reports, API."""
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
    return result


def measure(client, url, runs):
    """(status, median wall ms, median CPU ms of this process, queries, median SQL ms). On a shared
    machine the wall time includes waiting for a core; the CPU time is this process's own work."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def once():
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
    for group, url, role in pages(users):
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
        if not hasattr(report, "expressions"):
            print(f"{name + '.csv':<28} {lines - 1:>10,} {ours:8.2f} {'—':>8} {'—':>6}")
            continue
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
