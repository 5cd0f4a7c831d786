"""The transition table: every action from every status by every kind of user, against the rules
written out by hand from issue 3. Its 72 cases share one application and the accounts, built once
for the module (tests/conftest.py: module_db); each case still starts from them as built."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from grants import workflow
from grants.models import ApplicationStatus as S
from grants.models import AuditEvent
from grants.services import application_get_or_create
from projects.services import selection_add
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
from tests.test_workflow import FIELDS, _force_status, english  # noqa: F401 (fixture)

NOTES = {"return": "Λείπει τεκμηρίωση", "reject": "Εκτός πεδίου", "deinclude": "Απένταξη"}

# Written out by hand from issue 3, not derived from the code under test.
ALLOWED = {
    "submit": ({S.DRAFT, S.RETURNED}, {"own", "officer"}),
    "start_review": ({S.SUBMITTED}, {"officer"}),
    "return": ({S.SUBMITTED, S.UNDER_REVIEW}, {"officer"}),
    "propose_inclusion": ({S.UNDER_REVIEW}, {"officer"}),
    "include": ({S.TO_BE_INCLUDED}, {"approver"}),
    "reject": ({S.SUBMITTED, S.UNDER_REVIEW, S.TO_BE_INCLUDED}, {"officer", "approver"}),
    "withdraw": ({S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.RETURNED, S.TO_BE_INCLUDED}, {"own"}),
    "deinclude": ({S.INCLUDED}, {"approver"}),
}


@pytest.fixture(scope="module")
def built(module_db):
    """tests/test_workflow.py's `app` and `actors`, and officer2, in the order its fixtures made them."""
    with module_db.unblock(), translation.override("en"):
        regional_unit = make_regional_unit(make_region())
        programme = make_programme()
        kalamata = make_kalamata(regional_unit)
        catalogue = make_catalogue(make_category())
        kalamata_user = make_municipality_user("kalamata", kalamata)
        application, _ = application_get_or_create(programme=programme, municipality=kalamata)
        for project in catalogue[:3]:
            selection_add(application=application, project=project, amount="100000", actor=kalamata_user)
        actors = {
            "own": kalamata_user,
            "other": make_municipality_user("pyli", make_pyli(regional_unit)),
            **{role: make_staff(role) for role in ("officer", "approver", "auditor")},
            "anonymous": AnonymousUser(),
        }
        return {"app": application, "actors": actors, "officer2": make_staff("officer2")}


app, actors, officer2 = (per_test(name, "built") for name in ("app", "actors", "officer2"))


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_transition_table(action, status, app, actors, officer2):
    sources, who = ALLOWED[action]
    for role, user in actors.items():
        _force_status(app, status, officer2)
        listed = {o.name: o for o in workflow.available_actions(app, user)}[action]
        expected = status in sources and role in who
        assert listed.allowed is expected, (role, listed.reason)
        events_before = AuditEvent.objects.count()
        if expected:
            workflow.transition(
                app, action, actor=user, note=NOTES.get(action, ""), channel="admin", **FIELDS.get(action, {})
            )
            app.refresh_from_db()
            assert app.status == workflow.ACTIONS[action].target
            event = AuditEvent.objects.latest("id")
            assert (event.action, event.before["status"], event.after["status"]) == (
                f"workflow.{action}",
                status,
                app.status,
            )
            assert event.actor == user and event.channel == "admin"
        else:
            assert listed.reason
            with pytest.raises(workflow.TransitionError) as refused:
                workflow.transition(app, action, actor=user, note="n", **FIELDS.get(action, {}))
            message = " ".join(refused.value.messages)
            if role == "other":
                expected_reason = "another municipality"
            elif role in who:
                expected_reason = "not possible while"
            elif role == "anonymous":
                expected_reason = "Log in"
            else:
                expected_reason = "Only"
            assert expected_reason in message, (role, message)
            app.refresh_from_db()
            assert app.status == status
            assert AuditEvent.objects.count() == events_before
