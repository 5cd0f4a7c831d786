"""Workflow e-mails leave through a Celery task after the commit, retried while the mail server
refuses or is unreachable; the status change never waits for, or depends on, the e-mail."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from grants import services, tasks, workflow
from grants.models import Application, ApplicationStatus

ATTEMPTS = []


class FlakyBackend(EmailBackend):
    """Refuses the first `FAILURES` sends as a mail server that went away would, then delivers."""

    FAILURES = 2

    def send_messages(self, messages):
        ATTEMPTS.append(len(messages))
        if len(ATTEMPTS) <= self.FAILURES:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        ATTEMPTS.append(len(messages))
        raise smtplib.SMTPRecipientsRefused({"info4401@example.gr": (550, b"No such user")})


@pytest.fixture(autouse=True)
def _attempts():
    ATTEMPTS.clear()


@pytest.fixture
def draft(programme, kalamata, catalogue, kalamata_user):
    from decimal import Decimal

    from projects import services as project_services

    app, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    project_services.selection_add(
        application=app, project=catalogue[0], amount=Decimal("1000"), actor=kalamata_user
    )
    return app


def test_the_email_is_enqueued_only_after_the_commit(
    draft, kalamata_user, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda ids, contacts: queued.append(contacts))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.transition(draft, "submit", actor=kalamata_user)
        assert queued == []
    for callback in callbacks:
        callback()
    # The submitter is not told what they did; the municipality's contact addresses are.
    assert [[c[0] for c in contacts] for contacts in queued] == [[draft.pk]]


def test_a_refused_send_is_retried_until_it_leaves(
    draft, kalamata_user, settings, django_capture_on_commit_callbacks, celery_retries_in_process
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(draft, "submit", actor=kalamata_user)
    assert len(ATTEMPTS) == 3
    assert len(mail.outbox) == 1 and "info4401@example.gr" in mail.outbox[0].to


def test_retries_stop_after_the_maximum_and_the_change_stands(
    draft, kalamata_user, settings, django_capture_on_commit_callbacks, celery_retries_in_process
):
    FlakyBackend.FAILURES = 100
    try:
        settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
        with django_capture_on_commit_callbacks(execute=True):
            workflow.transition(draft, "submit", actor=kalamata_user)
    finally:
        FlakyBackend.FAILURES = 2
    assert len(ATTEMPTS) == tasks.RETRIES + 1 and mail.outbox == []
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.SUBMITTED


def test_a_refused_address_is_not_retried(
    draft, kalamata_user, settings, django_capture_on_commit_callbacks, celery_retries_in_process
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(draft, "submit", actor=kalamata_user)
    assert len(ATTEMPTS) == 1


def test_the_mail_task_retries_with_backoff():
    task = tasks.deliver
    assert task.max_retries == tasks.RETRIES and task.retry_backoff and task.retry_backoff_max == 600
    assert any(issubclass(smtplib.SMTPServerDisconnected, e) for e in task.autoretry_for)
    assert any(issubclass(ConnectionRefusedError, e) for e in task.autoretry_for)
