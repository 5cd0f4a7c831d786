"""Amendments: the rules on the new figures (cap, catalogue, contracted floor), the small workflow
with four eyes, and the next version of the decision written on approval."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from grants.delivery import amendments as svc
from grants.delivery.amendments import AmendmentError
from grants.models import Amendment, AmendmentState, Application, AuditEvent, DecisionKind, DecisionVersion
from grants.models import ApplicationStatus as S
from grants.workflow import TransitionError
from projects.models import Selection
from projects.services import SelectionError

from .conftest import contract

APPROVAL = {"decision_ada": "ΨΓΡ1465ΧΞ7-9ΑΒ", "decision_date": "2025-05-20"}
NEW_LIST = [
    {"project": "T01", "amount": "150000.00"},
    {"project": "T02", "amount": "100000.00"},
    {"project": "T04", "amount": "80000.00"},
]


def request(app, user, **kw):
    kw.setdefault("justification", "Αύξηση του κόστους του εξοπλισμού")
    return svc.amendment_request(application=app, actor=user, **kw)


def test_the_municipality_requests_an_officer_proposes_another_approves(
    included, kalamata_user, officer, approver
):
    amendment = request(included, kalamata_user, selections=NEW_LIST, end_date="2027-06-30")
    assert amendment.state == AmendmentState.REQUESTED
    svc.amendment_transition(amendment, "propose", actor=officer)
    done = svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)
    assert done.state == AmendmentState.APPROVED
    app = Application.objects.get(pk=included.pk)
    assert app.budget == Decimal("330000.00")  # the new list's total
    assert app.end_date == datetime.date(2027, 6, 30)
    assert sorted(Selection.objects.filter(application=app).values_list("project__code", "amount")) == [
        ("T01", Decimal("150000.00")),
        ("T02", Decimal("100000.00")),
        ("T04", Decimal("80000.00")),
    ]
    versions = list(DecisionVersion.objects.filter(application=app).order_by("version"))
    assert [(v.version, v.kind, v.budget) for v in versions] == [
        (1, DecisionKind.INCLUSION, Decimal("300000.00")),
        (2, DecisionKind.AMENDMENT, Decimal("330000.00")),
    ]
    assert versions[1].decision_ada == "ΨΓΡ1465ΧΞ7-9ΑΒ"
    assert versions[1].decision_date == datetime.date(2025, 5, 20)
    assert versions[1].selections == NEW_LIST
    assert done.decision_version == versions[1]
    # The inclusion's figures stay as decided.
    assert versions[0].selections[2] == {"project": "T03", "amount": "100000.00"}
    actions = list(AuditEvent.objects.filter(application=app).order_by("id").values_list("action", flat=True))
    tail = actions[actions.index("amendment.request") :]
    assert tail[:2] == ["amendment.request", "amendment.propose"]
    assert sorted(tail[2:5]) == ["selection.add", "selection.change", "selection.remove"]
    assert tail[5:] == ["application.amend", "amendment.approve"]


def test_audit_replay_still_rebuilds_the_budget(included, kalamata_user, officer, approver):
    from grants import workflow

    amendment = request(included, kalamata_user, selections=NEW_LIST)
    svc.amendment_transition(amendment, "propose", actor=officer)
    svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)
    assert workflow.replay(included)["budget"] == Decimal("330000.00")


def test_four_eyes_the_proposer_may_not_approve(included, kalamata_user, officer_approver, approver):
    amendment = request(included, kalamata_user, budget="310000")
    amendment = svc.amendment_transition(amendment, "propose", actor=officer_approver)
    options = {o.name: o for o in svc.available_amendment_actions(amendment, officer_approver)}
    assert not options["approve"].allowed
    assert "Four eyes" in options["approve"].reason
    with pytest.raises(AmendmentError, match="Four eyes"):
        svc.amendment_transition(amendment, "approve", actor=officer_approver, **APPROVAL)
    assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.PROPOSED
    assert DecisionVersion.objects.filter(application=included).count() == 1
    assert {o.name: o for o in svc.available_amendment_actions(amendment, approver)}["approve"].allowed


def test_four_eyes_is_held_by_the_database(included, kalamata_user, officer):
    amendment = request(included, kalamata_user, budget="310000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Amendment.objects.filter(pk=amendment.pk).update(proposed_by=officer, approved_by=officer)


def test_one_amendment_in_progress_at_a_time(included, kalamata_user, officer):
    request(included, kalamata_user, budget="310000")
    with pytest.raises(AmendmentError, match="already in progress"):
        request(included, officer, end_date="2027-01-01")


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({}, "budget", "Give a new budget"),
        ({"budget": "0"}, "budget", "greater than zero"),
        ({"budget": "1234.567"}, "budget", "decimal"),
        ({"budget": "5000000"}, "budget", "exceeds the cap"),
        ({"budget": "300000"}, "budget", "changes nothing"),
        ({"budget": "200000"}, "budget", "projects' total"),
        ({"end_date": "2024-01-01"}, "end_date", "before the inclusion"),
        ({"end_date": "31/02/2025"}, "end_date", "real date"),
        ({"selections": [{"project": "ZZZ", "amount": "1"}]}, "selections", "not in the catalogue"),
        (
            {"selections": [{"project": "T01", "amount": "1"}, {"project": "T01", "amount": "2"}]},
            "selections",
            "twice",
        ),
        ({"selections": [{"project": "T01", "amount": "0"}]}, "selections", "greater than zero"),
        ({"selections": [{"project": "T01", "amount": "abc"}]}, "selections", "Row 1"),
        ({"selections": [{"project": "T01", "amount": "2000000"}]}, "selections", "exceeds the cap"),
        ({"selections": []}, "selections", "between 1 and 20"),
        ({"selections": "T01"}, "selections", "full list"),
        (
            {"budget": "300000", "selections": [{"project": "T01", "amount": "400000"}]},
            "selections",
            "projects' total",
        ),
    ],
)
def test_the_rules_of_a_submission_hold(included, kalamata_user, changes, field, reason):
    with pytest.raises((TransitionError, SelectionError)) as caught:
        request(included, kalamata_user, **changes)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert reason in " ".join(caught.value.message_dict[field])
    assert not Amendment.objects.exists()


def test_a_withdrawn_catalogue_project_cannot_be_added_but_may_stay(included, kalamata_user, catalogue):
    catalogue[0].active = False
    catalogue[0].save()
    catalogue[5].active = False
    catalogue[5].save()
    keep = [{"project": "T01", "amount": "120000"}, {"project": "T02", "amount": "100000"}]
    request(included, kalamata_user, selections=keep)  # T01 was already selected
    Amendment.objects.all().delete()
    with pytest.raises(SelectionError, match="no longer offered"):
        request(included, kalamata_user, selections=[*keep, {"project": "T06", "amount": "1000"}])


def test_a_justification_is_required(included, kalamata_user):
    with pytest.raises(AmendmentError) as caught:
        request(included, kalamata_user, budget="310000", justification="  ")
    assert "justification" in caught.value.message_dict


def test_new_amounts_never_fall_below_what_is_contracted(included, kalamata_user, catalogue):
    contract(included, catalogue[0], "90000", kalamata_user)
    contract(included, catalogue[0], "5000", kalamata_user)
    below = [{"project": "T01", "amount": "94999.99"}, {"project": "T02", "amount": "1000"}]
    with pytest.raises(AmendmentError, match="below what is already contracted") as caught:
        request(included, kalamata_user, selections=below)
    assert "selections" in caught.value.message_dict
    with pytest.raises(AmendmentError, match="cannot be removed"):
        request(included, kalamata_user, selections=[{"project": "T02", "amount": "1000"}])
    # Exactly the contracted amount is allowed.
    request(included, kalamata_user, selections=[{"project": "T01", "amount": "95000"}])


def test_contracts_signed_after_the_proposal_are_rechecked_at_approval(
    included, kalamata_user, officer, approver, catalogue
):
    amendment = request(included, kalamata_user, selections=[{"project": "T01", "amount": "50000"}])
    svc.amendment_transition(amendment, "propose", actor=officer)
    contract(included, catalogue[0], "60000", kalamata_user)
    with pytest.raises(AmendmentError, match="below what is already contracted") as caught:
        svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)
    assert not hasattr(caught.value, "error_dict")  # a reason, not a field: a 409 in the API
    assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.PROPOSED
    assert Application.objects.get(pk=included.pk).budget == Decimal("300000.00")
    assert Selection.objects.filter(application=included).count() == 3


def test_a_cap_lowered_meanwhile_is_rechecked_at_approval(
    included, kalamata_user, officer, approver, programme
):
    from grants.models import CapOverride

    amendment = request(included, kalamata_user, budget="400000")
    svc.amendment_transition(amendment, "propose", actor=officer)
    CapOverride.objects.create(
        programme=programme, municipality=included.municipality, amount=Decimal("350000"), reason="Δοκιμή"
    )
    with pytest.raises(AmendmentError, match="exceeds the cap"):
        svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)


def test_approval_needs_a_valid_ada_and_date(included, kalamata_user, officer, approver):
    amendment = request(included, kalamata_user, budget="310000")
    svc.amendment_transition(amendment, "propose", actor=officer)
    with pytest.raises(AmendmentError) as caught:
        svc.amendment_transition(amendment, "approve", actor=approver, decision_ada="ΑΒΓ")
    assert "decision_date" in caught.value.message_dict
    with pytest.raises(TransitionError) as caught:
        svc.amendment_transition(
            amendment, "approve", actor=approver, decision_ada="nonsense", decision_date="2025-01-01"
        )
    assert "decision_ada" in caught.value.message_dict
    # Latin look-alikes are stored as the Greek ΑΔΑ.
    done = svc.amendment_transition(
        amendment, "approve", actor=approver, decision_ada="ΨΓΡ1465XΞ7-9AB", decision_date="2025-01-01"
    )
    assert done.decision_ada == "ΨΓΡ1465ΧΞ7-9ΑΒ"


def test_refuse_needs_a_note_and_changes_nothing(included, kalamata_user, officer):
    amendment = request(included, kalamata_user, budget="310000")
    with pytest.raises(AmendmentError) as caught:
        svc.amendment_transition(amendment, "refuse", actor=officer)
    assert "note" in caught.value.message_dict
    done = svc.amendment_transition(amendment, "refuse", actor=officer, note="Δεν τεκμηριώνεται")
    assert (done.state, done.note, done.refused_by) == (AmendmentState.REFUSED, "Δεν τεκμηριώνεται", officer)
    assert Application.objects.get(pk=included.pk).budget == Decimal("300000.00")
    # Decided: a new amendment may be requested.
    request(included, kalamata_user, budget="320000")


@pytest.mark.parametrize(
    ("action", "who", "allowed"),
    [
        ("propose", "officer", True),
        ("propose", "approver", False),
        ("propose", "municipality", False),
        ("propose", "auditor", False),
        ("refuse", "officer", True),
        ("refuse", "approver", True),
        ("refuse", "municipality", False),
        ("approve", "officer", False),
        ("approve", "approver", False),  # not yet proposed
    ],
)
def test_who_takes_which_action_on_a_request(
    included, kalamata_user, officer, approver, auditor, action, who, allowed
):
    users = {"officer": officer, "approver": approver, "municipality": kalamata_user, "auditor": auditor}
    amendment = request(included, kalamata_user, budget="310000")
    option = {o.name: o for o in svc.available_amendment_actions(amendment, users[who])}[action]
    assert option.allowed is allowed, option.reason
    if not allowed:
        with pytest.raises(TransitionError):
            svc.amendment_transition(
                amendment, action, actor=users[who], note="x", **(APPROVAL if action == "approve" else {})
            )
        assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.REQUESTED


def test_only_an_included_operation_is_amended(included, kalamata_user, officer_approver, approver):
    Application.objects.filter(pk=included.pk).update(status=S.DEINCLUDED)
    with pytest.raises(AmendmentError, match="Only an included operation"):
        request(included, kalamata_user, budget="310000")


def test_another_municipality_and_the_auditor_cannot_request(included, pyli_user, auditor, approver):
    for user in (pyli_user, auditor, approver):
        with pytest.raises(TransitionError):
            request(included, user, budget="310000")
    assert not Amendment.objects.exists()


def test_an_increase_beyond_the_programme_total_is_refused_at_approval(
    included, kalamata_user, officer, approver, programme
):
    amendment = request(included, kalamata_user, budget="310000")
    svc.amendment_transition(amendment, "propose", actor=officer)
    programme.total_budget = Decimal("305000")
    programme.save()
    with pytest.raises(AmendmentError, match="programme's total"):
        svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)
