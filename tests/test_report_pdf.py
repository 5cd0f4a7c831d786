"""PDF exports: every row fits on a page however long its cells, amounts and codes never break
inside, the filters read as people read them, and an export is recorded only once it is built."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from grants import audit, services
from grants.formatting import format_eur
from grants.models import AuditEvent
from grants.reports import formats
from tests.conftest import make_municipality


def _pdf_text(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def huge_event(db):
    # Like the demo's municipality.bulk_create: one cell far taller than a page.
    keys = [f"{i:04d}" for i in range(700)]
    return audit.record(action="municipality.bulk_create", after={"keys": keys, "count": len(keys)})


def test_audit_trail_pdf_cuts_a_cell_taller_than_a_page(client, auditor, huge_event):
    text = _pdf_text(client, auditor, "/reports/audit-trail.pdf")

    assert "municipality.bulk_create" in text and "…" in text
    assert "CSV, XLSX" in text  # the note that says where the whole cell is
    assert '"0000"' in text and '"0699"' not in text  # the start is kept, the rest is cut


def test_a_pdf_that_fails_to_build_is_not_recorded_as_exported(client, auditor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(formats, "write_pdf", broken)
    client.force_login(auditor)
    client.raise_request_exception = False

    assert client.get("/reports/operations.pdf").status_code == 500
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_pdf_amounts_and_codes_never_break_inside(client, auditor, programme, regional_unit):
    for i, population in enumerate([69849, 14343, 185, 999999]):
        make_municipality(regional_unit, f"44{i:02d}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ ΜΕ ΠΟΛΥ ΜΑΚΡΥ ΟΝΟΜΑ {i}", population)
    m = make_municipality(regional_unit, "4499", "ΔΗΜΟΣ ΠΑΡΕΚΚΛΙΣΗΣ", 5000)
    services.cap_override_set(
        programme=programme, municipality=m, amount=Decimal("12345678.90"), reason="Απόφαση " * 20
    )
    services.application_get_or_create(programme=programme, municipality=m)

    caps = _pdf_text(client, auditor, "/reports/caps.pdf")
    budgets = _pdf_text(client, auditor, "/reports/budgets.pdf")

    lines = set(caps.splitlines())
    for amount in ["210.000,00 €", "1.950.000,00 €", "27.900.000,00 €", "12.345.678,90 €", "27,90 €"]:
        assert any(amount in line for line in lines), amount
    assert "EL65" in budgets.splitlines()
    assert format_eur(Decimal("0")) in caps


def test_pdf_filters_line_shows_labels_and_greek_dates(client, auditor, programme):
    text = _pdf_text(
        client,
        auditor,
        "/reports/operations.pdf",
        status=["included", "to_be_included"],
        inclusion_date_after="2024-01-01",
        region_category="less_developed",
    )
    filters = " ".join(text[text.index("Φίλτρα") :].split("\n")[:3])

    assert "Ενταγμένη" in filters and "Προς ένταξη" in filters and "included" not in filters
    assert "01/01/2024" in filters and "2024-01-01" not in filters
    assert "Λιγότερο αναπτυγμένη" in filters


def test_admin_export_pdf_names_its_filters(rf, auditor, region):
    from grants.models import Application
    from grants.reports.views import export_queryset_response

    request = rf.get(
        "/admin/grants/application/",
        {"status__exact": "included", "municipality__regional_unit__region__id__exact": region.pk, "o": "1"},
    )
    request.user = auditor

    response = export_queryset_response(request, "operations", "pdf", Application.objects.all())

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    filters = text[text.index("Φίλτρα") :].split("\n")[0]
    assert "Ενταγμένη" in filters and "ΠΕΛΟΠΟΝΝΗΣΟΥ" in filters
    assert "__exact" not in filters and "included" not in filters
