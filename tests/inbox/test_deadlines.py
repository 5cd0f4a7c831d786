"""Deadlines: the review target set at submission, reminders 3 days before the call closes, overdue
work flagged to officers, each reminder once (the beat task runs daily and may run twice), and the
«overdue» filter of the API and the admin's list."""

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from grants import deadlines, tasks, workflow
from grants.models import Application, Notification, NotificationKind, Reminder
from tests.api.conftest import client_for

K = NotificationKind


def today():
    return timezone.localdate()


def test_submission_sets_the_review_target_from_the_programme(app, programme, kalamata_user):
    programme.review_days = 10
    programme.save()
    workflow.transition(app, "submit", actor=kalamata_user)
    app.refresh_from_db()
    assert app.review_due == today() + datetime.timedelta(days=10)
    assert deadlines.current_deadline(app) == ("review_due", app.review_due)


def test_the_call_closing_is_reminded_once_to_accounts_and_contacts(
    app, programme, kalamata_user, django_capture_on_commit_callbacks
):
    programme.closes_on = today() + datetime.timedelta(days=3)
    programme.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_deadline_reminders() == {"deadline": 1, "overdue": 0}
    (row,) = Notification.objects.filter(kind=K.DEADLINE)
    assert row.recipient == kalamata_user and row.params["what"] == "closes_on"
    assert sorted(m.to[0] for m in mail.outbox) == ["info4401@example.gr", "kalamata@example.gr"]
    # A second run (the same day, or after a restart of beat) sends nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_deadline_reminders() == {"deadline": 0, "overdue": 0}
    assert Notification.objects.filter(kind=K.DEADLINE).count() == 1 and len(mail.outbox) == 2


def test_a_call_closing_later_is_not_reminded_yet(app, programme, kalamata_user):
    programme.closes_on = today() + datetime.timedelta(days=4)
    programme.save()
    assert deadlines.reminders_send() == {"deadline": 0, "overdue": 0}


def test_overdue_review_is_flagged_to_officers_once(app, kalamata_user, officer, officer2, approver):
    workflow.transition(app, "submit", actor=kalamata_user)
    Application.objects.filter(pk=app.pk).update(review_due=today() - datetime.timedelta(days=1))
    assert deadlines.reminders_send() == {"deadline": 0, "overdue": 1}
    told = set(Notification.objects.filter(kind=K.OVERDUE).values_list("recipient__username", flat=True))
    assert told == {"officer", "officer2"}
    assert deadlines.reminders_send(today=today() + datetime.timedelta(days=1)) == {
        "deadline": 0,
        "overdue": 0,
    }
    assert Reminder.objects.count() == 1
    # A new target (after a return and a resubmission) is a new reminder.
    Application.objects.filter(pk=app.pk).update(review_due=today() - datetime.timedelta(days=2))
    assert deadlines.reminders_send()["overdue"] == 1


def test_the_beat_schedule_runs_the_reminders(settings):
    entries = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "grants.tasks.send_deadline_reminders" in entries


def test_api_filters_overdue(app, programme, pyli, kalamata_user, officer):
    from grants import services

    other, _ = services.application_get_or_create(programme=programme, municipality=pyli)
    workflow.transition(app, "submit", actor=kalamata_user)
    Application.objects.filter(pk=app.pk).update(review_due=today() - datetime.timedelta(days=1))
    client = client_for(officer)
    url = reverse("api:application-list")
    assert [a["id"] for a in client.get(url, {"overdue": "true"}).data["results"]] == [app.pk]
    assert [a["id"] for a in client.get(url, {"overdue": "false"}).data["results"]] == [other.pk]
    assert (
        client.get(url, {"overdue": "true"}).data["results"][0]["review_due"]
        == (today() - datetime.timedelta(days=1)).isoformat()
    )


def test_admin_list_filters_overdue_and_shows_the_deadline(
    client, app, programme, pyli, kalamata_user, officer
):
    from grants import services

    services.application_get_or_create(programme=programme, municipality=pyli)
    workflow.transition(app, "submit", actor=kalamata_user)
    Application.objects.filter(pk=app.pk).update(review_due=today() - datetime.timedelta(days=1))
    client.force_login(officer)
    url = reverse("admin:grants_application_changelist")
    page = client.get(url, {"overdue": "true"}).content.decode()
    assert "ΚΑΛΑΜΑΤΑΣ" in page and "ΠΥΛΗΣ" not in page and "deadline--overdue" in page
    page = client.get(url, {"overdue": "false"}).content.decode()
    assert "ΚΑΛΑΜΑΤΑΣ" not in page and "ΠΥΛΗΣ" in page
    detail = client.get(reverse("admin:grants_application_change", args=[app.pk])).content.decode()
    assert (today() - datetime.timedelta(days=1)).strftime("%d/%m/%Y") in detail


def test_portal_shows_the_deadlines(client, app, programme, kalamata_user):
    programme.closes_on = today() + datetime.timedelta(days=20)
    programme.save()
    client.force_login(kalamata_user)
    page = client.get(reverse("portal:application", args=[app.pk])).content.decode()
    assert programme.closes_on.strftime("%d/%m/%Y") in page
    workflow.transition(app, "submit", actor=kalamata_user)
    app.refresh_from_db()
    page = client.get(reverse("portal:application", args=[app.pk])).content.decode()
    assert app.review_due.strftime("%d/%m/%Y") in page


def _returned(app, officer, kalamata_user, due):
    workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "return", actor=officer, note="Λείπει η απόφαση")
    Application.objects.filter(pk=app.pk).update(response_due=due)


def test_a_returns_answer_is_reminded_then_flagged_overdue(app, officer, kalamata_user):
    _returned(app, officer, kalamata_user, today() + datetime.timedelta(days=2))
    assert deadlines.reminders_send() == {"deadline": 1, "overdue": 0}
    row = Notification.objects.get(kind=K.DEADLINE)
    assert row.recipient == kalamata_user and row.params["what"] == "response_due"
    later = today() + datetime.timedelta(days=3)
    assert deadlines.reminders_send(today=later) == {"deadline": 0, "overdue": 1}
    assert Notification.objects.get(kind=K.OVERDUE).recipient == officer
    assert deadlines.reminders_send(today=later) == {"deadline": 0, "overdue": 0}


def test_a_returned_application_past_its_answer_is_overdue_in_the_api(app, officer, kalamata_user):
    _returned(app, officer, kalamata_user, today() - datetime.timedelta(days=1))
    url = reverse("api:application-list")
    assert [a["id"] for a in client_for(officer).get(url, {"overdue": "true"}).data["results"]] == [app.pk]
    app.refresh_from_db()
    assert deadlines.is_overdue(app)
