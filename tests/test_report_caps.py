"""What a municipality has committed to its cap, and what remains, reads the same in the caps report
and in the admin's list of applications (grants.models.committed_to_cap)."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from grants import services, workflow
from grants.formatting import format_eur
from grants.models import ApplicationStatus as S
from grants.models import Programme
from projects import services as project_services
from tests.conftest import make_municipality


@pytest.fixture
def decided(programme, kalamata, pyli, regional_unit, catalogue, officer):
    """Pyli's budget comes from a recorded decision with no selections; Kalamata chose projects and
    was rejected; Messini chose projects and is still a draft."""
    pyli_app, _ = services.application_get_or_create(programme=programme, municipality=pyli)
    workflow.transition(
        pyli_app,
        "record_decision",
        actor=officer,
        channel="import",
        status=S.INCLUDED,
        budget=Decimal("359916.12"),
        inclusion_date=datetime.date(2024, 7, 2),
    )
    kal_app, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    project_services.selection_add(application=kal_app, project=catalogue[0], amount="100000", actor=officer)
    workflow.transition(kal_app, "submit", actor=officer)
    workflow.transition(kal_app, "reject", actor=officer, note="Εκπρόθεσμη")
    messini = make_municipality(regional_unit, "4403", "ΔΗΜΟΣ ΜΕΣΣΗΝΗΣ", 23000)
    draft, _ = services.application_get_or_create(programme=programme, municipality=messini)
    project_services.selection_add(application=draft, project=catalogue[1], amount="12345.67", actor=officer)
    return {"pyli": pyli_app, "kalamata": kal_app, "draft": draft}


def _admin_remaining(client, officer, name):
    client.force_login(officer)
    html = client.get(reverse("admin:grants_application_changelist")).content.decode()
    row = next(r for r in html.split("<tr") if name in r)
    return re.search(r'class="field-remaining_col">([^<]*)<', row).group(1)


def test_report_and_admin_show_the_same_remaining(client, decided, programme, officer, auditor):
    client.force_login(auditor)
    response = client.get("/reports/caps.json")
    caps = {r["municipality"]: r for r in json.loads(b"".join(response.streaming_content))}

    expected = {
        "ΔΗΜΟΣ ΠΥΛΗΣ": Decimal("359916.12"),  # the decided budget, though nothing was selected
        "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ": Decimal("0"),  # rejected: commits nothing
        "ΔΗΜΟΣ ΜΕΣΣΗΝΗΣ": Decimal("12345.67"),
    }
    for name, committed in expected.items():
        row = caps[name]
        assert Decimal(row["committed"]) == committed, name
        assert Decimal(row["remaining"]) == Decimal(row["cap"]) - committed, name
        assert _admin_remaining(client, officer, name) == format_eur(Decimal(row["remaining"])), name
    assert caps["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]["status"] == "Απορρίφθηκε"


def test_a_page_reads_each_application_by_its_key_alone(decided, programme, auditor):
    """Each row's application is one index probe (programme, municipality: unique): unordered, the
    subqueries no longer join the municipalities again per row for the model's ordering by name."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.delivery import decisions
    from grants.models import Application
    from grants.reports.definitions import REPORTS

    report = REPORTS["caps"]()
    fs = report.filterset(auditor, {})
    with CaptureQueriesContext(connection) as queries:
        rows = report.rows(fs.qs, limit=10)
    assert rows
    (read,) = [q["sql"] for q in queries.captured_queries if '"app_status"' in q["sql"]]
    assert "ORDER BY U1" not in read and 'INNER JOIN "grants_municipality" U1' not in read
    included = str(Application.objects.order_by().annotate(v=decisions.inclusion_budget()).query)
    assert included.count('"grants_municipality"') == 0


@pytest.mark.parametrize("params", [{}, {"q": "ΔΗΜΟΣ Μ"}, {"q": "ΠΥΛ"}])
def test_the_totals_are_the_sums_of_every_row(decided, programme, officer, auditor, params):
    """The totals (caps added up in cents; the commitment from the application summary unfiltered,
    joined in the count's pass when filtered) are the rows' own sums, each row computed in Python
    (cap_for), an override included."""
    from grants.models import CapOverride, Municipality
    from grants.reports.definitions import REPORTS

    CapOverride.objects.create(
        programme=programme,
        municipality=Municipality.objects.get(name="ΔΗΜΟΣ ΜΕΣΣΗΝΗΣ"),
        amount=Decimal("123456.78"),
        reason="Απόφαση",
    )
    report = REPORTS["caps"]()
    fs = report.filterset(auditor, params)
    every = list(report.rows(fs.qs))
    assert every
    columns = [c.key for c in report.columns]
    cap, committed = columns.index("cap"), columns.index("committed")
    assert report.count(fs.qs) == len(every)
    assert report.totals(fs.qs) == {
        "cap": sum(r[cap] for r in every),
        "committed": sum(r[committed] for r in every),
        "remaining": sum(r[cap] - r[committed] for r in every),
    }


@pytest.mark.parametrize("language", ["el", "en"])
@pytest.mark.parametrize("params", [{}, {"q": "ΔΗΜΟΣ Μ"}])
def test_the_copy_download_is_the_csv_written_from_cap_breakdown(
    decided, programme, regional_unit, officer, auditor, language, params
):
    """On PostgreSQL the caps download is written by COPY from the rule's SQL form
    (Programme.cap_breakdown_expressions); it must be byte for byte the CSV written from
    cap_breakdown in Python: every figure and its decimals, the override and its reason, the status
    label in the reader's language, formula-like text escaped, and an empty cell (not «""») where
    there is nothing."""
    import csv
    import io

    from django.utils import translation

    from grants.reports import formats
    from grants.reports.definitions import REPORTS

    odd = make_municipality(regional_unit, "=4404", "=HYPERLINK(1) ΔΗΜΟΣ ΜΕΘΩΝΗΣ", 98765)
    services.cap_override_set(
        programme=programme, municipality=odd, amount="777777.70", reason="+ by decision"
    )
    services.cap_override_set(
        programme=programme, municipality=decided["draft"].municipality, amount="0", reason="Απόφαση, «2»"
    )
    with translation.override(language):
        report = REPORTS["caps"]()
        qs = report.filterset(auditor, params).qs
        fast = report.csv_stream(qs)
        assert fast is not None, "PostgreSQL should take the COPY path"
        convs = formats.csv_converters(report.columns, escape=True)
        slow = formats.stream_csv(report.columns, report.rows(qs, for_csv=True), converters=convs)
        fast, slow = b"".join(fast), b"".join(slow)
    assert fast == slow
    rows = list(csv.reader(io.StringIO(fast.decode("utf-8-sig"))))
    assert len(rows) == qs.count() + 1 >= 3
    methoni = next(r for r in rows if "ΜΕΘΩΝΗΣ" in r[1])
    assert methoni[:2] == ["'=4404", "'=HYPERLINK(1) ΔΗΜΟΣ ΜΕΘΩΝΗΣ"]
    assert methoni[9:12] == ["777777.70", "'+ by decision", "777777.70"]
    assert methoni[12] == "" and methoni[13] == "0.00"  # no application: no status, nothing committed


def test_the_copy_download_filtered_by_status_has_the_columns_only(
    client, decided, regional_unit, programme, officer, auditor
):
    """The status filter reads a municipality's applications of every programme, so its query is
    DISTINCT; Django then selects the ordering's columns too, and COPY wrote them as two more cells
    (the name unescaped, the key). The download filtered by status is the rows of the columns alone,
    as the CSV written from cap_breakdown."""
    import csv
    import io

    from grants.reports import formats
    from grants.reports.definitions import REPORTS

    odd = make_municipality(regional_unit, "4404", "@SUM(1) ΔΗΜΟΣ", 98765)
    other = Programme.objects.create(
        code="OTHER", title="Άλλο", managing_authority="ΕΥΔ", total_budget=Decimal("1000000.00")
    )
    for p in (programme, other):  # two applications of one municipality match the filter
        app, _ = services.application_get_or_create(programme=p, municipality=odd)
        workflow.transition(
            app,
            "record_decision",
            actor=officer,
            channel="import",
            status=S.INCLUDED,
            budget=Decimal("1000.00"),
            inclusion_date=datetime.date(2024, 7, 2),
        )
    client.force_login(auditor)
    response = client.get("/reports/caps.csv?status=included&status=draft")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert {len(r) for r in rows} == {len(REPORTS["caps"].columns)}
    assert [r[1] for r in rows[1:]] == ["'@SUM(1) ΔΗΜΟΣ", "ΔΗΜΟΣ ΜΕΣΣΗΝΗΣ", "ΔΗΜΟΣ ΠΥΛΗΣ"]

    report = REPORTS["caps"]()
    qs = report.filterset(auditor, {"status": ["included", "draft"]}).qs
    convs = formats.csv_converters(report.columns, escape=True)
    assert body == b"".join(
        formats.stream_csv(report.columns, report.rows(qs, for_csv=True), converters=convs)
    )


@pytest.mark.parametrize("dialect", ["", "excel-el"])
def test_a_carriage_return_in_a_reason_stays_in_its_cell(client, decided, programme, auditor, dialect):
    """csv.writer quotes only its line end's characters (LF): a reason with a bare CR was written
    unquoted in the CSVs built in Python (the Greek-Excel one), where Excel, LibreOffice and
    Python's reader end the row at the CR and read the rest as a row starting with a formula. COPY
    quotes it; both downloads must read back as the same rows."""
    import csv
    import io

    services.cap_override_set(
        programme=programme,
        municipality=decided["pyli"].municipality,
        amount="1000",
        reason="by decision\r=HYPERLINK(1)",
    )
    client.force_login(auditor)
    response = client.get("/reports/caps.csv" + (f"?dialect={dialect}" if dialect else ""))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=";" if dialect else ","))
    assert len(rows) == 4 and {len(r) for r in rows} == {15}
    assert next(r for r in rows if r[1] == "ΔΗΜΟΣ ΠΥΛΗΣ")[10] == "by decision\r=HYPERLINK(1)"
