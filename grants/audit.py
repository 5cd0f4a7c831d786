"""Writing the audit trail. Every service calls `record` inside its own transaction, so the change
and its record commit together or not at all."""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from grants.models import AuditEvent, Channel


def actor_display(actor) -> str:
    if actor is None:
        return "system"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{full} ({actor.get_username()})" if full else actor.get_username()


def _jsonable(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(obj, fields) -> dict:
    """Plain values of `fields` (foreign keys by id) as they are now on `obj`."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = field.attname if field.is_relation else name
        out[name] = _jsonable(getattr(obj, attname))
    return out


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    *,
    action: str,
    channel: str = Channel.CODE,
    actor=None,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    municipality=None,
    application=None,
) -> AuditEvent:
    event = build(
        action=action,
        channel=channel,
        actor=actor,
        obj=obj,
        before=before,
        after=after,
        note=note,
        municipality=municipality,
        application=application,
    )
    event.save()
    return event


def build(
    *,
    action: str,
    channel: str = Channel.CODE,
    actor=None,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    municipality=None,
    application=None,
) -> AuditEvent:
    """The unsaved event `record` would write: batch services collect these for one bulk_create."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent(
        actor=actor,
        actor_name=actor_display(actor),
        channel=channel,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        municipality=municipality,
        application=application,
        before={k: _jsonable(v) for k, v in (before or {}).items()},
        after={k: _jsonable(v) for k, v in (after or {}).items()},
        note=note,
    )
