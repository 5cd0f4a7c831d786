"""The workflow in the admin: the actions offered on the application page per role, refusals shown
with their reason, and bulk actions that follow the single-item rules (four eyes included)."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from grants import services, workflow
from grants.models import Application, AuditEvent, Channel
from grants.models import ApplicationStatus as S
from projects import services as project_services
from tests.conftest import make_municipality

ADA = "ΕΨΚ446ΜΤΛ6-ΡΞΥ"


def login(client, user):
    client.force_login(user)
    # Messages are asserted in English, the catalogues' source language, whatever the default is.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def application_in(programme, municipality, project, status, officer, proposer=None):
    """An application walked to `status` through the workflow itself."""
    app = services.application_get_or_create(programme=programme, municipality=municipality)[0]
    project_services.selection_add(application=app, project=project, amount="100000", actor=officer)
    path = {
        S.DRAFT: [],
        S.SUBMITTED: ["submit"],
        S.UNDER_REVIEW: ["submit", "start_review"],
        S.TO_BE_INCLUDED: ["submit", "start_review", "propose_inclusion"],
    }[status]
    for action in path:
        actor = proposer if action == "propose_inclusion" and proposer else officer
        workflow.transition(app, action, actor=actor)
    app.refresh_from_db()
    assert app.status == status
    return app


def offered(response):
    return {item["option"].name for item in response.context["workflow_panel"] if item["allowed"]}


def change_url(app):
    return reverse("admin:grants_application_change", args=[app.pk])


def transition_url(app, action):
    return reverse("admin:grants_application_transition", args=[app.pk, action])


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- buttons per role ----------------------------------------------------------------------------


def test_buttons_are_exactly_the_actions_each_role_may_take(
    client, programme, kalamata, catalogue, officer, approver, auditor
):
    submitted = application_in(programme, kalamata, catalogue[0], S.SUBMITTED, officer)

    response = login(client, officer).get(change_url(submitted))
    assert offered(response) == {"start_review", "return", "reject"}
    body = response.content.decode()
    assert 'id="sc-action-start_review"' in body
    assert transition_url(submitted, "start_review") in body
    assert 'id="sc-action-include"' not in body
    # Unavailable actions are listed with their reason.
    assert "Only an approver may take the action «Include»." in body

    response = login(client, approver).get(change_url(submitted))
    assert offered(response) == {"reject"}

    response = login(client, auditor).get(change_url(submitted))
    assert offered(response) == set()
    assert (
        '<form method="post" action="' + transition_url(submitted, "reject") not in response.content.decode()
    )


def test_include_is_offered_to_an_approver_but_not_to_the_proposer(
    client, programme, kalamata, catalogue, officer, approver, officer_approver
):
    app = application_in(
        programme, kalamata, catalogue[0], S.TO_BE_INCLUDED, officer, proposer=officer_approver
    )
    response = login(client, approver).get(change_url(app))
    assert "include" in offered(response)
    body = response.content.decode()
    assert 'name="include-decision_ada"' in body and 'name="include-inclusion_date"' in body

    response = login(client, officer_approver).get(change_url(app))
    assert "include" not in offered(response)
    assert "Four eyes: you proposed this inclusion" in response.content.decode()


def test_an_officers_not_eligible_override_is_the_reason_shown_for_propose_and_include(
    client, programme, kalamata, catalogue, officer, approver
):
    review = application_in(programme, kalamata, catalogue[0], S.UNDER_REVIEW, officer)
    services.municipality_update(
        municipality=kalamata, actor=officer, eligibility_override=False, eligibility_override_reason="Κρίση"
    )
    response = login(client, officer).get(change_url(review))
    assert offered(response) == {"return", "reject"}
    body = response.content.decode()
    assert 'id="sc-unavailable-propose_inclusion"' in body
    assert "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ is not eligible for this programme" in body

    Application.objects.filter(pk=review.pk).update(status=S.TO_BE_INCLUDED, proposed_by=officer)
    response = login(client, approver).get(change_url(review))
    assert "include" not in offered(response)
    assert "is not eligible for this programme, so «Include» is not possible" in response.content.decode()


# -- one transition from the page ----------------------------------------------------------------


def test_a_transition_from_the_page_goes_through_the_workflow(
    client, programme, kalamata, catalogue, officer
):
    app = application_in(programme, kalamata, catalogue[0], S.SUBMITTED, officer)
    response = login(client, officer).post(transition_url(app, "start_review"), {"start_review-note": "ok"})
    assert response.status_code == 302 and response["Location"] == change_url(app)
    app.refresh_from_db()
    assert app.status == S.UNDER_REVIEW
    event = AuditEvent.objects.get(application=app, action="workflow.start_review")
    assert (event.channel, event.actor, event.note) == (Channel.ADMIN, officer, "ok")


def test_a_refused_transition_shows_its_reason_and_changes_nothing(
    client, programme, kalamata, catalogue, officer, approver
):
    app = application_in(programme, kalamata, catalogue[0], S.TO_BE_INCLUDED, officer)
    data = {"include-inclusion_date": "07/03/2024", "include-decision_ada": ADA, "include-note": ""}

    response = login(client, officer).post(transition_url(app, "include"), data)
    assert response.status_code == 200
    assert "Only an approver may take the action «Include»." in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.TO_BE_INCLUDED

    # A refusal that only the input reveals (a malformed ΑΔΑ) comes back on its field.
    response = login(client, approver).post(
        transition_url(app, "include"), {**data, "include-decision_ada": "12"}
    )
    assert response.status_code == 200
    assert "is not a valid ΑΔΑ" in response.content.decode()
    app.refresh_from_db()
    assert app.status == S.TO_BE_INCLUDED
    assert not AuditEvent.objects.filter(application=app, action="workflow.include").exists()

    # A required note is asked for before the workflow is called.
    response = client.post(transition_url(app, "reject"), {"reject-note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]

    response = client.post(transition_url(app, "include"), data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.decision_ada, app.inclusion_date.isoformat()) == (S.INCLUDED, ADA, "2024-03-07")


def test_auditor_cannot_post_a_transition(client, programme, kalamata, catalogue, officer, auditor):
    app = application_in(programme, kalamata, catalogue[0], S.SUBMITTED, officer)
    response = login(client, auditor).post(transition_url(app, "start_review"), {"start_review-note": ""})
    assert response.status_code == 403
    app.refresh_from_db()
    assert app.status == S.SUBMITTED


# -- bulk actions --------------------------------------------------------------------------------


@pytest.fixture
def five_to_include(programme, regional_unit, catalogue, officer, officer_approver):
    """Five applications proposed for inclusion: three by `officer_approver`, two by `officer`."""
    apps = []
    for i in range(5):
        m = make_municipality(regional_unit, f"77{i:02d}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {i}", 20000)
        proposer = officer_approver if i < 3 else officer
        apps.append(application_in(programme, m, catalogue[0], S.TO_BE_INCLUDED, officer, proposer=proposer))
    return apps


def bulk_post(client, action, apps, **extra):
    # "index" is the name of the list's Go button; the intermediate form posts without it.
    data = {"action": f"workflow_{action}", "_selected_action": [a.pk for a in apps], **extra}
    if "apply" not in extra:
        data["index"] = "0"
    return client.post(reverse("admin:grants_application_changelist"), data)


def test_bulk_include_by_the_proposer_is_refused_item_by_item(client, five_to_include, officer_approver):
    login(client, officer_approver)
    # Include needs a date and a ΑΔΑ: an intermediate page asks for them first.
    response = bulk_post(client, "include", five_to_include)
    assert response.status_code == 200
    assert 'name="inclusion_date"' in response.content.decode()
    assert Application.objects.filter(status=S.INCLUDED).count() == 0

    response = bulk_post(
        client, "include", five_to_include, apply="1", inclusion_date="07/03/2024", decision_ada=ADA
    )
    assert response.status_code == 302
    [text] = message_texts(response)
    assert "2 now «Included», 3 refused" in text
    assert text.count("Four eyes: you proposed this inclusion") == 3
    statuses = [Application.objects.get(pk=a.pk).status for a in five_to_include]
    assert statuses == [S.TO_BE_INCLUDED] * 3 + [S.INCLUDED] * 2
    assert AuditEvent.objects.filter(action="workflow.include", channel=Channel.ADMIN).count() == 2


def test_bulk_action_without_a_form_reports_each_outcome(
    client, programme, kalamata, pyli, catalogue, officer
):
    submitted = application_in(programme, kalamata, catalogue[0], S.SUBMITTED, officer)
    draft = application_in(programme, pyli, catalogue[0], S.DRAFT, officer)
    response = bulk_post(login(client, officer), "start_review", [submitted, draft])
    assert response.status_code == 302
    [text] = message_texts(response)
    assert "1 now «Under review», 1 refused" in text
    assert "ΔΗΜΟΣ ΠΥΛΗΣ: «Start review» is not possible while the application is «Draft»." in text


def test_bulk_action_needing_a_note_asks_for_it(client, programme, kalamata, catalogue, officer):
    app = application_in(programme, kalamata, catalogue[0], S.SUBMITTED, officer)
    login(client, officer)
    response = bulk_post(client, "return", [app], apply="1", note="")
    assert response.status_code == 200 and response.context["form"].errors["note"]
    response = bulk_post(client, "return", [app], apply="1", note="Missing the council decision")
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == S.RETURNED
    assert AuditEvent.objects.get(action="workflow.return").note == "Missing the council decision"


def test_empty_selection_gives_a_message_not_an_error_page(client, officer, programme, kalamata):
    response = login(client, officer).post(
        reverse("admin:grants_application_changelist"), {"action": "workflow_include", "index": "0"}
    )
    assert response.status_code == 302
    assert any("Items must be selected" in t for t in message_texts(response))


def test_an_approver_types_the_budget_the_greek_way(
    client, programme, kalamata, catalogue, officer, approver
):
    app = application_in(programme, kalamata, catalogue[0], S.TO_BE_INCLUDED, officer)
    client.force_login(approver)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    data = {
        "include-inclusion_date": "07/03/2024",
        "include-decision_ada": ADA,
        "include-budget": "695.800,00",
    }

    assert (
        client.post(transition_url(app, "include"), {**data, "include-budget": "695.800,001"}).status_code
        == 200
    )
    assert client.post(transition_url(app, "include"), data).status_code == 302

    app.refresh_from_db()
    assert (app.status, str(app.budget)) == (S.INCLUDED, "695800.00")
