"""Report filters read what people type: `?q=` finds the same rows as the admin (folded words in any
order, exact codes), and amounts are taken with Greek or English separators."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from grants import services, workflow
from grants.filters import ApplicationFilterSet
from grants.models import Application, Programme
from grants.models import ApplicationStatus as S
from projects import services as project_services

ADA = "ΕΨΚ446ΜΤΛ6-ΡΞΥ"
MIS = "6001234"


@pytest.fixture
def applications(programme, kalamata, pyli, catalogue, officer):
    kal, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    project_services.selection_add(application=kal, project=catalogue[0], amount="1000", actor=officer)
    workflow.transition(
        kal,
        "record_decision",
        actor=officer,
        channel="import",
        status=S.INCLUDED,
        budget=Decimal("1000"),
        inclusion_date=datetime.date(2024, 7, 2),
        decision_ada=ADA,
        mis_code=MIS,
    )
    other, _ = services.application_get_or_create(programme=programme, municipality=pyli)
    project_services.selection_add(application=other, project=catalogue[1], amount="2000", actor=officer)
    return kal, other


def _report(client, name, q):
    response = client.get(f"/reports/{name}.json", {"q": q})
    assert response.status_code == 200
    return sorted({r["beneficiary"] for r in json.loads(b"".join(response.streaming_content))})


def _admin(client, url, q, names):
    html = client.get(reverse(url), {"q": q}).content.decode()
    return sorted(n for n in names if n in html)


@pytest.mark.parametrize(
    "term", ["ΚΑΛΑΜΑΤΑ", "Καλαμάτα", "καλαματας δημος", "Καλαμάτας δήμος", "4401", MIS, ADA]
)
def test_reports_and_admin_find_the_same_applications(client, applications, officer, term):
    client.force_login(officer)
    names = ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "ΔΗΜΟΣ ΠΥΛΗΣ"]

    found = _report(client, "operations", term)

    assert found == ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]
    assert _admin(client, "admin:grants_application_changelist", term, names) == found


@pytest.mark.parametrize("term", ["ΚΑΛΑΜΑΤΑ", "δήμος Καλαμάτας", "4401", "Έργο 1"])
def test_selections_report_searches_the_municipality_too(client, applications, officer, term):
    client.force_login(officer)

    found = _report(client, "selections", term)

    assert found == ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]
    assert (
        _admin(client, "admin:projects_selection_changelist", term, ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "ΔΗΜΟΣ ΠΥΛΗΣ"])
        == found
    )


def test_a_word_that_matches_nothing_finds_nothing(client, applications, officer):
    client.force_login(officer)

    assert _report(client, "operations", "Καλαμάτας Πύλης") == []


@pytest.mark.parametrize(
    ("low", "high", "found"),
    [
        ("1.000", "1.000,00", ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]),
        ("999,50", "1000", ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]),
        ("1.500", "1.000.000", ["ΔΗΜΟΣ ΠΥΛΗΣ"]),
        ("1000000,50", "", []),
        ("", "2.000 €", ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "ΔΗΜΟΣ ΠΥΛΗΣ"]),
    ],
)
def test_budget_filters_take_amounts_as_people_type_them(client, applications, officer, low, high, found):
    client.force_login(officer)

    response = client.get("/reports/operations.json", {"budget_min": low, "budget_max": high})

    assert response.status_code == 200, response.content
    assert sorted(r["beneficiary"] for r in json.loads(b"".join(response.streaming_content))) == found


def test_budget_filter_refuses_what_is_not_an_amount(client, applications, officer):
    client.force_login(officer)

    assert client.get("/reports/operations.csv", {"budget_min": "πολλά"}).status_code == 400


def test_pdf_states_the_budget_filter_in_euros(client, applications, officer):
    from pypdf import PdfReader

    client.force_login(officer)
    response = client.get("/reports/operations.pdf", {"budget_min": "1.000.000"})

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "1.000.000,00 €" in text


def test_caps_refuse_an_unknown_programme(client, programme, kalamata, auditor):
    client.force_login(auditor)

    page = client.get("/reports/caps/", {"programme": "NOPE"})
    download = client.get("/reports/caps.csv", {"programme": "NOPE"})

    assert page.status_code == 400 and "NOPE" in page.content.decode()
    assert download.status_code == 400 and "NOPE" in download.content.decode()
    assert client.get("/reports/caps/", {"programme": programme.code}).status_code == 200


def test_an_application_found_by_its_own_code_comes_alone_and_by_its_municipality_with_the_others(
    client, applications, officer, kalamata
):
    """The code (MIS, ΑΔΑ) is looked up apart from the municipality's name (grants.filters.
    application_search_q): what it finds must still be that application only, not every application of
    its municipality, in the FilterSet, the admin's list and the admin's totals alike."""
    kal, _other = applications
    second = Programme.objects.create(
        code="SECOND", title="Άλλο", managing_authority="ΕΥΔ", total_budget=Decimal("1000000.00")
    )
    again, _ = services.application_get_or_create(programme=second, municipality=kalamata)
    client.force_login(officer)

    def found(term):
        listed = ApplicationFilterSet({"q": term}, queryset=Application.objects.all()).qs
        response = client.get(reverse("admin:grants_application_changelist"), {"q": term})
        shown = [a.pk for a in response.context["cl"].result_list]
        assert response.context["sc_totals"]["count"] == len(shown)
        assert sorted(shown) == sorted(a.pk for a in listed)
        return sorted(shown)

    assert found(MIS) == found(ADA.lower()) == [kal.pk]
    assert found("Καλαμάτα") == sorted([kal.pk, again.pk])
