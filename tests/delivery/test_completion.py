"""The `complete` action: a row of the transition table, with a guard for each condition."""

import datetime

import pytest

from grants import workflow
from grants.delivery import progress
from grants.models import Application, AuditEvent, DeclarationState, ProgressStage
from grants.models import ApplicationStatus as S
from grants.workflow import TransitionError

from .conftest import contract, declaration

COMPLETION = {"decision_ada": "ΩΡΤ1465ΧΞ7-ΛΔΑ", "decision_date": "2026-10-01"}


def complete_all_projects(app, user):
    for code in ("T01", "T02", "T03"):
        progress.progress_set(
            application=app,
            project=code,
            stage=ProgressStage.COMPLETED,
            date=datetime.date(2026, 9, 1),
            actor=user,
        )


@pytest.fixture
def ready(included, kalamata_user, catalogue):
    """Every project completed, the final declaration verified."""
    complete_all_projects(included, kalamata_user)
    c = contract(included, catalogue[0], "90000", kalamata_user)
    declaration(included, c, "50000", kalamata_user, state=DeclarationState.VERIFIED)
    declaration(included, c, "40000", kalamata_user, state=DeclarationState.VERIFIED, is_final=True)
    return included


def reason(app, user) -> str:
    option = {o.name: o for o in workflow.available_actions(app, user)}["complete"]
    assert not option.allowed
    return option.reason


def test_an_approver_completes_a_ready_operation(ready, approver):
    assert {o.name: o for o in workflow.available_actions(ready, approver)}["complete"].allowed
    workflow.transition(ready, "complete", actor=approver, **COMPLETION)
    app = Application.objects.get(pk=ready.pk)
    assert app.status == S.COMPLETED
    assert app.get_status_display() == "Completed"
    assert (app.completion_ada, app.completion_date) == ("ΩΡΤ1465ΧΞ7-ΛΔΑ", datetime.date(2026, 10, 1))
    event = AuditEvent.objects.filter(application=app, action="workflow.complete").get()
    assert event.after["status"] == S.COMPLETED and event.after["completion_ada"] == "ΩΡΤ1465ΧΞ7-ΛΔΑ"


@pytest.mark.parametrize("who", ["officer", "kalamata_user", "auditor", "pyli_user"])
def test_only_an_approver_completes(ready, who, request):
    user = request.getfixturevalue(who)
    assert reason(ready, user)
    with pytest.raises(TransitionError):
        workflow.transition(ready, "complete", actor=user, **COMPLETION)
    assert Application.objects.get(pk=ready.pk).status == S.INCLUDED


def test_a_project_not_completed_blocks(ready, approver, kalamata_user):
    progress.progress_set(
        application=ready,
        project="T02",
        stage=ProgressStage.IN_IMPLEMENTATION,
        date=datetime.date(2026, 9, 2),
        actor=kalamata_user,
    )
    assert "Projects not yet completed: T02." in reason(ready, approver)
    with pytest.raises(TransitionError, match="T02"):
        workflow.transition(ready, "complete", actor=approver, **COMPLETION)


def test_a_project_without_progress_blocks(included, approver, kalamata_user, catalogue):
    c = contract(included, catalogue[0], "90000", kalamata_user)
    declaration(included, c, "40000", kalamata_user, state=DeclarationState.VERIFIED, is_final=True)
    assert "T01, T02, T03" in reason(included, approver)


def test_without_a_verified_final_declaration(included, approver, kalamata_user, catalogue):
    complete_all_projects(included, kalamata_user)
    assert "final expenditure declaration has not been verified" in reason(included, approver)
    c = contract(included, catalogue[0], "90000", kalamata_user)
    declaration(included, c, "40000", kalamata_user, state=DeclarationState.SUBMITTED, is_final=True)
    assert "final expenditure declaration has not been verified" in reason(included, approver)
    declaration(included, c, "10000", kalamata_user, state=DeclarationState.REJECTED, is_final=True)
    assert "final expenditure declaration has not been verified" in reason(included, approver)


def test_a_declaration_waiting_for_verification_blocks(ready, approver, kalamata_user, catalogue):
    c = contract(ready, catalogue[1], "1000", kalamata_user)
    declaration(ready, c, "500", kalamata_user)
    assert "1 expenditure declarations are still waiting" in reason(ready, approver)


def test_only_from_included(ready, approver):
    Application.objects.filter(pk=ready.pk).update(status=S.DEINCLUDED)
    ready.refresh_from_db()
    assert "not possible while" in reason(ready, approver)


def test_completion_needs_ada_and_date(ready, approver):
    with pytest.raises(TransitionError) as caught:
        workflow.transition(ready, "complete", actor=approver, decision_ada="ΩΡΤ1465ΧΞ7-ΛΔΑ")
    assert "decision_date" in caught.value.message_dict
    with pytest.raises(TransitionError) as caught:
        workflow.transition(ready, "complete", actor=approver, decision_ada="x", decision_date="2026-10-01")
    assert "decision_ada" in caught.value.message_dict
    with pytest.raises(TransitionError) as caught:
        workflow.transition(
            ready, "complete", actor=approver, decision_ada="ΩΡΤ1465ΧΞ7-ΛΔΑ", decision_date="2020-01-01"
        )
    assert "decision_date" in caught.value.message_dict
    assert Application.objects.get(pk=ready.pk).status == S.INCLUDED


def test_workflow_graph_shows_complete():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("workflow_graph", "--language", "en", stdout=out)
    assert (
        "| `complete` | included «Included» | completed «Completed» | approver |  "
        "| decision_ada, decision_date |" in out.getvalue()
    )
