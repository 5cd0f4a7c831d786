"""The status e-mails as they were sent before the inbox (grants.inbox), kept so that tasks queued by
the previous release are still delivered after an upgrade; nothing new enqueues them (transition()
and the batch import write notifications through grants.inbox.notify). Also the mail retry policy
that grants.inbox's task shares. Remove once no worker may still hold such a task."""

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import translation
from django.utils.translation import gettext as _

from grants.models import Application, Municipality, MunicipalityAccount

# Applications read per query when many are notified at once.
CHUNK = 5_000


def notify_status_change(application_id: int):
    """Tell the municipality's contacts that the status changed. Greek, a link, no amounts or notes:
    e-mail is not a safe channel for decisions, the portal is."""
    app = Application.objects.select_related("municipality", "programme").get(pk=application_id)
    accounts = notified_accounts().filter(municipality=app.municipality_id)
    recipients = app.municipality.contact_email_list + list(accounts.values_list("user__email", flat=True))
    if not recipients:
        return
    send_mass_mail([status_change_message(app, recipients)], fail_silently=False)


def notified_accounts():
    """Who is told of a status change besides the municipality's contact addresses: its active
    accounts that have an e-mail address (also read by grants.workflow_batch for many at once)."""
    return MunicipalityAccount.objects.filter(user__is_active=True).exclude(user__email="")


def status_change_message(app: Application, recipients) -> tuple:
    """The (subject, body, sender, recipients) of a status-change e-mail; also used by the batch."""
    with translation.override("el"):
        subject = _("Smart Cities: your application is now «%(s)s»") % {"s": app.get_status_display()}
        body = _(
            "The status of the application of %(m)s to «%(p)s» changed to «%(s)s».\n\n"
            "See the details in the portal: %(url)s\n"
        ) % {
            "m": app.municipality.name,
            "p": app.programme.title,
            "s": app.get_status_display(),
            "url": f"{settings.SITE_URL.rstrip('/')}/portal/",
        }
    return (subject, body, settings.DEFAULT_FROM_EMAIL, sorted(set(recipients)))


def notify_status_changes(changed: dict):
    """notify_status_change for many applications (`changed`: application id → municipality id), with
    one SMTP connection. Who has someone to tell is read once for all municipalities (few have contacts
    or accounts), so a 100,000-line import sends no list of 100,000 ids; only the applications to
    notify are loaded whole."""
    emails = {}
    for municipality_id, email in notified_accounts().values_list("municipality_id", "user__email"):
        emails.setdefault(municipality_id, []).append(email)
    with_contacts = {
        pk
        for pk, contacts in Municipality.objects.exclude(contact_emails="").values_list(
            "pk", "contact_emails"
        )
        if contacts.strip()
    }
    to_tell = [pk for pk, m in changed.items() if m in with_contacts or m in emails]
    messages = []
    for start in range(0, len(to_tell), CHUNK):
        ids = to_tell[start : start + CHUNK]
        for app in Application.objects.filter(pk__in=ids).select_related("municipality", "programme"):
            recipients = app.municipality.contact_email_list + emails.get(app.municipality_id, [])
            messages.append(status_change_message(app, recipients))
    if messages:
        send_mass_mail(messages, fail_silently=False)


# SMTP refusals and dropped connections (smtplib.SMTPException is an OSError) are retried with
# growing pauses; an address the server refuses outright will not be accepted on a retry.
MAIL_RETRY = {
    "autoretry_for": (OSError,),
    "dont_autoretry_for": (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**MAIL_RETRY)
def send_status_email(application_id: int):
    notify_status_change(application_id)


@shared_task(**MAIL_RETRY)
def send_status_emails(changed: list[list[int]]):
    """`changed`: [application id, municipality id] pairs (JSON has no integer keys)."""
    notify_status_changes(dict(changed))
