"""Reports and exports: totals reconcile with the database, formats are safe and readable, access is
staff-only and read-only, and every export is recorded."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants import services, workflow
from grants.formatting import format_eur
from grants.imports import matching
from grants.models import Application, AuditEvent, Municipality
from grants.models import ApplicationStatus as S
from grants.reports import formats
from grants.reports.definitions import REPORTS
from grants.reports.views import export_queryset_response
from projects import services as project_services
from projects.models import CatalogueProject, Selection
from tests.conftest import (
    make_catalogue,
    make_category,
    make_kalamata,
    make_municipality,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    make_staff,
    per_test,
)

ALL_DOWNLOADS = [(name, fmt) for name, cls in REPORTS.items() for fmt in cls.formats]
INCLUSION = {"inclusion_date": datetime.date(2024, 7, 2), "decision_ada": "ΕΨΚ446ΜΤΛ6-ΡΞΥ"}


def _apply(programme, municipality, choices, officer):
    app, _ = services.application_get_or_create(programme=programme, municipality=municipality)
    for project, amount in choices:
        project_services.selection_add(application=app, project=project, amount=amount, actor=officer)
    return app


def _advance(app, officer, approver, upto):
    steps = [("submit", officer, {}), ("start_review", officer, {}), ("propose_inclusion", officer, {})]
    steps.append(("include", approver, {**INCLUSION, "mis_code": f"60{app.pk:05d}"}))
    for action, actor, fields in steps:
        workflow.transition(app, action, actor=actor, **fields)
        if app.status == upto:
            return app
    return app


def _world(programme, kalamata, pyli, catalogue, officer, approver, regional_unit):
    """Kalamata included, Pyli to be included, a submitted one whose name tries a formula, a draft."""
    evil = make_municipality(regional_unit, "4402", '=HYPERLINK("http://x","ΔΗΜΟΣ")', 20000)
    draft_m = make_municipality(regional_unit, "4403", "ΔΗΜΟΣ ΜΕΣΣΗΝΗΣ", 23000)
    t = catalogue
    k = _advance(
        _apply(programme, kalamata, [(t[0], "100000.50"), (t[1], "50000")], officer),
        officer,
        approver,
        S.INCLUDED,
    )
    p = _advance(
        _apply(programme, pyli, [(t[0], "30000"), (t[2], "12345.67")], officer),
        officer,
        approver,
        S.TO_BE_INCLUDED,
    )
    e = _advance(_apply(programme, evil, [(t[3], "1000")], officer), officer, approver, S.SUBMITTED)
    d = _apply(programme, draft_m, [(t[0], "2000")], officer)
    t[4].title_el = "@SUM(1+1) Έργο"
    project_services.catalogue_project_save(project=t[4], actor=officer)
    return {"included": k, "tbi": p, "evil": e, "draft": d}


@pytest.fixture(scope="module")
def built(module_db):
    """The world and the accounts, built once for the module (tests/conftest.py: module_db)."""
    with module_db.unblock():
        regional_unit = make_regional_unit(make_region())
        built = {
            "regional_unit": regional_unit,
            "programme": make_programme(),
            "kalamata": make_kalamata(regional_unit),
            "pyli": make_pyli(regional_unit),
            "catalogue": make_catalogue(make_category()),
            **{name: make_staff(name) for name in ("officer", "approver", "auditor")},
        }
        built["world"] = _world(**{k: v for k, v in built.items() if k != "auditor"})
    return built


world, regional_unit, programme, kalamata, pyli, catalogue, officer, approver, auditor = (
    per_test(name, "built")
    for name in (
        "world",
        "regional_unit",
        "programme",
        "kalamata",
        "pyli",
        "catalogue",
        "officer",
        "approver",
        "auditor",
    )
)


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.getvalue() if hasattr(response, "getvalue") else response.content


def _json(client, user, name, **params):
    response = _get(client, user, f"/reports/{name}.json", **params)
    assert response.status_code == 200, response.content
    return json.loads(_body(response))


def _csv(client, user, name, **params):
    response = _get(client, user, f"/reports/{name}.csv", **params)
    assert response.status_code == 200
    raw = _body(response)
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _sum(rows, key):
    return sum((Decimal(r[key]) for r in rows if r[key] not in (None, "")), Decimal("0"))


# --- totals reconcile with the database ----------------------------------------------------------


def test_operations_and_inclusions_reconcile(client, world, auditor):
    ops = _json(client, auditor, "operations")
    assert len(ops) == Application.objects.count() == 4
    assert _sum(ops, "budget") == Application.objects.aggregate(s=Sum("budget"))["s"]
    filtered = _json(
        client, auditor, "operations", status=[S.INCLUDED, S.TO_BE_INCLUDED], budget_min="100000"
    )
    expected = Application.objects.filter(status__in=[S.INCLUDED, S.TO_BE_INCLUDED], budget__gte=100000)
    assert [r["beneficiary"] for r in filtered] == list(expected.values_list("municipality__name", flat=True))
    assert _sum(filtered, "budget") == expected.aggregate(s=Sum("budget"))["s"] == Decimal("150000.50")

    inc = _json(client, auditor, "inclusions")
    published = Application.objects.filter(status__in=[S.INCLUDED, S.TO_BE_INCLUDED])
    assert _sum(inc, "budget") == published.aggregate(s=Sum("budget"))["s"]
    assert [r["status"] for r in inc] == ["Ενταγμένη", "Προς ένταξη"]

    page = _get(client, auditor, "/reports/operations/")
    assert page.status_code == 200
    assert format_eur(Application.objects.aggregate(s=Sum("budget"))["s"]) in page.content.decode()


def test_selections_popularity_and_open_data_reconcile(client, world, auditor):
    sel = _json(client, auditor, "selections")
    assert len(sel) == Selection.objects.count()
    assert _sum(sel, "amount") == Selection.objects.aggregate(s=Sum("amount"))["s"]

    pop = _json(client, auditor, "popularity")
    chosen = dict(
        Selection.objects.values_list("project__code").annotate(n=Count("application", distinct=True))
    )
    assert {r["project_code"]: r["applicants"] for r in pop if r["applicants"]} == chosen
    assert pop[0]["project_code"] == "T01" and pop[0]["applicants"] == 3  # most chosen first
    assert _sum(pop, "amount") == Selection.objects.aggregate(s=Sum("amount"))["s"]
    assert Decimal(pop[0]["share"]) == Decimal("0.75")  # 3 of the 4 applications

    opendata = _json(client, auditor, "open-data")
    included = Application.objects.filter(status=S.INCLUDED)
    assert _sum(opendata, "total_cost") == included.aggregate(s=Sum("budget"))["s"]
    row = opendata[0]
    assert row["operation_code"] == world["included"].mis_code and row["nuts"] == "EL65"
    assert (
        row["purpose"] == "Έργο 1; Έργο 2" and row["fund"] == "ERDF" and row["cofinancing_rate"] == "0.8500"
    )


def test_open_data_purpose_is_joined_by_the_database_and_streams_by_copy(
    client, world, auditor, officer, catalogue
):
    catalogue[0].title_el = "=1+1 Έργο"
    project_services.catalogue_project_save(project=catalogue[0], actor=officer)
    report = REPORTS["open-data"]()
    assert report.csv_stream(report.scoped(auditor)) is not None  # COPY, not rows through csv.writer

    header, row = _csv(client, auditor, "open-data")
    purpose = header.index(str(report.columns[report.PURPOSE].label))
    assert row[purpose] == "'=1+1 Έργο; Έργο 2"  # in code order, formula-escaped as before
    excel = _body(_get(client, auditor, "/reports/open-data.csv", dialect="excel-el")).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(excel), delimiter=";"))[1][purpose] == "'=1+1 Έργο; Έργο 2"
    [page_row] = _json(client, auditor, "open-data")
    assert page_row["purpose"] == "=1+1 Έργο; Έργο 2"

    # An operation with no project: an empty cell (not «""») and an empty text, as before.
    Selection.objects.filter(application=world["included"]).delete()
    raw = _body(_get(client, auditor, "/reports/open-data.csv")).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(raw)))[1][purpose] == "" and '""' not in raw
    assert _json(client, auditor, "open-data")[0]["purpose"] == ""


def test_open_data_states_the_programmes_own_cofinancing_rate(client, world, auditor, programme):
    services.programme_update(programme=programme, cofinancing_less_developed=Decimal("0.8"), actor=None)

    [row] = _json(client, auditor, "open-data")

    assert Decimal(row["cofinancing_rate"]) == Decimal("0.8")
    assert "80,00 %" in _get(client, auditor, "/reports/open-data/").content.decode()


def test_open_data_states_the_expected_end_date_of_the_decision(client, world, auditor, officer):
    app = world["included"]
    fields = {"status": S.INCLUDED, "budget": app.budget, "inclusion_date": app.inclusion_date}
    workflow.transition(
        app, "record_decision", actor=officer, channel="import", end_date="2027-06-30", **fields
    )

    [row] = _json(client, auditor, "open-data")

    assert row["end_date"] == "2027-06-30"
    assert "30/06/2027" in _get(client, auditor, "/reports/open-data/").content.decode()


def test_budgets_and_caps_reconcile(client, world, auditor, programme):
    budgets = _json(client, auditor, "budgets")
    assert _sum(budgets, "budget") == Application.objects.aggregate(s=Sum("budget"))["s"]
    assert sum(r["applications"] for r in budgets) == Application.objects.count()
    page = _get(client, auditor, "/reports/budgets/").content.decode()
    committed = Application.objects.filter(status=S.INCLUDED).aggregate(s=Sum("budget"))["s"]
    assert format_eur(committed) in page and format_eur(programme.total_budget - committed) in page

    caps = {r["elstat_code"]: r for r in _json(client, auditor, "caps")}
    assert len(caps) == Municipality.objects.count()
    for m in Municipality.objects.all():
        committed = Application.objects.filter(municipality=m).aggregate(s=Sum("budget"))["s"] or 0
        assert Decimal(caps[m.elstat_code]["cap"]) == programme.cap_for(m)
        assert Decimal(caps[m.elstat_code]["committed"]) == committed
        assert Decimal(caps[m.elstat_code]["remaining"]) == programme.cap_for(m) - committed
    assert caps["4401"]["rule_cap"] == "1950000.00"  # 27.9 × 69,849 rounded up to 10,000


def test_audit_trail_lists_every_event_and_filters(client, world, auditor, officer):
    before = AuditEvent.objects.count()
    trail = _json(client, auditor, "audit-trail")
    # The export records itself before its first byte, so it is in its own trail.
    assert len(trail) == before + 1 == AuditEvent.objects.count()
    assert trail[-1]["action"] == "report.export"
    mine = _json(client, auditor, "audit-trail", action="workflow.", municipality="4401")
    expected = AuditEvent.objects.filter(action__startswith="workflow.", municipality__elstat_code="4401")
    assert len(mine) == expected.count() == 4


# --- formats -------------------------------------------------------------------------------------


def test_csv_escapes_formula_injection_and_keeps_greek(client, world, auditor, officer):
    rows = _csv(client, auditor, "operations")
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x","ΔΗΜΟΣ")' in names and "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in names
    assert not any(n.startswith(("=", "+", "-", "@")) for r in rows for n in r)
    # The Python path (aggregated reports) applies the same rule.
    pop = _csv(client, auditor, "popularity")
    assert any(r[2] == "'@SUM(1+1) Έργο" for r in pop)
    services.municipality_update(municipality=world["draft"].municipality, contact_emails="", note="-1+2 tab")
    trail = _csv(client, auditor, "audit-trail")
    assert any(r[-1] == "'-1+2 tab" for r in trail)
    # Amounts are numbers written by us, never escaped.
    assert next(r for r in rows if r[1] == "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")[6] == "150000.50"


def test_xlsx_has_real_numbers_dates_and_inert_text(client, world, auditor):
    from openpyxl import load_workbook

    response = _get(client, auditor, "/reports/operations.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(_body(response))).active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:J5"
    header = [c.value for c in ws[1]]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    kal = rows["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]
    budget, date = kal[header.index("Budget")] if "Budget" in header else kal[6], kal[7]
    assert isinstance(budget.value, int | float) and Decimal(str(budget.value)) == Decimal("150000.5")
    assert "#,##0.00" in budget.number_format
    assert date.value == datetime.datetime(2024, 7, 2) and date.number_format == "dd/mm/yyyy"
    evil = rows['=HYPERLINK("http://x","ΔΗΜΟΣ")'][1]
    assert evil.data_type == "s"  # typed text: Excel never evaluates it


def test_pdf_text_extracts_in_greek_with_page_numbers(client, world, auditor):
    from pypdf import PdfReader

    response = _get(client, auditor, "/reports/inclusions.pdf", status=[S.INCLUDED, S.TO_BE_INCLUDED])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(_body(response)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in text and "Ενταγμένη" in text and "Προς ένταξη" in text
    assert "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ" in text and "150.000,50 €" in text
    assert f"1 / {len(reader.pages)}" in text.replace(" of ", " / ").replace(" από ", " / ")
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # embedded TrueType subsets, not the 14 standard fonts
    assert any(
        "DejaVu" in str(reader.get_object(f)["/BaseFont"])
        for p in reader.pages
        for f in p["/Resources"]["/Font"].values()
    )


def test_inclusions_text_is_the_published_format(client, world, auditor):
    body = _body(_get(client, auditor, "/reports/inclusions.txt")).decode()
    assert body.splitlines() == [
        "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ ΔΙΚΑΙΟΥΧΟΣ Π/Υ ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ",
        "Ενταγμένη ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ 150,000.50 02/07/2024",
        "Προς ένταξη ΔΗΜΟΣ ΠΥΛΗΣ 42,345.67 –",
    ]
    rows = _csv(client, auditor, "inclusions")
    assert rows == [
        ["ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ", "ΔΙΚΑΙΟΥΧΟΣ", "Π/Υ", "ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"],
        ["Ενταγμένη", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "150,000.50", "02/07/2024"],
        ["Προς ένταξη", "ΔΗΜΟΣ ΠΥΛΗΣ", "42,345.67", ""],
    ]


@pytest.mark.parametrize("fmt", ["txt", "csv", "xlsx"])
def test_inclusions_export_round_trips_through_import(client, world, auditor, tmp_path, fmt):
    path = tmp_path / f"inclusions.{fmt}"
    path.write_bytes(_body(_get(client, auditor, f"/reports/inclusions.{fmt}")))
    state = list(
        Application.objects.order_by("pk").values_list("status", "budget", "inclusion_date", "version")
    )
    events = AuditEvent.objects.exclude(action="report.export").count()
    call_command("import_inclusions", str(path), stdout=io.StringIO())
    assert (
        list(Application.objects.order_by("pk").values_list("status", "budget", "inclusion_date", "version"))
        == state
    )
    assert AuditEvent.objects.exclude(action="report.export").count() == events


# --- access --------------------------------------------------------------------------------------


def _all_urls():
    return (
        ["/reports/"] + [f"/reports/{n}/" for n in REPORTS] + [f"/reports/{n}.{f}" for n, f in ALL_DOWNLOADS]
    )


def test_municipality_account_opens_no_report(client, world, kalamata_user):
    client.force_login(kalamata_user)
    for url in _all_urls():
        assert client.get(url).status_code == 403, url
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_anonymous_is_sent_to_login(client, world):
    for url in _all_urls():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("user", ["officer", "approver", "auditor"])
def test_staff_roles_open_every_report(client, world, request, user):
    client.force_login(request.getfixturevalue(user))
    for url in _all_urls():
        assert client.get(url).status_code == 200, url


def test_auditor_exports_but_changes_nothing(client, world, auditor):
    client.force_login(auditor)
    for url in _all_urls():
        assert client.post(url).status_code == 405, url  # no write path in the reports
    assert client.get("/reports/operations.xlsx").status_code == 200
    registered = [m for m in admin.site._registry if m.objects.exists()]
    assert Application in registered or Municipality in registered or registered, "no admin to test against"
    before = list(Application.objects.order_by("pk").values_list("status", "budget", "version"))
    for model in registered:
        obj = model.objects.order_by("pk").first()
        meta = model._meta
        for url in [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
        ]:
            assert client.post(url, {"status": S.INCLUDED, "budget": "1"}).status_code == 403, url
    assert list(Application.objects.order_by("pk").values_list("status", "budget", "version")) == before


# --- audit of exports ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), ALL_DOWNLOADS)
def test_every_export_writes_an_audit_event(client, world, auditor, name, fmt):
    before = AuditEvent.objects.filter(action="report.export").count()
    response = _get(client, auditor, f"/reports/{name}.{fmt}", region="EL65")
    assert response.status_code == 200
    _body(response)
    events = AuditEvent.objects.filter(action="report.export")
    assert events.count() == before + 1
    event = events.latest("id")
    assert event.actor == auditor and event.after["report"] == name and event.after["format"] == fmt
    assert event.after["filters"] == {"region": ["EL65"]}
    # The note is in the site's language: its file name and row count do not depend on it.
    assert isinstance(event.after["rows"], int) and f"{name}.{fmt}: {event.after['rows']} " in event.note


def test_invalid_filter_is_refused_not_ignored(client, world, auditor):
    assert _get(client, auditor, "/reports/operations.csv", status="nonsense").status_code == 400
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_export_queryset_response_for_the_admin(rf, world, auditor, kalamata_user):
    request = rf.get("/admin/grants/application/", {"status__exact": "included"})
    request.user = auditor
    response = export_queryset_response(
        request, "operations", "json", Application.objects.filter(status=S.INCLUDED)
    )
    rows = json.loads(_body(response))
    assert [r["beneficiary"] for r in rows] == ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]
    event = AuditEvent.objects.filter(action="report.export").latest("id")
    assert event.after["rows"] == 1 and event.after["filters"] == {"admin": ["status__exact=included"]}
    request.user = kalamata_user
    with pytest.raises(PermissionDenied):
        export_queryset_response(request, "operations", "csv", Application.objects.all())


# --- performance ---------------------------------------------------------------------------------


def _page_queries(client, url):
    # The inclusions page keeps the registry's published names in this process for the registry's
    # version, which a rollback takes back to the module's: count both sizes with none kept, as when
    # each test had a registry of its own.
    matching._PUBLISHED_NAMES.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_report_pages_use_a_constant_number_of_queries(
    client, world, auditor, programme, regional_unit, officer
):
    client.force_login(auditor)
    urls = ["/reports/"] + [f"/reports/{n}/" for n in REPORTS]
    small = {url: _page_queries(client, url) for url in urls}
    projects = list(CatalogueProject.objects.all())
    for i in range(6):
        m = make_municipality(regional_unit, f"45{i:02d}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {i}", 5000 + i)
        _advance(
            _apply(programme, m, [(projects[5], "1000"), (projects[6], "2000")], officer),
            officer,
            officer,
            S.SUBMITTED,
        )
        services.cap_override_set(
            programme=programme, municipality=m, amount=Decimal("300000"), reason="test"
        )
    large = {url: _page_queries(client, url) for url in urls}
    assert large == small


@pytest.mark.parametrize("name", ["operations", "selections"])
def test_copy_and_python_csv_paths_agree(world, auditor, name):
    """On PostgreSQL these reports stream through COPY; the csv.writer path (SQLite, other reports)
    must produce the same cells, escaping included."""
    report = REPORTS[name]()
    qs = report.filterset(auditor, {}).qs
    fast = report.csv_stream(qs)
    assert fast is not None, "PostgreSQL should take the COPY path"
    convs = formats.csv_converters(report.columns, escape=False)
    slow = formats.stream_csv(report.columns, report.rows(qs, for_csv=True), converters=convs)

    def parse(stream):
        return list(csv.reader(io.StringIO(b"".join(stream).decode("utf-8-sig"))))

    fast_rows, slow_rows = parse(fast), parse(slow)
    assert fast_rows == slow_rows and len(fast_rows) == qs.count() + 1
    assert any(cell.startswith("'=HYPERLINK") for row in fast_rows for cell in row)


def test_audit_dates_are_days_in_athens_time(client, auditor, kalamata):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.contrib.contenttypes.models import ContentType

    from grants import audit

    athens = ZoneInfo("Europe/Athens")
    # 23:30 in Athens on 31 March is 20:30 UTC: the event belongs to the 31st, as people lived it.
    audit.insert_rows(
        [
            audit.row(
                action=action,
                channel="code",
                actor=None,
                created_at=when.replace(tzinfo=athens),
                obj=kalamata,
                content_type_id=ContentType.objects.get_for_model(kalamata).pk,
                municipality_id=kalamata.pk,
            )
            for action, when in (
                ("test.late", dt.datetime(2026, 3, 31, 23, 30)),
                ("test.early", dt.datetime(2026, 4, 1, 0, 10)),
            )
        ]
    )

    def actions(**params):
        rows = _json(client, auditor, "audit-trail", **params)
        return sorted(r["action"] for r in rows if r["action"].startswith("test."))

    assert actions(date_after="2026-03-31", date_before="2026-03-31") == ["test.late"]
    assert actions(date_after="2026-04-01") == ["test.early"]
    assert actions(action="test.") == ["test.early", "test.late"]
    assert actions(action="test.late") == ["test.late"]


def test_audit_date_filters_compare_instants_so_the_created_at_index_serves_them(auditor):
    from grants.filters import AuditEventFilterSet

    qs = AuditEventFilterSet({"date_after": "2026-03-31", "date_before": "2026-03-31"}).qs
    sql = str(qs.query)
    assert "AT TIME ZONE" not in sql and '"grants_auditevent"."created_at" >=' in sql


def test_a_control_character_in_a_note_does_not_break_the_xlsx(client, auditor, kalamata):
    from openpyxl import load_workbook

    from grants import audit

    audit.record(action="test.note", municipality=kalamata, note="Αποσύρουμε\x0bτην αίτηση\x01")
    response = _get(client, auditor, "/reports/audit-trail.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response))).active
    notes = [row[-1] for row in sheet.iter_rows(values_only=True)]
    assert "Αποσύρουμε την αίτηση " in notes


def test_xlsx_text_that_looks_like_sheet_xml_stays_text(client, auditor, kalamata):
    """XlsxWriter's constant-memory mode copies a string shaped «<r>…</r>» into the sheet's XML as
    its own rich text: unescaped, such a note could close its cell and add a formula."""
    from openpyxl import load_workbook

    from grants import audit

    payload = '<r><t>a</t></r></is></c><c r="Z2"><f>HYPERLINK("http://x","ok")</f></c><c><is><r><t>b</t></r>'
    audit.record(action="test.note", municipality=kalamata, note=payload)
    audit.record(action="test.note", municipality=kalamata, note="<r>x</r>")
    sheet = load_workbook(io.BytesIO(_body(_get(client, auditor, "/reports/audit-trail.xlsx")))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    notes = [row[-1] for row in sheet.iter_rows(values_only=True)]
    assert payload in notes and "<r>x</r>" in notes


def test_xlsx_audit_trail_keeps_local_times_line_ends_widths_and_title(client, auditor, kalamata):
    from openpyxl import load_workbook

    from grants import audit

    event = audit.record(action="test.note", municipality=kalamata, note="πρώτη\r\nδεύτερη\rτρίτη")
    audit.record(action="test.empty", municipality=kalamata, note="")
    sheet = load_workbook(io.BytesIO(_body(_get(client, auditor, "/reports/audit-trail.xlsx")))).active
    report = REPORTS["audit-trail"]()
    # One <col> element may cover several neighbouring columns of the same width.
    widths = {i: d.width for d in sheet.column_dimensions.values() for i in range(d.min, d.max + 1)}
    assert [widths[i] for i in range(1, len(report.columns) + 1)] == [c.width for c in report.columns]
    rows = {row[4].value: row for row in sheet.iter_rows(min_row=2)}  # the action code
    # CR LF and CR read as LF, as an XML reader made of the raw CR openpyxl wrote (no _x000D_).
    assert rows["test.note"][-1].value == "πρώτη\nδεύτερη\nτρίτη"
    assert rows["test.empty"][-1].value is None  # an empty note is an empty cell
    time = rows["test.note"][0]
    expected = timezone.make_naive(timezone.localtime(event.created_at))
    assert time.number_format == formats.XLSX_DATETIME
    assert abs(time.value - expected) < datetime.timedelta(seconds=1)


def test_xlsx_sheet_title_follows_excels_rules_and_an_empty_sheet_keeps_its_header():
    from openpyxl import load_workbook

    columns = REPORTS["audit-trail"]().columns
    handle, count = formats.write_xlsx(columns, [], title="'Έλεγχος: α/β [γ]*? με πολύ μακρύ τίτλο'")
    sheet = load_workbook(handle).active
    # Forbidden characters become spaces, 31 characters at most, no apostrophe at either end.
    assert sheet.title == "Έλεγχος  α β  γ    με πολύ μακ"
    assert count == 0 and sheet.auto_filter.ref == "A1:J1" and sheet.freeze_panes == "A2"
    assert formats.write_xlsx(columns, [], title=":?*")[0].read(2) == b"PK"


def test_the_audit_trail_says_what_happened_in_words_and_keeps_the_code(client, auditor, kalamata):
    from grants import audit

    audit.record(action="cap.override", municipality=kalamata)
    audit.record(action="workflow.include", municipality=kalamata)
    rows = {r["action"]: r["action_label"] for r in _json(client, auditor, "audit-trail")}
    # Reports speak the site's language, Greek, unless the user chose another.
    assert rows["cap.override"] == "Παρέκκλιση ανώτατου ορίου"
    assert rows["workflow.include"] == "Ροή εργασιών: Ένταξη"
