"""GET|PUT /api/v1/applications/{id}/checklist/: every role, the shape, 400 with the rows named,
409 after the proposal, and a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from grants import checklist, workflow
from grants.models import AuditEvent, ChecklistAnswer, ChecklistCriterion

from .conftest import ROLES

ANON, A, B, OFF, APP, AUD = ROLES


@pytest.fixture
def criteria(programme):
    return [
        ChecklistCriterion.objects.create(
            programme=programme, code=f"c{i}", text_el=f"Κριτήριο {i}", text_en=f"Criterion {i}", order=i
        )
        for i in range(1, 4)
    ]


@pytest.fixture
def reviewed(application_a, officer, criteria):
    for step in ("submit", "start_review"):
        workflow.transition(application_a, step, actor=officer)
    application_a.refresh_from_db()
    return application_a


def url(app):
    return reverse("api:application-checklist", kwargs={"application_pk": app.pk})


YES = [{"criterion": f"c{i}", "answer": "yes", "comment": ""} for i in range(1, 4)]


def test_get_lists_every_criterion_with_null_answers(clients, reviewed):
    response = clients[OFF].get(url(reviewed))
    assert response.status_code == 200
    assert [r["criterion"] for r in response.data] == ["c1", "c2", "c3"]
    assert response.data[0] == {
        "criterion": "c1",
        "text_el": "Κριτήριο 1",
        "text_en": "Criterion 1",
        "order": 1,
        "answer": None,
        "comment": "",
        "answered_by": None,
        "answered_at": None,
    }


def test_every_role_during_the_review(clients, reviewed):
    body = [{"criterion": "c1", "answer": "no", "comment": "Λείπει η απόφαση"}]
    expected = {ANON: 401, A: 403, B: 404, OFF: 200, APP: 403, AUD: 403}
    answered = {role: clients[role].put(url(reviewed), body, format="json").status_code for role in ROLES}
    assert answered == expected
    reads = {role: clients[role].get(url(reviewed)).status_code for role in ROLES}
    assert reads == {ANON: 401, A: 200, B: 404, OFF: 200, APP: 200, AUD: 200}
    assert ChecklistAnswer.objects.count() == 1


def test_put_answers_and_the_municipality_reads_them_without_officer_names(clients, reviewed, officer):
    response = clients[OFF].put(
        url(reviewed), [{"criterion": "c2", "answer": "na", "comment": "Δεν απαιτείται"}], format="json"
    )
    assert response.status_code == 200
    row = response.data[1]
    assert (row["answer"], row["comment"], row["answered_by"]) == ("na", "Δεν απαιτείται", "officer")
    assert response.data[0]["answer"] is None
    own = clients[A].get(url(reviewed)).data[1]
    assert (own["answer"], own["answered_by"]) == ("na", None)
    event = AuditEvent.objects.get(action="checklist.answer")
    assert (event.channel, event.actor) == ("api", officer)


def test_bad_rows_are_a_400_naming_them(clients, reviewed):
    with translation.override("en"):
        response = clients[OFF].put(
            url(reviewed),
            [{"criterion": "c1", "answer": "yes"}, {"criterion": "zz", "answer": "perhaps"}],
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert any("Row 2 («zz»)" in m for m in response.data["checklist"]), response.data
    assert not ChecklistAnswer.objects.exists()


def test_after_the_proposal_put_is_a_409_and_get_still_reads(clients, reviewed, officer):
    assert clients[OFF].put(url(reviewed), YES, format="json").status_code == 200
    workflow.transition(reviewed, "propose_inclusion", actor=officer)
    response = clients[OFF].put(
        url(reviewed), [{"criterion": "c1", "answer": "no", "comment": "x"}], format="json"
    )
    assert response.status_code == 409 and response.data["code"] == "checklist_closed"
    assert [r["answer"] for r in clients[APP].get(url(reviewed)).data] == ["yes", "yes", "yes"]


def test_propose_through_the_api_is_refused_with_the_criteria_named(clients, reviewed):
    transitions = reverse("api:application-transitions", kwargs={"application_pk": reviewed.pk})
    clients[OFF].put(url(reviewed), [{"criterion": "c1", "answer": "yes"}], format="json")
    response = clients[OFF].post(
        transitions, {"action": "propose_inclusion"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "Criterion 2" in response.data["detail"] and "Criterion 1" not in response.data["detail"]


def test_get_queries_do_not_grow_with_criteria_and_answers(clients, reviewed, officer, programme):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clients[OFF].get(url(reviewed)).status_code == 200
        return len(queries)

    few = count()
    for i in range(4, 30):
        ChecklistCriterion.objects.create(
            programme=programme, code=f"c{i}", text_el="Κ", text_en="C", order=i
        )
    rows = [{"criterion": f"c{i}", "answer": "yes"} for i in range(1, 30)]
    checklist.checklist_answer(application=reviewed, answers=rows, actor=officer)
    assert count() == few
