"""Notifications through the real workflow, exports and mail on PostgreSQL: written in the change's
transaction (and rolled back with it), e-mailed only after the commit, in each recipient's language,
without amounts, honouring the e-mails a user turned off (never the mandatory ones)."""

import pytest
from django.core import mail
from django.db import transaction

from grants import inbox, workflow
from grants.models import Notification, NotificationKind

K = NotificationKind


def _review(app, officer, kalamata_user):
    workflow.transition(app, "submit", actor=kalamata_user, channel="portal")
    workflow.transition(app, "start_review", actor=officer)


def test_a_return_writes_the_inbox_row_in_the_same_transaction(app, officer, kalamata_user):
    _review(app, officer, kalamata_user)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.transition(app, "return", actor=officer, note="Λείπει η απόφαση")
        assert Notification.objects.filter(recipient=kalamata_user, kind=K.RETURNED).count() == 1
        raise RuntimeError("the change fails after the transition")
    # Rolled back with the change: no status change, no notification.
    app.refresh_from_db()
    assert app.status == "under_review"
    assert not Notification.objects.filter(kind=K.RETURNED).exists()
    workflow.transition(app, "return", actor=officer, note="Λείπει η απόφαση")
    (row,) = Notification.objects.filter(kind=K.RETURNED)
    assert row.recipient == kalamata_user and row.application == app and row.read_at is None


def test_the_actor_is_not_told_what_they_did(app, kalamata_user):
    workflow.transition(app, "submit", actor=kalamata_user, channel="portal")
    assert not Notification.objects.filter(recipient=kalamata_user).exists()


def test_email_only_after_commit_in_each_recipients_language_without_amounts(
    app, officer, kalamata_user, django_capture_on_commit_callbacks
):
    _review(app, officer, kalamata_user)
    inbox.preferences_set(user=kalamata_user, language="en", email_off=[])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.transition(app, "return", actor=officer, note="Λείπει η απόφαση")
        assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    by_to = {tuple(m.to): m for m in mail.outbox}
    english = by_to[("kalamata@example.gr",)]
    greek = by_to[("info4401@example.gr",)]
    assert "returned for corrections" in english.body and "Returned for corrections" in english.subject
    assert "επιστράφηκε για διορθώσεις" in greek.body
    assert (
        f"/portal/applications/{app.pk}/" in english.body and f"/portal/applications/{app.pk}/" in greek.body
    )
    for message in mail.outbox:
        body = message.subject + message.body
        assert "123" not in body and "€" not in body  # no amounts by e-mail
        assert "Λείπει η απόφαση" not in body  # nor the officer's note


def test_turned_off_emails_are_not_sent_but_mandatory_ones_are(
    app, officer, kalamata_user, django_capture_on_commit_callbacks
):
    kalamata_user.municipality_account.municipality.contact_emails = ""
    kalamata_user.municipality_account.municipality.save()
    # The user tries to turn off every e-mail: the mandatory ones cannot be.
    prefs = inbox.preferences_set(user=kalamata_user, language="el", email_off=list(K.values))
    assert K.RETURNED not in prefs.email_off and K.STATUS in prefs.email_off
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(app, "submit", actor=officer)  # a status change: optional, turned off
    assert Notification.objects.filter(recipient=kalamata_user, kind=K.STATUS).count() == 1
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(app, "return", actor=officer, note="x")  # mandatory
    assert [m.to for m in mail.outbox] == [["kalamata@example.gr"]]


def test_a_retried_delivery_sends_nothing_twice(
    app, officer, kalamata_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(app, "submit", actor=officer)
    sent = len(mail.outbox)
    ids = list(Notification.objects.values_list("pk", flat=True))
    inbox.send_notification_emails(ids)
    assert len(mail.outbox) == sent and sent >= 1


def test_a_proposal_tells_the_municipality_and_the_approvers(
    app, officer, approver, kalamata_user, django_capture_on_commit_callbacks
):
    _review(app, officer, kalamata_user)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(app, "propose_inclusion", actor=officer)
    told = set(Notification.objects.filter(kind=K.PROPOSED).values_list("recipient__username", flat=True))
    assert told == {"kalamata", "approver"}
    staff_mail = next(m for m in mail.outbox if m.to == ["approver@example.gr"])
    assert f"/admin/grants/application/{app.pk}/change/" in staff_mail.body


def test_inclusion_and_rejection_are_their_own_kinds(app, officer, approver, kalamata_user):
    _review(app, officer, kalamata_user)
    workflow.transition(app, "reject", actor=officer, note="εκτός")
    assert Notification.objects.filter(recipient=kalamata_user, kind=K.REJECTED).exists()


def test_inclusion_notifies(app, officer, approver, kalamata_user):
    _review(app, officer, kalamata_user)
    workflow.transition(app, "propose_inclusion", actor=officer)
    workflow.transition(
        app, "include", actor=approver, inclusion_date="2026-11-01", decision_ada="ΕΨΚ446ΜΤΛ6-ΡΞΥ"
    )
    assert Notification.objects.filter(recipient=kalamata_user, kind=K.INCLUDED).exists()


def test_an_imported_decision_notifies_like_a_transition(programme, kalamata, kalamata_user, officer):
    from decimal import Decimal

    from grants.workflow_batch import Decision, record_decisions

    with transaction.atomic():
        record_decisions(
            programme,
            [
                Decision(
                    kalamata,
                    {"status": "included", "budget": Decimal("1000.00"), "inclusion_date": "2024-07-02"},
                )
            ],
            actor=officer,
            channel="import",
        )
    assert Notification.objects.filter(recipient=kalamata_user, kind=K.INCLUDED).count() == 1


def test_export_ready_is_in_the_owners_inbox(
    kalamata_user, app, private_root, django_capture_on_commit_callbacks
):
    from grants.exports import services

    with django_capture_on_commit_callbacks(execute=True):
        services.export_job_create(
            owner=kalamata_user, report="operations", fmt="csv", filters={}, channel="api"
        )
    (row,) = Notification.objects.filter(kind=K.EXPORT_READY)
    assert row.recipient == kalamata_user and "/exports/" in mail.outbox[-1].body
    assert mail.outbox[-1].to == ["kalamata@example.gr"]


def test_render_says_the_text_in_the_active_language(app, officer, kalamata_user):
    from django.utils import translation

    _review(app, officer, kalamata_user)
    workflow.transition(app, "return", actor=officer, note="x")
    row = Notification.objects.get(kind=K.RETURNED)
    with translation.override("en"):
        assert "was returned for corrections" in inbox.render(row.kind, row.params)
    with translation.override("el"):
        assert "επιστράφηκε για διορθώσεις" in inbox.render(row.kind, row.params)


def test_a_message_tells_the_other_side(
    app, officer, officer2, kalamata_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inbox.notify_message(app, author=kalamata_user)
    assert set(Notification.objects.filter(kind=K.MESSAGE).values_list("recipient__username", flat=True)) == {
        "officer",
        "officer2",
    }
    assert "info4401@example.gr" not in {a for m in mail.outbox for a in m.to}
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        inbox.notify_message(app, author=officer)
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["kalamata"]
    assert {a for m in mail.outbox for a in m.to} == {"kalamata@example.gr", "info4401@example.gr"}


def test_a_return_with_an_answer_deadline_names_it(app, officer, kalamata_user):
    import datetime

    from django.utils import translation

    from grants.models import Application

    _review(app, officer, kalamata_user)
    workflow.transition(app, "return", actor=officer, note="x")
    Application.objects.filter(pk=app.pk).update(response_due=datetime.date(2026, 12, 15))
    app.refresh_from_db()
    Notification.objects.all().delete()
    inbox.notify_status(app, actor=officer)
    row = Notification.objects.get(kind=K.RETURNED)
    with translation.override("el"):
        assert "15/12/2026" in inbox.render(row.kind, row.params)
