"""The evaluation checklist in the admin: officers keep the criteria and answer them on the application
page during the review; the approver and the auditor read them; the proposal button says what is
missing; answers freeze at the proposal."""

import pytest
from django.urls import reverse

from grants import checklist, workflow
from grants.models import ApplicationStatus as S
from grants.models import AuditEvent, Channel, ChecklistAnswer, ChecklistCriterion
from tests.test_admin_workflow import application_in, change_url, login, message_texts


@pytest.fixture
def criteria(programme):
    return [
        ChecklistCriterion.objects.create(
            programme=programme, code=f"c{i}", text_el=f"Κριτήριο {i}", text_en=f"Criterion {i}", order=i
        )
        for i in range(1, 4)
    ]


@pytest.fixture
def app(programme, kalamata, catalogue, officer, criteria):
    return application_in(programme, kalamata, catalogue[0], S.UNDER_REVIEW, officer)


def checklist_url(app):
    return reverse("admin:grants_application_checklist", args=[app.pk])


def form_data(**answers):
    data = {}
    for code, (answer, comment) in answers.items():
        data[f"answer_{code}"] = answer
        data[f"comment_{code}"] = comment
    return data


def test_the_officer_answers_on_the_application_page(client, app, officer):
    page = login(client, officer).get(change_url(app))
    panel = page.context["checklist_panel"]
    assert panel["editable"] and [i["row"].criterion.code for i in panel["items"]] == ["c1", "c2", "c3"]
    body = page.content.decode()
    assert 'id="sc-checklist"' in body and 'name="answer_c1"' in body and checklist_url(app) in body
    response = client.post(checklist_url(app), form_data(c1=("yes", ""), c2=("no", "Λείπει η απόφαση")))
    assert response.status_code == 302 and response["Location"] == change_url(app) + "#sc-checklist"
    assert dict(ChecklistAnswer.objects.values_list("criterion__code", "answer")) == {"c1": "yes", "c2": "no"}
    events = AuditEvent.objects.filter(action="checklist.answer", application=app)
    assert events.count() == 2 and {e.channel for e in events} == {Channel.ADMIN}
    # The proposal is not offered, and says which criteria stop it.
    page = client.get(change_url(app))
    unavailable = {i["option"].name: i["reason"] for i in page.context["workflow_panel"] if not i["allowed"]}
    assert (
        "Criterion 3" in unavailable["propose_inclusion"]
        and "Criterion 2" in unavailable["propose_inclusion"]
    )


def test_a_refused_answer_shows_the_form_again_with_the_reason(client, app, officer):
    response = login(client, officer).post(checklist_url(app), form_data(c1=("no", "")))
    assert response.status_code == 400
    assert any("comment: required" in m for m in message_texts(response))
    assert 'name="comment_c1"' in response.content.decode()
    assert not ChecklistAnswer.objects.exists()


@pytest.mark.parametrize("who", ["approver", "auditor"])
def test_others_read_but_cannot_answer(client, app, officer, who, request):
    checklist.checklist_answer(
        application=app, answers=[{"criterion": "c1", "answer": "na", "comment": "Δεν αφορά"}], actor=officer
    )
    user = request.getfixturevalue(who)
    page = login(client, user).get(change_url(app))
    panel = page.context["checklist_panel"]
    assert not panel["editable"]
    body = page.content.decode()
    assert "Not applicable" in body and "Δεν αφορά" in body and 'name="answer_c1"' not in body
    assert client.post(checklist_url(app), form_data(c1=("yes", ""))).status_code == 403
    assert ChecklistAnswer.objects.get().answer == "na"


def test_the_approver_sees_the_frozen_answers_after_the_proposal(client, app, officer, approver):
    answers = [{"criterion": f"c{i}", "answer": "yes", "comment": f"Έλεγχος {i}"} for i in range(1, 4)]
    checklist.checklist_answer(application=app, answers=answers, actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer)
    page = login(client, approver).get(change_url(app))
    body = page.content.decode()
    assert "frozen when the inclusion was proposed" in body and "Έλεγχος 3" in body
    # Not even an officer changes them now.
    response = login(client, officer).post(checklist_url(app), form_data(c1=("no", "x")))
    assert response.status_code == 400 and any("frozen" in m for m in message_texts(response))
    assert set(ChecklistAnswer.objects.values_list("answer", flat=True)) == {"yes"}


def test_officers_keep_the_criteria_and_changes_are_audited(client, officer, approver, programme, criteria):
    url = reverse("admin:grants_checklistcriterion_add")
    data = {
        "programme": programme.pk,
        "code": "new",
        "text_el": "Νέο",
        "text_en": "New",
        "order": 9,
        "active": "on",
    }
    assert login(client, officer).post(url, data).status_code == 302
    assert AuditEvent.objects.filter(action="checklist_criterion.create", actor=officer).count() == 1
    change = reverse("admin:grants_checklistcriterion_change", args=[criteria[0].pk])
    response = client.post(change, {**data, "code": "c1", "text_el": "Διορθωμένο", "active": ""})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="checklist_criterion.change")
    assert event.after == {"text_el": "Διορθωμένο", "text_en": "New", "order": 9, "active": False}
    # Approvers read the criteria; they do not change them.
    assert login(client, approver).post(url, {**data, "code": "other"}).status_code == 403
    assert not ChecklistCriterion.objects.filter(code="other").exists()


def test_the_checklist_page_alone(client, app, auditor, officer):
    response = login(client, auditor).get(checklist_url(app))
    assert response.status_code == 200 and not response.context["checklist_panel"]["editable"]
    assert 'name="answer_c1"' not in response.content.decode()
    response = login(client, officer).get(checklist_url(app))
    assert response.status_code == 200 and 'name="answer_c1"' in response.content.decode()
    missing = reverse("admin:grants_application_checklist", args=[app.pk + 1000])
    assert client.get(missing).status_code == 404
