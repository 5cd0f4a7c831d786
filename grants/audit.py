"""Writing the audit trail. Every service calls `record` inside its own transaction, so the change
and its record commit together or not at all."""

import json
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from grants import audit_chain
from grants.models import AuditEvent, Channel


def site_language():
    """The language of the notes code writes: the site's, whatever the request's or the command's.
    Notes are stored text that the managing authority's auditors read later, and commands run with
    translations deactivated, which would store English."""
    return translation.override(settings.LANGUAGE_CODE)


def _fill(message, params=None) -> str:
    text = str(message)
    return text % params if params is not None else text


def note_text(message, params=None) -> str:
    """`message` (a gettext_lazy string) filled with `params`, in the site's language, for a note.
    Lazy parameters (a model's verbose name) are said in that language too."""
    with site_language():
        return _fill(message, params)


# A message said in the language active when it is read: a warning is shown to the user in theirs
# and written into the audit note in the site's (inside site_language()).
lazy_text = lazy(_fill, str)


def actor_display(actor) -> str:
    """The actor's name as history keeps it, cut to the column: Django allows a first and last name
    longer together than AuditEvent.actor_name, and a long name must not stop that user's work."""
    if actor is None:
        return "system"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    username = actor.get_username()
    if not full:
        return username
    room = AuditEvent._meta.get_field("actor_name").max_length - len(username) - 3
    if len(full) > room:
        full = full[: room - 1] + "…"
    return f"{full} ({username})"


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
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
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


def save_with_audit(obj, fields, *, action: str, actor=None, channel=Channel.CODE, note=""):
    """Validate and save `obj`, new or changed, recording the `fields` that changed as
    `<action>.create` or `<action>.change`; an unchanged object is neither saved nor recorded."""
    with transaction.atomic():
        before = {}
        if obj.pk:
            before = snapshot(type(obj)._default_manager.select_for_update().get(pk=obj.pk), fields)
        obj.full_clean()
        old, new = changed(before, snapshot(obj, fields))
        if not new:
            return obj
        created = obj.pk is None
        if created:
            old = {}  # nothing existed: not a change from «None» in every field
        obj.save()
        record(
            action=f"{action}.create" if created else f"{action}.change",
            channel=channel,
            actor=actor,
            obj=obj,
            before=old,
            after=new,
            note=note,
        )
    return obj


def update_with_audit(
    obj,
    fields,
    changes: dict,
    *,
    action,
    actor=None,
    channel=Channel.CODE,
    note="",
    check=None,
    municipality=None,
):
    """Apply `changes` to a locked fresh copy of `obj`, validate, and save and record the `fields` that
    changed. `check(locked)` adds a model's own rule before validation; `action` and `note` may be
    callables of (locked, new values) when they depend on what changed. Returns the saved copy."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        before = snapshot(locked, fields)
        for name, value in changes.items():
            setattr(locked, name, value)
        if check is not None:
            check(locked)
        locked.full_clean()
        old, new = changed(before, snapshot(locked, fields))
        if not new:
            return locked
        locked.save()
        record(
            action=action(locked, new) if callable(action) else action,
            channel=channel,
            actor=actor,
            obj=locked,
            before=old,
            after=new,
            note=note(locked, new) if callable(note) else note,
            municipality=municipality(locked) if callable(municipality) else municipality,
        )
    obj.refresh_from_db()
    return locked


# The columns of a bulk-written event, in COPY order (attnames, which are also the column names): the
# content the chain hashes, in its order.
ROW_FIELDS = audit_chain.COLUMNS


def row(
    *,
    action: str,
    channel: str,
    actor,
    created_at,
    obj,
    content_type_id: int,
    municipality_id=None,
    application_id=None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> tuple:
    """The values of one event as `record` would write it, for `insert_rows`. Batch services build
    plain tuples: a model instance per event costs more than storing it."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return (
        created_at,
        actor.pk if actor is not None else None,
        actor_display(actor),
        channel,
        action,
        content_type_id,
        str(obj.pk),
        str(obj)[:300],
        municipality_id,
        application_id,
        {k: _jsonable(v) for k, v in (before or {}).items()},
        {k: _jsonable(v) for k, v in (after or {}).items()},
        note,
    )


@contextmanager
def all_or_nothing():
    """A long build (the demo, the simulated programme) as one transaction in which the services' own
    atomic blocks take no savepoints: a failed step fails the whole build (the outer block rolls back),
    so they would buy nothing, and they are a third of the queries (two per nested block). Nothing can
    then be undone short of the whole build, so the audit chain is taken once and its head kept in
    memory (audit_chain.held: two queries of every event's three)."""
    features = connection.features
    saved = features.uses_savepoints
    with transaction.atomic():
        features.uses_savepoints = False
        try:
            with audit_chain.held(connection):
                yield
        finally:
            features.uses_savepoints = saved


# Rows that insert_rows keeps until the end of a deferred_rows() block, or None.
_DEFERRED: ContextVar[list | None] = ContextVar("audit_deferred_rows", default=None)


@contextmanager
def deferred_rows():
    """Keep the rows that insert_rows is given inside the block and write them, in their order, when the
    block ends without an error (use it inside the transaction). Writing an event takes the chain until
    the transaction ends (grants.audit_chain): a batch that locks more rows after writing events, as an
    import does chunk by chunk, could otherwise deadlock with a transition that holds one of those rows
    and waits for the chain."""
    token = _DEFERRED.set([])
    try:
        yield
        rows = _DEFERRED.get()
    finally:
        _DEFERRED.reset(token)
    if not connection.needs_rollback:  # a dry run, rolled back whatever it wrote
        insert_rows(rows)


def insert_rows(rows: list[tuple]) -> int:
    """Insert events built by `row`, chained in their order. On PostgreSQL through COPY, which an import
    of 100,000 lines needs: Django's bulk_create spends more time preparing parameters than the database
    spends storing them. Still insert-only: the append-only trigger guards UPDATE and DELETE, not INSERT.
    The chain is taken (grants.audit_chain) before the rows take their ids, so COPY's ids, given in the
    rows' order, follow the chain."""
    if not rows:
        return 0
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.extend(rows)
        return len(rows)
    if connection.vendor != "postgresql":
        # The queryset's bulk_create chains them.
        AuditEvent.objects.bulk_create(
            [AuditEvent(**dict(zip(ROW_FIELDS, values, strict=True))) for values in rows], batch_size=2000
        )
        return len(rows)
    opts = AuditEvent._meta
    columns = ", ".join(connection.ops.quote_name(n) for n in (*ROW_FIELDS, "chain_hash"))
    encode = json.JSONEncoder(ensure_ascii=False, default=DjangoJSONEncoder().default).encode
    event_hash, stored_json = audit_chain.event_hash, audit_chain.stored_json
    sql = f"COPY {connection.ops.quote_name(opts.db_table)} ({columns}) FROM STDIN"
    # No savepoint: a failed write fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        previous = audit_chain.lock_head(connection, opts.db_table)
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for values in rows:
                before, after = values[10], values[11]
                previous = event_hash(
                    previous, (*values[:10], stored_json(before), stored_json(after), values[12])
                )
                copy.write_row((*values[:10], encode(before), encode(after), values[12], previous))
        audit_chain.extended(connection, opts.db_table, previous)
    return len(rows)


CHAIN_PAGE = 5000


def verify_chain(*, progress=None):
    """Walk the audit trail's chain in id order, a page at a time (constant memory whatever its length).
    Returns (events checked, id of the first event that does not match or None, last chain hash).
    `progress(n)` is told the count after each page."""
    previous, count, after_id = audit_chain.GENESIS, 0, 0
    stored = [c for c in ROW_FIELDS if c not in ("before", "after")]
    while True:
        page = list(
            AuditEvent.objects.order_by("id")
            .filter(id__gt=after_id)
            .annotate(before_text=Cast("before", TextField()), after_text=Cast("after", TextField()))
            .values_list("id", "chain_hash", *stored, "before_text", "after_text")[:CHAIN_PAGE]
        )
        if not page:
            return count, None, previous
        for pk, chain_hash, *values in page:
            before, after = audit_chain.parse_json(values[11]), audit_chain.parse_json(values[12])
            content = (*values[:10], before, after, values[10])
            expected = audit_chain.event_hash(previous, content)
            if chain_hash != expected:
                return count, pk, previous
            previous = chain_hash
            count += 1
        after_id = page[-1][0]
        if progress:
            progress(count)
