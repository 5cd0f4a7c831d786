"""What the money services share: their error, the lock they take, the role checks, and the small
action tables (declarations' verify/reject, payments' authorise/cancel, contracts' check) that drive
the buttons and the API's `…/transitions/` endpoints with reasons, like grants.workflow's table."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from grants import amounts, roles
from grants.models import Application, ApplicationStatus

MUNICIPALITY, OFFICER, APPROVER, SYSTEM = roles.MUNICIPALITY, roles.OFFICER, roles.APPROVER, roles.SYSTEM


class DeliveryError(ValidationError):
    """A refused money write. With a dict of field messages it is a bad input (the API's 400 naming
    the field); with a plain message it is a refusal of the state of things (409)."""


def money(value, field: str) -> Decimal:
    return amounts.money(value, field=field, error=DeliveryError)


def positive_money(value, field: str) -> Decimal:
    amount = money(value, field)
    if amount <= 0:
        raise DeliveryError({field: _("The amount must be greater than zero.")})
    return amount


def a_date(value, field: str, *, required: bool = True, not_future: bool = True) -> datetime.date | None:
    if value in (None, ""):
        if required:
            raise DeliveryError({field: _("This date is required.")})
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = parse_date(str(value).strip())
        except ValueError:
            value = None
        if value is None:
            raise DeliveryError({field: _("Enter a real date (YYYY-MM-DD).")})
    if not_future and value > timezone.localdate():
        raise DeliveryError({field: _("The date cannot be in the future.")})
    return value


def required_text(value, field: str, max_length: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise DeliveryError({field: _("This field is required.")})
    if len(text) > max_length:
        raise DeliveryError(
            {field: _("At most %(n)d characters (this has %(m)d).") % {"n": max_length, "m": len(text)}}
        )
    return text


def lock_application(application_id) -> Application:
    """The application's row, locked: every money write of one operation passes through this lock,
    so two concurrent writers read each other's sums and never overshoot a parent together."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("programme", "municipality")
        .get(pk=application_id)
    )


def role_names() -> dict:
    return {MUNICIPALITY: _("the municipality"), OFFICER: _("an officer"), APPROVER: _("an approver")}


def check_role(app: Application, user, allowed: tuple, what) -> None:
    """Refuse (409) unless `user` holds one of `allowed` for this application; a command (no user)
    acts as the system, which the demo and the commands use."""
    if user is not None and not getattr(user, "is_authenticated", False):
        raise DeliveryError(_("Log in to take this action."))
    if user is not None and not user.is_active:
        raise DeliveryError(_("This account is deactivated."))
    held = roles.held_on(app, user)
    if SYSTEM in held or held.intersection(allowed):
        return
    if roles.municipality_of(user) is not None and MUNICIPALITY not in held:
        raise DeliveryError(_("This application belongs to another municipality."))
    names = role_names()
    who = ", ".join(str(names[r]) for r in allowed if r in names)
    raise DeliveryError(_("Only %(who)s may %(what)s.") % {"who": who, "what": what})


def check_included(app: Application, what, statuses=(ApplicationStatus.INCLUDED,)) -> None:
    if app.status not in statuses:
        raise DeliveryError(
            _("%(what)s only while the operation is «%(needed)s» (now «%(status)s»).")
            % {
                "what": what,
                "needed": ApplicationStatus(statuses[0]).label,
                "status": app.get_status_display(),
            }
        )


# --- the small action tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyAction:
    """One action on a money record: who, from which states, which inputs; `check(record, user)`
    raises DeliveryError when it may not be taken now (without input), `run(...)` takes it."""

    name: str
    label: object
    roles: tuple
    sources: tuple
    fields: tuple = ()
    optional_fields: tuple = ()
    note_required: bool = False
    check: Callable | None = None


@dataclass
class MoneyActionOption:
    name: str
    label: str
    allowed: bool
    reason: str = ""
    note_required: bool = False
    fields: tuple = ()
    optional_fields: tuple = ()


def message(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def check_static(action: MoneyAction, record, app: Application, user, state_label) -> None:
    check_role(app, user, action.roles, _("take the action «%(a)s»") % {"a": action.label})
    if action.sources and record.state not in action.sources:
        raise DeliveryError(
            _("«%(action)s» is not possible while it is «%(state)s».")
            % {"action": action.label, "state": state_label}
        )
    if action.check is not None:
        action.check(record, app, user)


def options(table: dict, record, app: Application, user, state_label) -> list[MoneyActionOption]:
    found = []
    for action in table.values():
        try:
            check_static(action, record, app, user, state_label)
            allowed, reason = True, ""
        except DeliveryError as exc:
            allowed, reason = False, message(exc)
        found.append(
            MoneyActionOption(
                name=action.name,
                label=str(action.label),
                allowed=allowed,
                reason=reason,
                note_required=action.note_required,
                fields=action.fields,
                optional_fields=action.optional_fields,
            )
        )
    return found


def unknown_action(name) -> DeliveryError:
    return DeliveryError(_("Unknown action «%(a)s».") % {"a": name})


atomic = transaction.atomic
