"""LAU-style municipality codes (up to 12 characters, as in the EU's local administrative units)
go through the model, the import of a decision list, the API's filters and the exports unchanged."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from grants.imports.inclusions import import_inclusions
from grants.models import Application, AuditEvent, Municipality, Region, RegionalUnit, RegionCategory
from tests.api.conftest import client_for
from tests.conftest import make_municipality

LAU = "DE_091620000"  # 12 characters: a country prefix and the 9-character local code


@pytest.fixture
def munich(db):
    region = Region.objects.create(code="DE21", name="OBERBAYERN", category=RegionCategory.TRANSITION)
    unit = RegionalUnit.objects.create(code="DE212", name="München, Kreisfreie Stadt", region=region)
    return make_municipality(unit, LAU, "ΔΗΜΟΣ ΜΟΝΑΧΟΥ", 40000)


def test_a_twelve_character_code_is_stored_and_a_thirteenth_refused(munich):
    assert len(LAU) == 12
    assert Municipality.objects.get(elstat_code=LAU) == munich
    munich.elstat_code = LAU + "X"
    with pytest.raises(ValidationError) as raised:
        munich.full_clean()
    assert "elstat_code" in raised.value.message_dict


def test_an_imported_decision_reaches_the_municipality_with_a_lau_code(munich, programme):
    header = "ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ;ΔΙΚΑΙΟΥΧΟΣ;Π/Υ;ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"
    content = f"{header}\r\nΠρος ένταξη;ΔΗΜΟΣ ΜΟΝΑΧΟΥ;200.000,00;–\r\n"
    with translation.override("en"):
        report = import_inclusions(content.encode(), fmt="csv", programme=programme, source="list.csv")

    assert report.ok, [str(e) for e in report.errors]
    application = Application.objects.get(municipality__elstat_code=LAU)
    assert (application.status, application.budget) == ("to_be_included", Decimal("200000.00"))
    assert AuditEvent.objects.filter(municipality__elstat_code=LAU, channel="import").exists()


def test_the_api_shows_and_filters_by_a_lau_code(munich, programme, officer, kalamata):
    Application.objects.create(programme=programme, municipality=munich)
    Application.objects.create(programme=programme, municipality=kalamata)
    client = client_for(officer)

    municipalities = client.get("/api/v1/municipalities/", {"q": LAU.lower()}).json()["results"]
    assert [(m["elstat_code"], m["regional_unit"]) for m in municipalities] == [(LAU, "DE212")]
    detail = client.get(f"/api/v1/municipalities/{munich.pk}/").json()
    assert detail["elstat_code"] == LAU
    applications = client.get("/api/v1/applications/", {"municipality": LAU}).json()["results"]
    assert [a["municipality"] for a in applications] == [LAU]
    searched = client.get("/api/v1/applications/", {"q": LAU}).json()["results"]
    assert [a["municipality"] for a in searched] == [LAU]


def test_the_published_list_export_carries_the_lau_code(munich, programme, auditor, client):
    Application.objects.create(
        programme=programme, municipality=munich, status="to_be_included", budget=Decimal("200000.00")
    )
    client.force_login(auditor)
    response = client.get("/reports/operations.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert LAU in body.decode("utf-8-sig")
