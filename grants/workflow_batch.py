"""The batch form of the workflow's `record_decision`, for imports of published lists.

`transition(app, "record_decision", …)` takes about eight queries per application (lock, cap override,
committed total, save, audit…), which caps an import at a few hundred rows per second. This module
applies the same action to many applications with the same guards, the same validation
(`workflow._set_decision`), the same warnings (`workflow.decision_warnings`) and the same audit shape,
but reads and writes in bulk: one lock on the programme, one SELECT … FOR UPDATE per chunk of
applications, one query for cap overrides, one for the committed total, and COPY for the writes.

Rows are applied in order as if one transition followed another: the committed total that the
"over the programme's total" warning uses includes the rows before it in the batch.

Applications are read into light records (_App), not model instances: building 100,000 instances
(and snapshotting them field by field) cost more than every query of the import together.
"""

import queue
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, partial

from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mass_mail
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from grants import audit
from grants.models import (
    Application,
    AuditEvent,
    CapOverride,
    Channel,
    Municipality,
    MunicipalityAccount,
    Programme,
)
from grants.models import ApplicationStatus as S
from grants.workflow import (
    ACTIONS,
    AUDITED,
    TransitionError,
    _check_static,
    _extra_fields,
    _message,
    _set_decision,
    decision_warnings,
    status_change_message,
)

# PostgreSQL accepts at most 65,535 parameters per statement; stay well below for IN (…) lists.
CHUNK = 10_000
# Decisions per write (and per progress report): large enough for COPY, small enough that the
# database works on one chunk while the next is decided.
WRITE_CHUNK = 5000
CREATED_AUDITED = ["programme", "municipality", "status", "budget"]
# (field, PostgreSQL array type) written by the batch; the other columns are not touched by a decision.
UPDATED_FIELDS = [
    ("status", "varchar"),
    ("budget", "numeric"),
    ("inclusion_date", "date"),
    ("decision_ada", "varchar"),
    ("mis_code", "varchar"),
    ("version", "integer"),
    ("updated_at", "timestamptz"),
]


def _attnames(names):
    return tuple(Application._meta.get_field(name).attname for name in names)


AUDITED_ATTNAMES = _attnames(AUDITED)
CREATED_ATTNAMES = _attnames(CREATED_AUDITED)
# What is read (and locked) of an existing application: its id, municipality and every field a
# decision reads or writes.
LOCKED = ("id", "municipality_id", *dict.fromkeys(AUDITED_ATTNAMES + ("version",)))


class _App:
    """An application as a decision sees it: the columns of LOCKED plus its programme and municipality
    (the caller's objects). The workflow's guards, validation and warnings read only these; its text is
    the model's own __str__, so the audit trail names it exactly as transition() does."""

    __slots__ = ("programme", "programme_id", "municipality", "updated_at", *LOCKED)

    def __init__(self, programme, municipality, values):
        self.programme, self.programme_id, self.municipality = programme, programme.pk, municipality
        for name, value in zip(LOCKED, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self):
        return self.id

    def values(self, attnames=AUDITED_ATTNAMES) -> tuple:
        return tuple(getattr(self, name) for name in attnames)

    def get_status_display(self):
        return S(self.status).label if self.status in S.values else self.status

    __str__ = Application.__str__


@dataclass
class Decision:
    """One published decision: the municipality and the fields of `record_decision`."""

    municipality: object
    fields: dict
    note: str = ""


@dataclass
class DecisionOutcome:
    record: _App
    created: bool = False
    changed: bool = False
    warnings: list = field(default_factory=list)

    @cached_property
    def application(self) -> Application:
        """The application as a model instance, loaded on demand (one query): an import of 100,000
        lines needs only the outcome, and instances cost more to build than the import's queries."""
        app = Application.objects.select_related("municipality", "programme").get(pk=self.record.pk)
        app.transition_warnings = self.warnings
        return app


class DecisionBatchError(TransitionError):
    """Some decisions were refused; `errors` lists (index in the batch, reason). Nothing was written."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__([f"#{i + 1}: {reason}" for i, reason in errors])


def _chunks(items, size=CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def record_decisions(
    programme, decisions, *, actor, channel=Channel.IMPORT, progress=None
) -> list[DecisionOutcome]:
    """Record `decisions` (a list of Decision, one per municipality) in `programme`, all or nothing.

    `Decision.municipality` is a Municipality or anything with its pk, name, populations and
    is_eligible (grants.imports.matching.MunicipalityRef). Missing applications are created (audited
    as `application.create`, like grants.services.application_get_or_create). A decision equal to
    what is recorded is no change and writes nothing. Raises DecisionBatchError listing every
    refused row. `progress(n, total)` is told after each chunk of WRITE_CHUNK decisions."""
    spec = ACTIONS["record_decision"]
    seen = set()
    for i, decision in enumerate(decisions):
        if decision.municipality.pk in seen:
            raise DecisionBatchError([(i, "the same municipality appears twice in one batch")])
        seen.add(decision.municipality.pk)

    with transaction.atomic():
        # Serialise imports and inclusions of the same programme: the committed total spans them all.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        found = _lock(programme, [d.municipality.pk for d in decisions])
        overrides = {o.municipality_id: o for o in CapOverride.objects.filter(programme=programme)}
        committed = Application.objects.filter(programme=programme, status=S.INCLUDED).aggregate(
            s=Sum("budget")
        )["s"] or Decimal("0")
        # A new application starts with the model's defaults, as get_or_create would give it.
        blank = Application(programme=programme, budget=Decimal("0.00"))
        blank_values = [getattr(blank, name) for name in LOCKED]
        new_ids = iter(_new_ids(sum(d.municipality.pk not in found for d in decisions)))
        write = partial(
            _write,
            blank=blank,
            spec=spec,
            actor=actor,
            channel=channel,
            now=timezone.now(),
            app_type=ContentType.objects.get_for_model(Application).pk,
        )

        outcomes, errors, status_changed = [], [], []
        with _Writer() as writer:
            for start in range(0, len(decisions), WRITE_CHUNK):
                created, changes = [], []
                for i in range(start, min(start + WRITE_CHUNK, len(decisions))):
                    decision = decisions[i]
                    municipality = decision.municipality
                    app = found.get(municipality.pk)
                    if app is None:
                        app = _App(programme, municipality, blank_values)
                        app.id, app.municipality_id = next(new_ids), municipality.pk
                        created.append(app)
                    else:
                        app.municipality = municipality
                    outcome = DecisionOutcome(record=app, created=municipality.pk not in found)
                    outcomes.append(outcome)
                    try:
                        _check_static(spec, app, actor, channel)
                        before = app.values()
                        counted_before = app.budget if app.status == S.INCLUDED else Decimal("0")
                        status = _set_decision(app, decision.fields)
                    except TransitionError as exc:
                        errors.append((i, _message(exc)))
                        continue
                    elsewhere = committed - counted_before
                    override = overrides.get(municipality.pk)
                    outcome.warnings = decision_warnings(
                        app,
                        status=status,
                        budget=app.budget,
                        cap=programme.cap_for(municipality, override=override),
                        committed_elsewhere=elsewhere,
                    )
                    app.status = status
                    committed = elsewhere + (app.budget if status == S.INCLUDED else Decimal("0"))
                    after = app.values()
                    # Raw values compare as their audit form does (amounts are in cents, dates are
                    # dates), so only changed rows pay for the dictionaries of audit.changed.
                    if after == before:
                        continue
                    old, new = audit.changed(
                        dict(zip(AUDITED, before, strict=True)), dict(zip(AUDITED, after, strict=True))
                    )
                    outcome.changed = True
                    app.version += 1
                    changes.append((app, outcome.created, decision, outcome.warnings, before, old, new))
                    if "status" in new:
                        status_changed.append(app)
                if not errors:
                    writer.submit(write, created, changes)
                if progress:
                    progress(min(WRITE_CHUNK, len(decisions) - start), len(decisions))
        if errors:
            raise DecisionBatchError(errors)
        if status_changed:
            notify = {app.pk: app.municipality_id for app in status_changed}
            transaction.on_commit(lambda: notify_status_changes(notify))
    return outcomes


def _write(db, created, changes, *, blank, spec, actor, channel, now, app_type):
    """Store the new and changed applications of a chunk and their audit events: the created ones
    first (as application.create, with the values they were created with), then each decision in
    the batch's order. A new application is inserted once, with its decision, rather than inserted
    then updated."""
    for app, *_rest in changes:
        app.updated_at = now
    _insert_applications(db, blank, created, now)
    _update(db, [app for app, is_new, *_rest in changes if not is_new])
    initial = {
        name: getattr(blank, attname) for name, attname in zip(CREATED_AUDITED, CREATED_ATTNAMES, strict=True)
    }
    events = [
        audit.row(
            action="application.create",
            channel=channel,
            actor=actor,
            created_at=now,
            obj=app,
            content_type_id=app_type,
            municipality_id=app.municipality_id,
            application_id=app.pk,
            after={**initial, "municipality": app.municipality_id},
        )
        for app in created
    ]
    for app, _is_new, decision, warnings, before, old, new in changes:
        note = "\n".join([decision.note.strip(), *[f"⚠ {w}" for w in warnings]]).strip()
        events.append(
            audit.row(
                action=f"workflow.{spec.name}",
                channel=channel,
                actor=actor,
                created_at=now,
                obj=app,
                content_type_id=app_type,
                municipality_id=app.municipality_id,
                application_id=app.pk,
                before={"status": before[0], **old},
                after={"status": app.status, **new, **_extra_fields(spec, decision.fields)},
                note=note,
            )
        )
    audit.insert_rows(events, db=db)


class _Writer:
    """Runs a batch's writes, chunk by chunk, on the transaction's own connection in a second thread,
    so that PostgreSQL indexes and checks one chunk while Python decides the next: the database's
    share of an import is about half of it, and done one after the other the halves add up. The
    foreign keys of the written tables are checked IMMEDIATE meanwhile (at the end of each COPY, in
    the writer's time) instead of all at commit, and set back to deferred after the last chunk.
    The caller's thread does not use the connection until the writer is joined; on any error the
    writer stops and the caller's transaction rolls everything back. Other databases write in the
    caller's thread."""

    def __init__(self):
        self.db = connections[DEFAULT_DB_ALIAS]
        self.threaded = self.db.vendor == "postgresql"
        self.error = None

    def __enter__(self):
        if self.threaded:
            self._set_foreign_keys("IMMEDIATE")
            self.jobs = queue.Queue(maxsize=2)
            self.db.inc_thread_sharing()
            self.thread = threading.Thread(target=self._run, name="record_decisions writer", daemon=True)
            self.thread.start()
        return self

    def submit(self, fn, *args):
        if not self.threaded:
            fn(self.db, *args)
            return
        if self.error is not None:
            raise self.error
        self.jobs.put((fn, args))

    def _run(self):
        while (job := self.jobs.get()) is not None:
            if self.error is None:
                fn, args = job
                try:
                    fn(self.db, *args)
                except BaseException as exc:  # handed to the caller's thread
                    self.error = exc

    def __exit__(self, exc_type, exc, tb):
        if not self.threaded:
            return False
        self.jobs.put(None)
        self.thread.join()
        self.db.dec_thread_sharing()
        if exc is None and self.error is not None:
            raise self.error
        if exc is None:
            self._set_foreign_keys("DEFERRED")
        return False

    def _set_foreign_keys(self, mode):
        with self.db.cursor() as cursor:
            names = [
                name
                for model in (Application, AuditEvent)
                for name, info in self.db.introspection.get_constraints(cursor, model._meta.db_table).items()
                if info["foreign_key"]
            ]
            cursor.execute(f"SET CONSTRAINTS {', '.join(map(self.db.ops.quote_name, names))} {mode}")


def _new_ids(count) -> list:
    """Ids for `count` new applications, so that a chunk's events can name them before the chunk is
    written. Other databases assign them when inserting."""
    if not count or connection.vendor != "postgresql":
        return [None] * count
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Application._meta.db_table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _lock(programme, municipality_ids) -> dict:
    """municipality id → _App of its application in `programme`, each row locked FOR UPDATE."""
    found = {}
    if connection.vendor == "postgresql":
        # One array parameter: Django's IN (…) handling costs more than the query for 10,000 ids.
        table = connection.ops.quote_name(Application._meta.db_table)
        sql = (
            f"SELECT {', '.join(LOCKED)} FROM {table} "
            "WHERE programme_id = %s AND municipality_id = ANY(%s::bigint[]) FOR UPDATE"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [programme.pk, list(municipality_ids)])
            rows = cursor.fetchall()
    else:
        rows = []
        for ids in _chunks(list(municipality_ids)):
            rows += (
                Application.objects.select_for_update(of=("self",))
                .filter(programme=programme, municipality_id__in=ids)
                .values_list(*LOCKED)
            )
    for values in rows:
        found[values[1]] = _App(programme, None, values)
    return found


def _update(db, apps):
    """COPY the new values into a temporary table and UPDATE … FROM it, once per batch. Django's
    bulk_update builds a CASE per row and field, and even array parameters cost more to send than the
    database takes to apply them."""
    if not apps:
        return
    names = [name for name, _type in UPDATED_FIELDS]
    if db.vendor != "postgresql":
        instances = [Application(id=app.id, **{name: getattr(app, name) for name in names}) for app in apps]
        Application.objects.bulk_update(instances, names, batch_size=500)
        return
    table = db.ops.quote_name(Application._meta.db_table)
    columns = [Application._meta.get_field(name).column for name in names]
    with db.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE _decision_update (id bigint, "
            + ", ".join(f"{c} {t}" for c, (_n, t) in zip(columns, UPDATED_FIELDS, strict=True))
            + ") ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY _decision_update (id, {', '.join(columns)}) FROM STDIN") as copy:
            for app in apps:
                copy.write_row([app.id, *(getattr(app, name) for name in names)])
        cursor.execute(
            f"UPDATE {table} AS a SET {', '.join(f'{c} = v.{c}' for c in columns)} "
            "FROM _decision_update AS v WHERE a.id = v.id"
        )
        cursor.execute("DROP TABLE _decision_update")


def _insert_applications(db, blank, apps, now):
    """Insert new applications with their decided values. On PostgreSQL they carry their ids already
    (_new_ids) and are COPied straight in: bulk_create's parameter handling dominated a 100,000-row
    import. The columns a decision does not set keep `blank`'s defaults."""
    if not apps:
        return
    fields = Application._meta.concrete_fields
    own = set(_App.__slots__) - {"programme", "municipality"}
    for app in apps:
        app.updated_at = now

    def values(app):
        return [
            now if f.attname == "created_at" else getattr(app if f.attname in own else blank, f.attname)
            for f in fields
        ]

    if db.vendor != "postgresql":
        instances = [
            Application(**dict(zip((f.attname for f in fields), values(app), strict=True))) for app in apps
        ]
        Application.objects.bulk_create(instances, batch_size=2000)
        for app, instance in zip(apps, instances, strict=True):
            app.id = instance.pk
        return
    table, columns = db.ops.quote_name(Application._meta.db_table), [f.column for f in fields]
    with db.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for app in apps:
            copy.write_row(values(app))


def notify_status_changes(changed: dict):
    """notify_status_change for many applications (`changed`: application id → municipality id), with
    one SMTP connection. Who has someone to tell is read once for all municipalities (few have contacts
    or accounts), so a 100,000-line import sends no list of 100,000 ids; only the applications to
    notify are loaded whole."""
    emails = {}
    accounts = (
        MunicipalityAccount.objects.filter(user__is_active=True)
        .exclude(user__email="")
        .values_list("municipality_id", "user__email")
    )
    for municipality_id, email in accounts:
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
    for ids in _chunks(to_tell):
        for app in Application.objects.filter(pk__in=ids).select_related("municipality", "programme"):
            recipients = app.municipality.contact_email_list + emails.get(app.municipality_id, [])
            messages.append(status_change_message(app, recipients))
    if messages:
        send_mass_mail(messages, fail_silently=False)
