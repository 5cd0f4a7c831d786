"""The absorption report's totals equal the sums of the underlying records in every format (page,
CSV, XLSX, PDF, JSON, the API), for every grouping; and the dashboard's chart ends at those totals."""

import csv
import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Q, Sum
from django.utils import translation
from pypdf import PdfReader

from grants.delivery import declarations, payments
from grants.formatting import format_eur
from grants.models import Application, Contract, DecisionVersion, ExpenditureDeclaration, Payment
from tests.conftest import (
    make_catalogue,
    make_category,
    make_kalamata,
    make_municipality_user,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    make_staff,
    per_test,
)

from .conftest import included_application, make_contract, make_declaration, make_money_a

FIGURES = ["included_budget", "current_budget", "contracted", "declared", "verified", "paid"]
GROUPS = ["operation", "municipality", "region", "programme"]


@pytest.fixture(scope="module")
def built(module_db):
    """Two included operations and their money, built once for the module (tests/conftest.py:
    module_db): every test only reads them, or writes what its savepoint takes back."""
    with module_db.unblock(), translation.override("en"):
        programme = make_programme()
        regional_unit = make_regional_unit(make_region())
        kalamata, pyli = make_kalamata(regional_unit), make_pyli(regional_unit)
        catalogue = make_catalogue(make_category())
        officer, officer2, approver, auditor = (
            make_staff(n) for n in ("officer", "officer2", "approver", "auditor")
        )
        kalamata_user = make_municipality_user("kalamata", kalamata)
        pyli_user = make_municipality_user("pyli", pyli)
        included_a = included_application(programme, kalamata, catalogue[:2], officer, approver)
        included_b = included_application(
            programme, pyli, catalogue[2:3], officer, approver, amounts=("20000.00",)
        )
        money_a = make_money_a(included_a, kalamata_user, officer, officer2, approver)
        contract = make_contract(included_b, pyli_user, project="T03", amount="12000.50")
        line = make_declaration(contract, pyli_user, "7000.25")
        declarations.declaration_act(
            declaration=line, action="verify", actor=officer, accepted_amount="7000.25"
        )
        payment = payments.payment_prepare(
            application=included_b, amount="3000.10", reference="Β-1", actor=officer
        )
        payments.payment_act(
            payment=payment, action="authorise", actor=approver, paid_on=datetime.date(2025, 12, 5)
        )
        # The first operation's inclusion decided a larger budget than today's (an amendment lowered it).
        DecisionVersion.objects.filter(application=money_a["application"], version=1).update(
            budget=Decimal("120000.00")
        )
    return {
        "two_operations": (money_a["application"], included_b),
        "officer": officer,
        "auditor": auditor,
        "kalamata_user": kalamata_user,
    }


two_operations, officer, auditor, kalamata_user = (
    per_test(name, "built") for name in ("two_operations", "officer", "auditor", "kalamata_user")
)


def expected():
    apps = Application.objects.filter(status__in=["included", "completed"])
    first = {v.application_id: v.budget for v in DecisionVersion.objects.filter(version=1)}
    return {
        "included_budget": sum(first.get(a.pk, a.budget) for a in apps),
        "current_budget": apps.aggregate(s=Sum("budget"))["s"],
        "contracted": Contract.objects.aggregate(s=Sum("amount"))["s"],
        "declared": ExpenditureDeclaration.objects.filter(~Q(state="rejected")).aggregate(s=Sum("amount"))[
            "s"
        ],
        "verified": ExpenditureDeclaration.objects.filter(state="verified").aggregate(
            s=Sum("accepted_amount")
        )["s"],
        "paid": Payment.objects.filter(state="authorised").aggregate(s=Sum("amount"))["s"],
    }


def test_expected_figures_are_what_the_world_holds(two_operations):
    assert expected() == {
        "included_budget": Decimal("140000.00"),
        "current_budget": Decimal("120000.00"),
        "contracted": Decimal("42000.50"),
        "declared": Decimal("22000.25"),
        "verified": Decimal("16000.25"),
        "paid": Decimal("7000.10"),
    }


def _get(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("group", GROUPS)
def test_json_and_csv_add_up(client, auditor, two_operations, group):
    want = expected()
    rows = json.loads(_get(client, auditor, "/reports/absorption.json", group=group))
    assert len(rows) == {"operation": 2, "municipality": 2, "region": 1, "programme": 1}[group]
    for figure in FIGURES:
        assert sum(Decimal(r[figure]) for r in rows) == want[figure], figure
    table = list(
        csv.reader(
            io.StringIO(_get(client, auditor, "/reports/absorption.csv", group=group).decode("utf-8-sig"))
        )
    )
    header, body = table[0], [r for r in table[1:] if r and r[0]]
    columns = {figure: 2 + 2 * i for i, figure in enumerate(FIGURES)}
    for figure, col in columns.items():
        assert sum(Decimal(r[col]) for r in body if r[col]) == want[figure], (figure, header, body)


@pytest.mark.parametrize("group", ["operation", "region"])
def test_xlsx_adds_up(client, auditor, two_operations, group):
    want = expected()
    book = openpyxl.load_workbook(io.BytesIO(_get(client, auditor, "/reports/absorption.xlsx", group=group)))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(values) if r and "Κωδικός" in [str(c) for c in r])
    data = [r for r in values[header_at + 1 :] if r and r[0] not in (None, "", "Σύνολο")]
    for i, figure in enumerate(FIGURES):
        assert sum(Decimal(str(r[2 + 2 * i])) for r in data) == want[figure], figure


def test_pdf_and_page_show_the_totals(client, auditor, two_operations):
    want = expected()
    client.force_login(auditor)
    pdf = client.get("/reports/absorption.pdf", {"group": "municipality"})
    assert pdf.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    page = client.get("/reports/absorption/", {"group": "municipality"}).content.decode()
    for figure in FIGURES:
        shown = format_eur(want[figure])
        assert shown.replace("\xa0", " ") in text.replace("\xa0", " "), (figure, shown)
        assert shown in page, (figure, shown)


def test_api_adds_up(two_operations, auditor):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(auditor)
    want = expected()
    for group in GROUPS:
        rows = client.get("/api/v1/reports/absorption/", {"group": group}).data["results"]
        for figure in FIGURES:
            assert sum(Decimal(r[figure]) for r in rows) == want[figure], (group, figure)


def test_a_municipality_sees_only_its_own_absorption(two_operations, kalamata_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(kalamata_user)
    rows = client.get("/api/v1/reports/absorption/", {"group": "region"}).data["results"]
    assert [(r["contracted"], r["paid"]) for r in rows] == [("30000.00", "4000.00")]


def test_dashboard_chart_ends_at_the_totals(client, auditor, two_operations):
    want = expected()
    client.force_login(auditor)
    page = client.get("/reports/").content.decode()
    assert "absorption-table" in page
    for figure in ("contracted", "declared", "verified", "paid"):
        assert format_eur(want[figure]) in page, figure


def test_export_job_keeps_the_grouping(two_operations, officer, kalamata_user, private_root):
    """A deferred export (the worker's path) builds the same rows as the download, grouping included;
    a municipality's job holds its own operation only."""
    from grants.exports import services
    from grants.exports.services import private_storage
    from grants.models import Channel, ExportJob

    for owner, group, expected in (
        (officer, "region", 1),
        (kalamata_user, "operation", 1),
        (officer, "operation", 2),
    ):
        job = services.export_job_create(
            owner=owner, report="absorption", fmt="json", filters={"group": group}, channel=Channel.API
        )
        services.export_job_build(job_id=job.pk)
        job = ExportJob.objects.get(pk=job.pk)
        rows = json.loads(private_storage().open(job.file).read())
        assert len(rows) == expected, (owner, group, rows)
        want = expected_for(owner)
        assert sum(Decimal(r["paid"]) for r in rows) == want, (owner, group)


def expected_for(user):
    if user.username == "kalamata":
        return Decimal("4000.00")
    return expected()["paid"]
