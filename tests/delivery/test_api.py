"""The decision side's API on an included operation: every role on every new endpoint, the
amendment walked end to end, field errors (400) and refusals (409), constant query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token

from grants.delivery import amendments as svc
from grants.delivery import indicators, progress
from grants.models import Amendment, AmendmentState, Application
from grants.services import application_get_or_create
from projects.services import selection_add
from tests.api.conftest import ROLES, client_for
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

from .conftest import contract, include

ANON, A, B, OFF, APP, AUD = ROLES
APPROVAL = {"decision_ada": "ΨΓΡ1465ΧΞ7-9ΑΒ", "decision_date": "2025-05-20"}


@pytest.fixture(scope="module")
def built(module_db):
    """The accounts and Kalamata's included operation, which every test here asks for, built once for
    the module (tests/conftest.py: module_db) in the order its fixtures made them, in English as the
    delivery tests' fixtures were."""
    with module_db.unblock(), translation.override("en"):
        regional_unit = make_regional_unit(make_region())
        programme = make_programme()
        kalamata, pyli = make_kalamata(regional_unit), make_pyli(regional_unit)
        users = {
            A: make_municipality_user("kalamata", kalamata),
            B: make_municipality_user("pyli", pyli),
            **{role: make_staff(role) for role in (OFF, APP, AUD)},
            ANON: None,
        }
        for user in users.values():
            if user is not None:
                Token.objects.create(user=user)
        catalogue = make_catalogue(make_category())
        app, _ = application_get_or_create(programme=programme, municipality=kalamata)
        for project in catalogue[:3]:
            selection_add(application=app, project=project, amount="100000", actor=users[A])
        included = include(app, municipality_user=users[A], officer=users[OFF], approver=users[APP])
    return {
        "users": users,
        "kalamata_user": users[A],
        "officer": users[OFF],
        "approver": users[APP],
        "catalogue": catalogue,
        "included": included,
    }


users, kalamata_user, officer, approver, catalogue, included = (
    per_test(name, "built")
    for name in ("users", "kalamata_user", "officer", "approver", "catalogue", "included")
)


def english_client(user):
    # Reasons are asserted in English: the API answers in the language the client asks for.
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def clients(users):
    return {role: english_client(user) for role, user in users.items()}


@pytest.fixture
def amendment(included, kalamata_user):
    return svc.amendment_request(
        application=included, actor=kalamata_user, justification="Λόγος", budget="310000"
    )


@pytest.fixture
def proposed(amendment, officer):
    return svc.amendment_transition(amendment, "propose", actor=officer)


def status(anon, a, b, officer, approver, auditor):
    return dict(zip(ROLES, (anon, a, b, officer, approver, auditor), strict=True))


READ = status(401, 200, 404, 200, 200, 200)

# (url name, method, body, expected by role); the amendment is `requested` unless the name says.
CASES = [
    ("application-decisions", "get", None, READ),
    ("application-amendments", "get", None, READ),
    ("amendment-detail", "get", None, READ),
    ("amendment-transitions", "get", None, READ),
    ("application-progress", "get", None, READ),
    ("application-indicators", "get", None, READ),
    # A second request while one is in progress is a 409 for those who may request.
    (
        "application-amendments",
        "post",
        {"justification": "x", "end_date": "2027-01-01"},
        status(401, 409, 404, 409, 403, 403),
    ),
    ("amendment-transitions", "post", {"action": "propose"}, status(401, 409, 404, 200, 409, 403)),
    (
        "amendment-transitions",
        "post",
        {"action": "refuse", "note": "Όχι"},
        status(401, 409, 404, 200, 200, 403),
    ),
    (
        "application-progress",
        "post",
        {"project": "T01", "stage": "procurement", "date": "2025-01-01"},
        status(401, 200, 404, 403, 403, 403),
    ),
    ("application-indicators", "post", {"code": "RCO14", "target": 1}, status(401, 409, 404, 201, 403, 403)),
    (
        "application-indicators",
        "post",
        {"code": "RCR11", "achieved": 10, "measured_on": "2025-01-01", "evidence": "Στατιστικά"},
        status(401, 201, 404, 409, 403, 403),
    ),
    ("indicator-totals", "get", None, status(401, 200, 200, 200, 200, 200)),
]


def url(name, app, amendment=None):
    if name == "indicator-totals":
        return reverse("api:indicator-totals")
    kwargs = {"application_pk": app.pk}
    if name.startswith("amendment-"):
        kwargs["pk"] = amendment.pk
    return reverse(f"api:{name}", kwargs=kwargs)


@pytest.mark.parametrize(
    ("name", "method", "body", "expected"), CASES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_role_on_every_endpoint(name, method, body, expected, clients, included, amendment):
    answered = {}
    for role in ROLES:
        with transaction.atomic():
            response = getattr(clients[role], method)(url(name, included, amendment), body, format="json")
            transaction.set_rollback(True)
        answered[role] = response.status_code
    assert answered == expected


def test_approve_is_the_approvers_and_never_the_proposers(clients, included, proposed, officer_approver):
    target = url("amendment-transitions", included, proposed)
    for role, code in ((A, 409), (OFF, 409), (AUD, 403), (B, 404)):
        assert (
            clients[role].post(target, {"action": "approve", **APPROVAL}, format="json").status_code == code
        )
    # The officer who proposed holds both roles in this test: still refused.
    Amendment.objects.filter(pk=proposed.pk).update(proposed_by=officer_approver)
    both = english_client(officer_approver)
    response = both.post(target, {"action": "approve", **APPROVAL}, format="json")
    assert response.status_code == 409 and "Four eyes" in response.data["detail"]
    listed = {a["name"]: a for a in both.get(target).data["actions"]}
    assert not listed["approve"]["allowed"] and "Four eyes" in listed["approve"]["reason"]
    response = clients[APP].post(target, {"action": "approve", **APPROVAL}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == AmendmentState.APPROVED
    assert response.data["decision_version"] == 2


def test_an_amendment_through_the_api(clients, included, officer):
    create = url("application-amendments", included)
    body = {
        "justification": "Νέο έργο",
        "selections": [{"project": "T01", "amount": "100000.00"}, {"project": "T04", "amount": "90000.50"}],
        "end_date": "2027-03-31",
    }
    response = clients[A].post(create, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "requested"
    assert response.data["selections"] == [
        {"project": "T01", "amount": "100000.00"},
        {"project": "T04", "amount": "90000.50"},
    ]
    aid = response.data["id"]
    amendment = Amendment.objects.get(pk=aid)
    target = url("amendment-transitions", included, amendment)
    assert clients[OFF].post(target, {"action": "propose"}, format="json").status_code == 200
    response = clients[APP].post(target, {"action": "approve", **APPROVAL}, format="json")
    assert response.status_code == 200, response.data
    versions = clients[AUD].get(url("application-decisions", included)).data["results"]
    assert [(v["version"], v["kind"], v["budget"]) for v in versions] == [
        (1, "inclusion", "300000.00"),
        (2, "amendment", "190000.50"),
    ]
    assert versions[0]["decision_ada"] == "ΕΨΚ446ΜΤΛ6-ΡΞΥ" and versions[0]["decision_date"] == "2024-07-02"
    assert versions[1] == {
        "version": 2,
        "kind": "amendment",
        "decision_ada": "ΨΓΡ1465ΧΞ7-9ΑΒ",
        "decision_date": "2025-05-20",
        "budget": "190000.50",
        "selections": body["selections"],
        "end_date": "2027-03-31",
    }
    assert Application.objects.get(pk=included.pk).budget == Decimal("190000.50")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"justification": "x"}, "budget"),
        ({"justification": "", "budget": "310000"}, "justification"),
        ({"justification": "x", "budget": "1.005"}, "budget"),
        ({"justification": "x", "selections": [{"project": "NOPE", "amount": "1"}]}, "selections"),
        ({"justification": "x", "end_date": "soon"}, "end_date"),
    ],
)
def test_field_errors_are_400_naming_the_field(clients, included, body, field):
    response = clients[A].post(url("application-amendments", included), body, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data
    assert not Amendment.objects.exists()


def test_the_contracted_floor_is_a_400_then_a_409(clients, included, kalamata_user, officer, catalogue):
    contract(included, catalogue[0], "95000", kalamata_user)
    body = {"justification": "x", "selections": [{"project": "T01", "amount": "90000"}]}
    response = clients[A].post(url("application-amendments", included), body, format="json")
    assert response.status_code == 400 and "selections" in response.data
    ok = {"justification": "x", "selections": [{"project": "T01", "amount": "96000"}]}
    response = clients[A].post(url("application-amendments", included), ok, format="json")
    assert response.status_code == 201
    amendment = Amendment.objects.get()
    svc.amendment_transition(amendment, "propose", actor=officer)
    contract(included, catalogue[0], "2000", kalamata_user)
    response = clients[APP].post(
        url("amendment-transitions", included, amendment), {"action": "approve", **APPROVAL}, format="json"
    )
    assert response.status_code == 409 and "contracted" in response.data["detail"]


def test_complete_through_the_transitions_endpoint_names_its_guards(clients, included):
    target = reverse("api:application-transitions", kwargs={"application_pk": included.pk})
    listed = {a["name"]: a for a in clients[APP].get(target).data["actions"]}
    assert listed["complete"]["fields"] == ["decision_ada", "decision_date"]
    assert "Projects not yet completed" in listed["complete"]["reason"]
    response = clients[APP].post(
        target,
        {"action": "complete", "decision_ada": "ΩΡΤ1465ΧΞ7-ΛΔΑ", "decision_date": "2026-10-01"},
        format="json",
    )
    assert response.status_code == 409


def test_progress_and_indicators_read_back(clients, included, officer, kalamata_user):
    response = clients[A].post(
        url("application-progress", included),
        {"project": "T02", "stage": "contracted", "date": "2025-02-03"},
        format="json",
    )
    assert response.status_code == 200
    assert response.data["stage"] == "contracted" and response.data["contracted_on"] == "2025-02-03"
    rows = clients[AUD].get(url("application-progress", included)).data
    assert [(r["project"], r["stage"]) for r in rows] == [
        ("T01", "not_started"),
        ("T02", "contracted"),
        ("T03", "not_started"),
    ]
    indicators.indicator_target_set(application=included, code="RCR11", target=5000, actor=officer)
    indicators.indicator_report(
        application=included,
        code="RCR11",
        achieved=1200,
        measured_on=datetime.date(2025, 2, 1),
        evidence="x",
        actor=kalamata_user,
    )
    rows = {r["code"]: r for r in clients[B].get(reverse("api:indicator-totals")).data}
    assert rows == {}  # another municipality adds up only its own operations
    (programme,) = clients[OFF].get(reverse("api:indicator-totals"), {"group": "programme"}).data
    assert programme["indicators"][0] == {
        "code": "RCR11",
        "title": programme["indicators"][0]["title"],
        "target": 5000,
        "achieved": 1200,
    }
    (row,) = [r for r in clients[A].get(url("application-indicators", included)).data if r["code"] == "RCR11"]
    assert (row["target"], row["achieved"], row["measured_on"]) == (5000, 1200, "2025-02-01")
    assert clients[OFF].get(reverse("api:indicator-totals"), {"group": "nonsense"}).status_code == 400


def test_a_stage_or_indicator_value_with_bad_input_is_400(clients, included):
    response = clients[A].post(
        url("application-progress", included), {"project": "T01", "stage": "procurement"}, format="json"
    )
    assert response.status_code == 400 and "date" in response.data
    response = clients[A].post(
        url("application-indicators", included),
        {"code": "RCR11", "achieved": 5, "measured_on": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "evidence" in response.data


# --- query counts ----------------------------------------------------------------------------------


def measure(client, target):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target)
    assert response.status_code == 200
    return len(queries)


def grow(app, users, officer, approver, catalogue):
    """More amendments (each decided, with versions), progress rows, indicator values."""
    for budget in ("320000", "330000", "340000"):
        amendment = svc.amendment_request(application=app, actor=users[A], justification="x", budget=budget)
        svc.amendment_transition(amendment, "propose", actor=officer)
        svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)
    amendment = svc.amendment_request(application=app, actor=users[A], justification="x", budget="350000")
    svc.amendment_transition(amendment, "refuse", actor=officer, note="Όχι")
    for code in ("T02", "T03"):
        progress.progress_set(
            application=app, project=code, stage="procurement", date=datetime.date(2025, 1, 1), actor=users[A]
        )
    for day in range(2, 6):
        indicators.indicator_report(
            application=app,
            code="RCO14",
            achieved=day,
            measured_on=datetime.date(2025, 1, day),
            evidence="x",
            actor=users[A],
        )
    indicators.indicator_target_set(application=app, code="RCO14", target=9, actor=officer)


@pytest.mark.parametrize("role", [OFF, A])
def test_list_queries_do_not_grow_with_rows(role, clients, users, included, officer, approver, catalogue):
    svc.amendment_transition(
        svc.amendment_request(application=included, actor=users[A], justification="x", budget="310000"),
        "refuse",
        actor=officer,
        note="Όχι",
    )
    progress.progress_set(
        application=included,
        project="T01",
        stage="procurement",
        date=datetime.date(2025, 1, 1),
        actor=users[A],
    )
    indicators.indicator_report(
        application=included,
        code="RCO14",
        achieved=1,
        measured_on=datetime.date(2025, 1, 1),
        evidence="x",
        actor=users[A],
    )
    names = [
        "application-decisions",
        "application-amendments",
        "application-progress",
        "application-indicators",
        "indicator-totals",
    ]
    before = {n: measure(clients[role], url(n, included)) for n in names}
    grow(included, users, officer, approver, catalogue)
    after = {n: measure(clients[role], url(n, included)) for n in names}
    assert after == before
    assert len(clients[role].get(url("application-amendments", included)).data["results"]) == 5
    assert len(clients[role].get(url("application-decisions", included)).data["results"]) == 4
