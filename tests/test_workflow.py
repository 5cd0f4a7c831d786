"""The transition table, walked exhaustively: every action × every status × every role."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils import translation

from grants import workflow
from grants.models import Application, AuditEvent
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create
from projects.services import SelectionError, selection_add, selection_remove, selection_update

FIELDS = {
    "include": {"inclusion_date": "2024-07-02", "decision_ada": "ΕΨΚ446ΜΤΛ6-ΡΞΥ"},
    "deinclude": {"decision_ada": "ΡΒΠΕ7ΛΞ-Ν1Ζ"},
}


@pytest.fixture
def app(programme, kalamata, catalogue, kalamata_user):
    application, _ = application_get_or_create(programme=programme, municipality=kalamata)
    for project in catalogue[:3]:
        selection_add(application=application, project=project, amount="100000", actor=kalamata_user)
    return application


@pytest.fixture
def actors(kalamata_user, pyli_user, officer, approver, auditor):
    return {
        "own": kalamata_user,
        "other": pyli_user,
        "officer": officer,
        "approver": approver,
        "auditor": auditor,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture(autouse=True)
def english():
    # Reasons are asserted by their English text; the Greek catalogue is tested on its own.
    with translation.override("en"):
        yield


def _force_status(app, status, proposer):
    # Test set-up only: put the row in a given state without walking the whole path each time.
    Application.objects.filter(pk=app.pk).update(status=status, proposed_by=proposer)
    app.refresh_from_db()


def test_four_eyes_proposer_cannot_include(app, officer, approver):
    # One person holding both roles proposes; they may not also include.
    from django.contrib.auth.models import Group

    approver.groups.add(Group.objects.get(name="officers"))
    approver._role_groups = None
    _force_status(app, S.UNDER_REVIEW, None)
    workflow.transition(app, "propose_inclusion", actor=approver)
    option = {o.name: o for o in workflow.available_actions(app, approver)}["include"]
    assert not option.allowed and "Four eyes" in option.reason
    with pytest.raises(workflow.TransitionError, match="Four eyes"):
        workflow.transition(app, "include", actor=approver, **FIELDS["include"])


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"inclusion_date": "2024-07-02", "decision_ada": "not-an-ada"}, "not a valid ΑΔΑ"),
        ({"inclusion_date": "2024-02-30", "decision_ada": "ΕΨΚ446ΜΤΛ6-ΡΞΥ"}, "real date"),
        ({"decision_ada": "ΕΨΚ446ΜΤΛ6-ΡΞΥ"}, "required"),
        ({**FIELDS["include"], "budget": "0"}, "greater than zero"),
        ({**FIELDS["include"], "budget": "abc"}, "amount in euros"),
        ({**FIELDS["include"], "colour": "red"}, "does not take this field"),
        ({**FIELDS["include"], "end_date": "2020-01-01"}, "cannot be before the inclusion date"),
        ({**FIELDS["include"], "end_date": "2027-13-01"}, "real date"),
    ],
)
def test_include_field_guards(app, approver, officer2, fields, message):
    _force_status(app, S.TO_BE_INCLUDED, officer2)
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(app, "include", actor=approver, **fields)
    assert message in " ".join(refused.value.messages)
    app.refresh_from_db()
    assert app.status == S.TO_BE_INCLUDED


def test_include_stores_ada_uppercase_greek(app, approver, officer2):
    _force_status(app, S.TO_BE_INCLUDED, officer2)
    # Lower case, and Latin look-alikes typed by a person (E, K, M, T are Latin here).
    workflow.transition(
        app, "include", actor=approver, inclusion_date="2024-07-02", decision_ada="εψκ446MTλ6-ρξυ"
    )
    app.refresh_from_db()
    assert app.decision_ada == "ΕΨΚ446ΜΤΛ6-ΡΞΥ"
    assert app.inclusion_date == datetime.date(2024, 7, 2)


def test_include_records_the_expected_end_date_and_a_decision_can_change_it(app, approver, officer2):
    _force_status(app, S.TO_BE_INCLUDED, officer2)
    workflow.transition(app, "include", actor=approver, **FIELDS["include"], end_date="2027-06-30")
    event = AuditEvent.objects.filter(application=app).latest("id")
    assert app.end_date == datetime.date(2027, 6, 30) and event.after["end_date"] == "2027-06-30"

    fields = {"status": S.INCLUDED, "budget": app.budget, "inclusion_date": app.inclusion_date}
    workflow.transition(
        app, "record_decision", actor=approver, channel="import", **fields, end_date="2028-12-31"
    )
    event = AuditEvent.objects.filter(application=app).latest("id")
    assert (event.before, event.after) == (
        {"status": "included", "end_date": "2027-06-30"},
        {"status": "included", "end_date": "2028-12-31"},
    )


@pytest.mark.parametrize("budget, message", [("1950000.01", "exceeds the cap"), ("0", "greater than zero")])
def test_propose_and_include_keep_the_budget_within_the_cap(app, officer, approver, budget, message):
    # Καλαμάτα's cap is 1.950.000 €; the app's selections total 300.000 €.
    _force_status(app, S.UNDER_REVIEW, None)
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(app, "propose_inclusion", actor=officer, budget=budget)
    assert message in " ".join(refused.value.message_dict["budget"])

    workflow.transition(app, "propose_inclusion", actor=officer, budget="1950000.00")
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(app, "include", actor=approver, **FIELDS["include"], budget=budget)
    assert message in " ".join(refused.value.message_dict["budget"])
    app.refresh_from_db()
    assert (app.status, app.budget) == (S.TO_BE_INCLUDED, Decimal("1950000.00"))


def test_a_cap_override_lets_a_larger_budget_be_included(app, officer, approver, programme, kalamata):
    from grants.services import cap_override_set

    cap_override_set(
        programme=programme, municipality=kalamata, amount=Decimal("2500000"), reason="ΚΥΑ 12/2024"
    )
    _force_status(app, S.UNDER_REVIEW, None)
    workflow.transition(app, "propose_inclusion", actor=officer, budget="2400000")
    workflow.transition(app, "include", actor=approver, **FIELDS["include"])
    app.refresh_from_db()
    assert (app.status, app.budget) == (S.INCLUDED, Decimal("2400000.00"))


def test_include_refused_over_programme_total(app, approver, officer2, programme):
    programme.total_budget = Decimal("250000.00")
    programme.save()
    _force_status(app, S.TO_BE_INCLUDED, officer2)
    with pytest.raises(workflow.TransitionError, match="over the programme's total"):
        workflow.transition(app, "include", actor=approver, **FIELDS["include"])


def test_notes_required(app, officer):
    _force_status(app, S.SUBMITTED, None)
    with pytest.raises(workflow.TransitionError, match="note is required"):
        workflow.transition(app, "return", actor=officer, note="   ")


@pytest.mark.parametrize("count, amount, message", [(0, "1", "between"), (1, "2000000", "exceeds the cap")])
def test_submit_guards(programme, kalamata, catalogue, kalamata_user, count, amount, message):
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    if count:
        # An officer override of the cap lets the selection in; lowering it back makes submission fail.
        from grants.services import cap_override_set

        cap_override_set(
            programme=programme, municipality=kalamata, amount=Decimal("3000000"), reason="test", actor=None
        )
        selection_add(application=app, project=catalogue[0], amount=amount)
        cap_override_set(programme=programme, municipality=kalamata, amount=None, reason="test")
    with pytest.raises(workflow.TransitionError, match=message):
        workflow.transition(app, "submit", actor=kalamata_user)


def _not_eligible(municipality, officer):
    from grants.services import municipality_update

    municipality_update(
        municipality=municipality,
        actor=officer,
        eligibility_override=False,
        eligibility_override_reason="Δεν πληροί τα κριτήρια της πρόσκλησης",
    )
    municipality.refresh_from_db()
    assert not municipality.is_eligible


def test_an_officers_not_eligible_override_stops_the_application(
    app, kalamata, kalamata_user, officer, officer2, approver
):
    _not_eligible(kalamata, officer)
    app.refresh_from_db()

    # Listed with the reason (portal, admin and API all read available_actions), and refused.
    submit = {o.name: o for o in workflow.available_actions(app, kalamata_user)}["submit"]
    assert not submit.allowed
    assert "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ is not eligible for this programme" in submit.reason
    assert "ΕΥΔ Ψηφιακός Μετασχηματισμός" in submit.reason and "officers" in submit.reason
    for user in (kalamata_user, officer):
        with pytest.raises(workflow.TransitionError, match="not eligible"):
            workflow.transition(app, "submit", actor=user)

    for status, action, user in (
        (S.UNDER_REVIEW, "propose_inclusion", officer),
        (S.TO_BE_INCLUDED, "include", approver),
    ):
        _force_status(app, status, officer2)
        option = {o.name: o for o in workflow.available_actions(app, user)}[action]
        assert not option.allowed and "is not eligible for this programme" in option.reason, option.reason
        with pytest.raises(workflow.TransitionError, match="not eligible"):
            workflow.transition(app, action, actor=user, **FIELDS.get(action, {}))
        app.refresh_from_db()
        assert app.status == status
    assert not AuditEvent.objects.filter(
        application=app, action__in=["workflow.submit", "workflow.propose_inclusion", "workflow.include"]
    ).exists()

    # Review, return and rejection remain possible: the officer can still close the case.
    _force_status(app, S.SUBMITTED, None)
    allowed = {o.name for o in workflow.available_actions(app, officer) if o.allowed}
    assert allowed == {"start_review", "return", "reject"}


def test_a_published_decision_for_an_ineligible_municipality_is_recorded_with_a_warning(
    app, kalamata, officer
):
    _not_eligible(kalamata, officer)
    app.refresh_from_db()
    workflow.transition(
        app, "record_decision", actor=officer, channel="import", status=S.TO_BE_INCLUDED, budget="100000"
    )
    assert app.status == S.TO_BE_INCLUDED
    assert any("not eligible" in str(w) for w in app.transition_warnings)


def test_closed_programme_only_officer_submits(app, programme, kalamata_user, officer):
    programme.closes_on = datetime.date(2020, 1, 1)
    programme.save()
    with pytest.raises(workflow.TransitionError, match="closed"):
        workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "submit", actor=officer)
    assert app.status == S.SUBMITTED and app.submission_hash and app.submitted_at


def test_selections_frozen_after_submit(app, kalamata_user, catalogue):
    workflow.transition(app, "submit", actor=kalamata_user, channel="portal")
    with pytest.raises(SelectionError, match="draft or returned"):
        selection_add(application=app, project=catalogue[5], amount="10", actor=kalamata_user)


def test_email_after_commit_in_greek(app, kalamata_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.transition(app, "submit", actor=kalamata_user, channel="portal")
        assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Υποβλήθηκε" in message.subject or "Submitted" not in message.subject
    assert "info4401@example.gr" in message.to
    assert "/portal/" in message.body
    assert "100.000" not in message.body and "100000" not in message.body  # no amounts by e-mail


def test_record_decision_is_a_fact_with_warnings(programme, pyli, officer):
    pyli.eligible = False
    pyli.save()
    app, _ = application_get_or_create(programme=programme, municipality=pyli)
    workflow.transition(
        app,
        "record_decision",
        actor=None,
        channel="import",
        status=S.INCLUDED,
        budget=Decimal("999999.00"),
        inclusion_date=datetime.date(2024, 7, 2),
    )
    assert app.status == S.INCLUDED
    event = AuditEvent.objects.latest("id")
    # The caller reads the warnings in their language (English here); the note keeps them in the
    # site's (Greek).
    assert [str(w) for w in app.transition_warnings] == [
        "ΔΗΜΟΣ ΠΥΛΗΣ is not eligible under the programme's rule.",
        "Budget 999.999,00 € exceeds the cap 410.000,00 € by 589.999,00 €.",
    ]
    assert "δεν είναι επιλέξιμος" in event.note and "υπερβαίνει το ανώτατο όριο" in event.note
    assert "not eligible" not in event.note
    count = AuditEvent.objects.count()
    workflow.transition(
        app,
        "record_decision",
        actor=None,
        channel="import",
        status=S.INCLUDED,
        budget=Decimal("999999.00"),
        inclusion_date=datetime.date(2024, 7, 2),
    )
    assert AuditEvent.objects.count() == count  # the same decision again changes nothing
    with pytest.raises(workflow.TransitionError, match="import or a command"):
        workflow.transition(
            app, "record_decision", actor=officer, channel="admin", status=S.INCLUDED, budget="1"
        )


def test_history_replays_to_current_state(app, kalamata_user, officer, officer2, approver, catalogue):
    sel = selection_add(application=app, project=catalogue[4], amount="5000.50", actor=kalamata_user)
    selection_update(selection=sel, amount="7000.25", actor=kalamata_user)
    workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "return", actor=officer, note="Διορθώσεις")
    selection_remove(selection=sel, actor=kalamata_user)
    selection_add(application=app, project=catalogue[6], amount="1234.56", actor=kalamata_user)
    workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer2, budget="290000")
    workflow.transition(app, "include", actor=approver, **FIELDS["include"])
    app.refresh_from_db()
    assert workflow.replay(app) == {"status": app.status, "budget": app.budget}
    assert app.budget == Decimal("290000.00")


def test_municipality_opens_a_draft_only_when_eligible_and_open(
    programme, kalamata, pyli, kalamata_user, officer
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="another municipality"):
        application_get_or_create(programme=programme, municipality=pyli, actor=kalamata_user)
    kalamata.eligible = False
    kalamata.save()
    with pytest.raises(ValidationError, match="not eligible"):
        application_get_or_create(programme=programme, municipality=kalamata, actor=kalamata_user)
    kalamata.eligible = True
    kalamata.save()
    programme.closes_on = datetime.date(2020, 1, 1)
    programme.save()
    with pytest.raises(ValidationError, match="not open"):
        application_get_or_create(programme=programme, municipality=kalamata, actor=kalamata_user)
    assert application_get_or_create(programme=programme, municipality=kalamata, actor=officer)[1] is True


def test_after_the_cap_is_lowered_a_clerk_may_still_reduce_or_reword_but_not_raise(
    programme, kalamata, catalogue, kalamata_user
):
    from grants.services import cap_override_set

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    big = selection_add(application=app, project=catalogue[0], amount="1500000", actor=kalamata_user)
    cap_override_set(programme=programme, municipality=kalamata, amount=Decimal("1000000"), reason="ΚΥΑ")

    selection_update(selection=big, justification="Διόρθωση κειμένου", actor=kalamata_user)
    selection_update(selection=big, amount="1200000", actor=kalamata_user)
    with pytest.raises(SelectionError, match="exceeds the cap"):
        selection_update(selection=big, amount="1200000.01", actor=kalamata_user)
    with pytest.raises(SelectionError, match="exceeds the cap"):
        selection_add(application=app, project=catalogue[1], amount="1", actor=kalamata_user)
    big.refresh_from_db()
    assert (big.amount, big.justification) == (Decimal("1200000.00"), "Διόρθωση κειμένου")


def test_a_cap_override_of_nothing_refuses_every_selection(programme, kalamata, catalogue, kalamata_user):
    from grants.services import cap_override_set

    cap_override_set(programme=programme, municipality=kalamata, amount=Decimal("0"), reason="Αποκλεισμός")
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    with pytest.raises(SelectionError, match="exceeds the cap"):
        selection_add(application=app, project=catalogue[0], amount="0.01", actor=kalamata_user)
    assert not app.selections.exists()


def test_a_new_application_is_recorded_with_its_budget_as_money(programme, kalamata):
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    event = AuditEvent.objects.get(application=app, action="application.create")
    assert event.after["budget"] == "0.00" and event.after["status"] == "draft"
