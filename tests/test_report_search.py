"""`?q=` finds the same rows in the reports and in the admin: folded words in any order, exact codes."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from grants import services, workflow
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
