"""CSV for Excel in a Greek locale (`?dialect=excel-el`, issue 16): semicolons, a decimal comma,
dd/mm/yyyy, UTF-8 with a BOM, for every CSV report; the plain CSV unchanged for machines."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from grants import formatting, services, workflow
from grants.reports.definitions import REPORTS
from projects import services as project_services

INCLUSION = {"inclusion_date": datetime.date(2024, 7, 2), "decision_ada": "ΨΛ9Ξ46ΜΤΛΡ-ΑΒΓ"}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def included(programme, kalamata, catalogue, officer, approver):
    app = services.application_get_or_create(programme=programme, municipality=kalamata, actor=officer)[0]
    project_services.selection_add(application=app, project=catalogue[0], amount="807500.27", actor=officer)
    for action, actor, fields in [
        ("submit", officer, {}),
        ("start_review", officer, {}),
        ("propose_inclusion", officer, {}),
        ("include", approver, {**INCLUSION, "mis_code": "6001234"}),
    ]:
        workflow.transition(app, action, actor=actor, **fields)
    return app


def test_the_formatter_writes_greek_excel_cells():
    assert formatting.excel_el(Decimal("807500.27")) == "807500,27"
    assert formatting.excel_el(Decimal("0.2790")) == "0,2790"
    assert formatting.excel_el(datetime.date(2024, 7, 2)) == "02/07/2024"
    assert formatting.excel_el(12) == 12 and formatting.excel_el("ΔΗΜΟΣ") == "ΔΗΜΟΣ"


def test_operations_for_greek_excel(client, auditor, included):
    client.force_login(auditor)
    response = client.get("/reports/operations.csv", {"dialect": "excel-el"})
    assert response.status_code == 200
    raw = _body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert len(header) == len(REPORTS["operations"]().columns)
    record = dict(zip(header, row, strict=True))
    assert record["Προϋπολογισμός"] == "807500,27"
    assert record["Ημερομηνία ένταξης"] == "02/07/2024"
    # The plain CSV is unchanged: commas, a decimal point, ISO dates.
    plain = _body(client.get("/reports/operations.csv")).decode("utf-8-sig")
    assert "807500.27" in plain and "2024-07-02" in plain and ";" not in plain.splitlines()[1]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_csv_report_has_the_greek_excel_dialect_and_links_it(client, auditor, included, name):
    client.force_login(auditor)
    report = REPORTS[name]()
    if "csv" not in report.formats:
        pytest.skip("no CSV")
    raw = _body(client.get(f"/reports/{name}.csv", {"dialect": "excel-el"}))
    assert raw.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(header) == len(report.columns)
    page = client.get(f"/reports/{name}/").content.decode()
    assert f"/reports/{name}.csv?dialect=excel-el" in page


def test_an_unknown_dialect_is_refused(client, auditor, included):
    client.force_login(auditor)
    assert client.get("/reports/operations.csv", {"dialect": "excel-fr"}).status_code == 400
    assert client.get("/reports/operations.xlsx", {"dialect": "excel-el"}).status_code == 400
