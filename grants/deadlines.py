"""Deadlines: the call's closing date, the response deadline of a return and the officers' review
target; which of them an application is waiting for, what "overdue" means (one definition for the
admin's list, the API's filter and the reminders), and the periodic reminders: municipalities are
told REMIND_DAYS before a deadline, officers are told of overdue work, each reminder once."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants import inbox
from grants.models import Application, ApplicationStatus, NotificationKind, Reminder

S = ApplicationStatus
REMIND_DAYS = 3
# Waiting for the officers: the review target applies.
IN_REVIEW = (S.SUBMITTED, S.UNDER_REVIEW)
# Waiting for the municipality before the call closes.
EDITABLE = (S.DRAFT, S.RETURNED)

LABELS = {
    "closes_on": _("The call closes"),
    "response_due": _("Answer due"),
    "review_due": _("Review target"),
}


def current_deadline(app) -> tuple[str, datetime.date] | None:
    """The deadline the application is waiting for now, as (what, date): the review target while the
    officers review it, the answer's deadline while it is returned (else the call's closing), the call's
    closing while it is a draft; None after a decision."""
    if app.status in IN_REVIEW and app.review_due:
        return "review_due", app.review_due
    if app.status == S.RETURNED and app.response_due:
        return "response_due", app.response_due
    if app.status in EDITABLE and app.programme.closes_on:
        return "closes_on", app.programme.closes_on
    return None


def is_overdue(app, today=None) -> bool:
    today = today or timezone.localdate()
    found = current_deadline(app)
    return bool(found and found[0] != "closes_on" and found[1] < today)


def deadlines_of(app, today=None) -> list[dict]:
    """The deadlines that matter for the application now, for its pages: what, label, date, and
    whether it passed (a closed call is "passed", work past its date is "overdue")."""
    today = today or timezone.localdate()
    found = []
    if app.status in EDITABLE and app.programme.closes_on:
        found.append(("closes_on", app.programme.closes_on))
    if app.status == S.RETURNED and app.response_due:
        found.append(("response_due", app.response_due))
    if app.status in IN_REVIEW and app.review_due:
        found.append(("review_due", app.review_due))
    return [
        {
            "what": what,
            "label": LABELS[what],
            "date": day,
            "passed": day < today,
            "overdue": day < today and what != "closes_on",
        }
        for what, day in sorted(found, key=lambda item: item[1])
    ]


def overdue_q(today=None, prefix="") -> Q:
    """Applications past their review target, or returned and past their answer's deadline."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}status__in": IN_REVIEW, f"{prefix}review_due__lt": today}) | Q(
        **{f"{prefix}status": S.RETURNED, f"{prefix}response_due__lt": today}
    )


# --- reminders ------------------------------------------------------------------------------------


def _once(key: str) -> bool:
    """Claim reminder `key`; False when it was sent before (by this run or a concurrent one)."""
    try:
        with transaction.atomic():
            _obj, created = Reminder.objects.get_or_create(key=key)
    except IntegrityError:
        return False
    return created


def _remind(app, kind, what, day, recipients) -> bool:
    key = f"{kind}:{what}:{app.pk}:{day.isoformat()}"
    with transaction.atomic():
        if not _once(key):
            return False
        inbox.notify(recipients, kind, app, what=what, d=day.isoformat())
    return True


def reminders_send(*, today=None) -> dict:
    """Tell municipalities of deadlines within REMIND_DAYS (the call's closing while they still edit,
    a return's answer) and officers of overdue work. Each reminder is sent once: its key (kind, what,
    application, date) is recorded with the notifications it writes, so a second run (or a run the
    same day after a restart) sends nothing again, while a new deadline date is a new reminder."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REMIND_DAYS)
    apps = Application.objects.select_related("programme", "municipality")
    sent = {"deadline": 0, "overdue": 0}

    closing = apps.filter(
        status__in=EDITABLE, programme__closes_on__gte=today, programme__closes_on__lte=horizon
    )
    for app in closing:
        users = inbox.municipality_users(app.municipality_id)
        sent["deadline"] += _remind(
            app, NotificationKind.DEADLINE, "closes_on", app.programme.closes_on, users
        )

    answering = apps.filter(status=S.RETURNED, response_due__gte=today, response_due__lte=horizon)
    for app in answering:
        users = inbox.municipality_users(app.municipality_id)
        sent["deadline"] += _remind(app, NotificationKind.DEADLINE, "response_due", app.response_due, users)

    officers = list(inbox.officers())
    for app in apps.filter(overdue_q(today)).order_by("id"):
        what, day = current_deadline(app)
        sent["overdue"] += _remind(app, NotificationKind.OVERDUE, what, day, officers)
    return sent
