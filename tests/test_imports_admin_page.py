"""The import page explains the format with an example and offers templates; the preview shows what
an updated row changes (before → after)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from grants.imports.admin_views import example_text
from grants.imports.inclusions import import_inclusions
from grants.models import Application, Municipality
from grants.services import application_get_or_create

URL = "/admin/grants/import-inclusions/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def template_url(fmt):
    return reverse("admin-grants-import-inclusions-template", args=[fmt])


def test_the_page_shows_the_example_and_the_template_links(client, registry, officer):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(URL).content.decode()
    assert "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ ΔΙΚΑΙΟΥΧΟΣ Π/Υ ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ" in page
    assert "Ενταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 1,200,000.00 02/07/2024" in page
    assert "Προς ένταξη ΔΗΜΟΣ ΜΥΤΙΛΗΝΗΣ 399,916.12 –" in page
    assert template_url("csv") in page and template_url("xlsx") in page


def test_the_example_on_the_page_parses_as_it_stands(registry):
    report = import_inclusions(example_text(), fmt="text", programme=registry, dry_run=True)
    assert report.ok, report.errors
    assert [row.municipality.elstat_code for row in report.rows][:1] == ["2603"]
    assert Application.objects.count() == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_downloads_and_its_example_row_previews(client, registry, officer, fmt):
    client.force_login(officer)
    response = client.get(template_url(fmt))
    assert response.status_code == 200
    assert f'filename="inclusions-template.{fmt}"' in response["Content-Disposition"]
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert rows[0] == ("ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ", "ΔΙΚΑΙΟΥΧΟΣ", "Π/Υ", "ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ")
    else:
        assert (
            response.content.decode("utf-8-sig").splitlines()[0]
            == "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ;ΔΙΚΑΙΟΥΧΟΣ;Π/Υ;ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"
        )
    upload = io.BytesIO(response.content)
    upload.name = f"inclusions-template.{fmt}"

    preview = client.post(URL, {"programme": registry.pk, "file": upload, "format": ""})

    report = preview.context["report"]
    assert report.ok, report.errors
    [row] = report.rows
    assert (row.municipality.elstat_code, row.status, row.budget, row.inclusion_date) == (
        "2603",
        "included",
        Decimal("1200000.00"),
        datetime.date(2024, 7, 2),
    )
    assert preview.context["prepared"] is not None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_is_for_officers_only(client, registry, auditor, fmt):
    assert client.get(template_url(fmt)).status_code == 302  # to the admin's login
    client.force_login(auditor)
    assert client.get(template_url(fmt)).status_code == 403


def test_the_template_of_an_unknown_format_is_not_found(client, registry, officer):
    client.force_login(officer)
    assert client.get(template_url("pdf")).status_code == 404


def test_the_preview_shows_before_and_after_for_a_changed_row(client, registry, officer):
    pyli = Municipality.objects.get(elstat_code="2603")
    app, _created = application_get_or_create(programme=registry, municipality=pyli, actor=officer)
    Application.objects.filter(pk=app.pk).update(status="to_be_included", budget=Decimal("1000000.00"))
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    text = "Ενταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 1,200,000.00 02/07/2024"
    preview = client.post(URL, {"programme": registry.pk, "text": text, "format": ""})

    [row] = preview.context["report"].rows
    assert row.outcome == "updated"
    page = preview.content.decode()
    changes = re.search(r'<span class="sc-changes">(.*?)</span>', page, re.S).group(1)
    assert changes == "To be included → Included; 1.000.000,00 € → 1.200.000,00 €; — → 02/07/2024"


def test_the_format_is_explained_in_greek(client, registry, officer):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    with translation.override("el"):
        page = client.get(URL).content.decode()
    assert "Αναμενόμενη μορφή" in page and "Λήψη υποδείγματος:" in page
