"""Notifications: every user's inbox and the e-mail that follows it.

`notify(recipients, kind, application, **params)` is the one entry point: the workflow, the exports,
the deadline reminders and the message thread call it inside the transaction of the change that causes
it, so the inbox rows commit (or roll back) with that change. Their e-mail is enqueued only after the
commit (`deliver`, a Celery task; in the calling process without a broker), one message per language,
to each recipient who wants it and, for what concerns a municipality, to its contact addresses. Text
is said in the reader's language from the kind and its parameters; never an amount: e-mail is not a
safe channel for decisions, the portal is."""

import datetime

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit, roles
from grants.formatting import format_date
from grants.models import (
    MANDATORY_EMAIL,
    Application,
    ApplicationStatus,
    Channel,
    Municipality,
    MunicipalityAccount,
    Notification,
    NotificationKind,
    UserPreferences,
)
from grants.notifications import MAIL_RETRY

K = NotificationKind
S = ApplicationStatus

# The kind of notification a new status makes; any other status is K.STATUS.
STATUS_KINDS = {
    S.RETURNED: K.RETURNED,
    S.TO_BE_INCLUDED: K.PROPOSED,
    S.INCLUDED: K.INCLUDED,
    S.REJECTED: K.REJECTED,
}

# Kinds that concern a municipality: its contact addresses are e-mailed too (they have no inbox).
MUNICIPALITY_KINDS = frozenset(
    {K.MESSAGE, K.RETURNED, K.PROPOSED, K.INCLUDED, K.REJECTED, K.STATUS, K.DEADLINE}
)

# What a deadline or an overdue item is about (params["what"]).
WHAT = {
    "closes_on": gettext_lazy("the call's closing date"),
    "response_due": gettext_lazy("the municipality's answer"),
    "review_due": gettext_lazy("the review target"),
}

TEXTS = {
    K.MESSAGE: gettext_lazy("New message on the application of %(m)s to «%(p)s»."),
    K.RETURNED: gettext_lazy("The application of %(m)s to «%(p)s» was returned for corrections."),
    K.PROPOSED: gettext_lazy("The application of %(m)s to «%(p)s» was proposed for inclusion."),
    K.INCLUDED: gettext_lazy("The application of %(m)s to «%(p)s» was included."),
    K.REJECTED: gettext_lazy("The application of %(m)s to «%(p)s» was rejected."),
    K.STATUS: gettext_lazy("The status of the application of %(m)s to «%(p)s» changed to «%(s)s»."),
    K.DEADLINE: gettext_lazy(
        "Deadline approaching for the application of %(m)s to «%(p)s»: %(what)s, on %(d)s."
    ),
    K.OVERDUE: gettext_lazy(
        "Overdue: the application of %(m)s to «%(p)s» is past its deadline (%(what)s, %(d)s)."
    ),
    K.EXPORT_READY: gettext_lazy("Your export «%(r)s» is ready; it can be downloaded until %(d)s."),
}


RETURNED_BY = gettext_lazy(
    "The application of %(m)s to «%(p)s» was returned for corrections; the answer is due by %(d)s."
)


# --- who is told ----------------------------------------------------------------------------------


def _active():
    return get_user_model().objects.filter(is_active=True)


def municipality_users(municipality_id):
    """The active accounts of a municipality."""
    return _active().filter(municipality_account__municipality_id=municipality_id)


def officers():
    return _active().filter(groups__name=roles.OFFICERS).distinct()


def approvers():
    return _active().filter(groups__name=roles.APPROVERS).distinct()


# --- writing --------------------------------------------------------------------------------------


def application_params(application: Application) -> dict:
    """The parameters every application notification names: the municipality and the programme."""
    return {"m": application.municipality.name, "p": application.programme.title}


def notify(recipients, kind, application=None, *, actor=None, contacts=None, **params) -> list:
    """Write `kind` into the inbox of each of `recipients` (users; the actor is left out: nobody is
    told what they did themselves) and e-mail it after the commit. Call it inside the transaction of
    the change it tells about. `contacts`: e-mail the municipality's contact addresses too (default:
    for the kinds that concern a municipality). Returns the rows written."""
    kind = K(kind)
    if application is not None:
        params = {**application_params(application), **params}
    users = {u.pk: u for u in recipients if u is not None and (actor is None or u.pk != actor.pk)}
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(recipient_id=pk, kind=kind, application=application, params=params, created_at=now)
            for pk in sorted(users)
        ]
    )
    if contacts is None:
        contacts = application is not None and kind in MUNICIPALITY_KINDS
    to_contacts = [application.pk, kind, params] if contacts and application is not None else None
    ids = [n.pk for n in rows]
    if ids or to_contacts:
        transaction.on_commit(lambda: deliver.delay(ids, [to_contacts] if to_contacts else []), robust=True)
    return rows


def notify_status(application: Application, *, actor=None, note_due=None):
    """Tell the municipality's accounts (and contact addresses) that its application's status changed;
    a proposal is also the approvers' work. Called by transition() inside its transaction."""
    kind = STATUS_KINDS.get(application.status, K.STATUS)
    params = {"s": application.status}
    if kind == K.RETURNED and application.response_due:
        params["d"] = application.response_due.isoformat()
    notify(municipality_users(application.municipality_id), kind, application, actor=actor, **params)
    if kind == K.PROPOSED:
        notify(approvers(), kind, application, actor=actor, contacts=False, **params)


def notify_message(application: Application, *, author):
    """A new message in the application's thread: the other side is told (the municipality's accounts
    and contact addresses when an officer writes, the officers when the municipality writes). Call it
    in the transaction that stores the message."""
    if roles.municipality_of(author) is not None:
        return notify(officers(), K.MESSAGE, application, actor=author, contacts=False)
    return notify(municipality_users(application.municipality_id), K.MESSAGE, application, actor=author)


def notify_statuses(applications, *, actor=None):
    """notify_status for many applications at once (an imported decision list). Who has someone to
    tell is read once for all municipalities (few have accounts or contact addresses), so a 100,000-line
    import sends no list of 100,000 ids; the rows are written in one insert, and one task e-mails."""
    users = {}
    for municipality_id, user_id in MunicipalityAccount.objects.filter(user__is_active=True).values_list(
        "municipality_id", "user_id"
    ):
        users.setdefault(municipality_id, []).append(user_id)
    with_contacts = {
        pk
        for pk, emails in Municipality.objects.exclude(contact_emails="").values_list("pk", "contact_emails")
        if emails.strip()
    }
    now, rows, contacts = timezone.now(), [], []
    for app in applications:
        if app.municipality_id not in users and app.municipality_id not in with_contacts:
            continue
        kind = STATUS_KINDS.get(app.status, K.STATUS)
        params = {"m": app.municipality.name, "p": app.programme.title, "s": app.status}
        rows += [
            Notification(recipient_id=u, kind=kind, application_id=app.pk, params=params, created_at=now)
            for u in users.get(app.municipality_id, [])
            if actor is None or u != actor.pk
        ]
        if app.municipality_id in with_contacts:
            contacts.append([app.pk, kind, params])
    ids = [n.pk for n in Notification.objects.bulk_create(rows, batch_size=2000)]
    if ids or contacts:
        transaction.on_commit(lambda: deliver.delay(ids, contacts), robust=True)


# --- reading --------------------------------------------------------------------------------------


def notifications_of(user):
    """A user's own notifications, newest first; nobody else's, staff included."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).select_related("application")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _param(value, language):
    # A parameter given in every language ({"el": …, "en": …}) is said in the reader's.
    if isinstance(value, dict):
        return value.get(language) or value.get(settings.LANGUAGE_CODE) or next(iter(value.values()), "")
    return value


def _date_param(value) -> str:
    try:
        return format_date(datetime.date.fromisoformat(value))
    except (TypeError, ValueError):
        return value or ""


def render(kind, params: dict) -> str:
    """The notification's sentence in the active language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    values = {k: _param(v, language) for k, v in params.items()}
    values.setdefault("m", "")
    values.setdefault("p", "")
    values.setdefault("r", "")
    values["d"] = _date_param(values.get("d"))
    status = values.get("s")
    values["s"] = S(status).label if status in S.values else (status or "")
    values["what"] = WHAT.get(values.get("what"), values.get("what") or "")
    template = TEXTS.get(kind, TEXTS[K.STATUS])
    if kind == K.RETURNED and values["d"]:
        template = RETURNED_BY
    return str(template) % values


def render_status(params) -> str:
    status = params.get("s")
    return S(status).label if status in S.values else (status or "")


def link(kind, application_id, *, staff: bool) -> str:
    """Where the notification's matter is, for a staff user (the admin) or a municipality (the portal)."""
    site = settings.SITE_URL.rstrip("/")
    if kind == K.EXPORT_READY:
        return f"{site}/exports/"
    if application_id is None:
        return f"{site}/admin/inbox/" if staff else f"{site}/portal/inbox/"
    if staff:
        return f"{site}/admin/grants/application/{application_id}/change/"
    return f"{site}/portal/applications/{application_id}/"


def notification_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (Notification.DoesNotExist for anyone else's)."""
    notification = notifications_of(user).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences ----------------------------------------------------------------------------------


OPTIONAL_EMAIL = [k for k in K if k not in MANDATORY_EMAIL]


def preferences_of(user) -> UserPreferences:
    prefs = UserPreferences.objects.filter(user=user).first()
    return prefs or UserPreferences(user=user)


def preferences_set(*, user, language: str, email_off, channel=Channel.CODE) -> UserPreferences:
    """Save a user's language and the optional e-mails they turned off (mandatory kinds are never
    off), audited."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(language)
    email_off = sorted({str(k) for k in email_off if k in K.values and k not in MANDATORY_EMAIL})
    with transaction.atomic():
        prefs = UserPreferences.objects.select_for_update().filter(user=user).first()
        before = {"language": prefs.language, "email_off": prefs.email_off} if prefs else {}
        prefs = prefs or UserPreferences(user=user)
        prefs.language, prefs.email_off = language, email_off
        prefs.save()
        after = {"language": language, "email_off": email_off}
        if before != after:
            audit.record(
                action="account.preferences",
                channel=channel,
                actor=user,
                obj=user,
                before=before,
                after=after,
            )
    return prefs


# --- e-mail ---------------------------------------------------------------------------------------


def _message(kind, params, application_id, recipients, *, language, staff) -> EmailMessage:
    with translation.override(language):
        if kind == K.STATUS:
            subject = _("Smart Cities: your application is now «%(s)s»") % {"s": render_status(params)}
        else:
            subject = _("Smart Cities: %(k)s") % {"k": K(kind).label}
        body = "\n\n".join(
            [
                render(kind, params),
                _("See it here: %(url)s") % {"url": link(kind, application_id, staff=staff)},
                _("Your notifications and e-mail settings: %(url)s")
                % {"url": settings.SITE_URL.rstrip("/") + ("/admin/inbox/" if staff else "/portal/inbox/")},
            ]
        )
    return EmailMessage(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, sorted(set(recipients)))


def send_notification_emails(notification_ids, contacts=()) -> int:
    """E-mail the notifications not e-mailed yet (so a retried task sends nothing twice that left)
    to recipients who want them, grouped into one message per matter and language; and each
    municipality matter in `contacts` ([application id, kind, params]) to its contact addresses, in
    the site's language. Returns the number of messages sent."""
    rows = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .exclude(recipient__email="")
        .filter(recipient__is_active=True)
        .select_related("recipient__preferences")
        .order_by("id")
    )
    groups, users_told = {}, {}
    for n in rows:
        user = n.recipient
        # A user who never saved preferences has the defaults (Greek, every e-mail).
        prefs = user.preferences if hasattr(user, "preferences") else UserPreferences(user=user)
        if not prefs.wants_email(n.kind):
            continue
        staff = roles.is_staff_role(user)
        key = (n.kind, n.application_id, prefs.language, staff, repr(sorted(n.params.items())))
        groups.setdefault(key, (n.params, []))[1].append(user.email)
        users_told.setdefault(n.application_id, set()).add(user.email.lower())
    messages = [
        _message(kind, params, app_id, emails, language=language, staff=staff)
        for (kind, app_id, language, staff, _p), (params, emails) in groups.items()
    ]
    for start in range(0, len(contacts), CHUNK):
        messages += _contact_messages(contacts[start : start + CHUNK], users_told)
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=timezone.now())
    return len(messages)


# Applications read per query when many matters go to contact addresses at once.
CHUNK = 5_000


def _contact_messages(contacts, users_told) -> list:
    apps = Application.objects.select_related("municipality").in_bulk([c[0] for c in contacts])
    messages = []
    for app_id, kind, params in contacts:
        app = apps.get(app_id)
        if app is None:
            continue
        told = users_told.get(app_id, set())
        emails = [e for e in app.municipality.contact_email_list if e.lower() not in told]
        if emails:
            messages.append(
                _message(kind, params, app_id, emails, language=settings.LANGUAGE_CODE, staff=False)
            )
    return messages


@shared_task(**MAIL_RETRY)
def deliver(notification_ids: list[int], contacts: list):
    """`contacts`: [application id, kind, params] of matters to e-mail to municipalities' contacts."""
    send_notification_emails(notification_ids, contacts)
