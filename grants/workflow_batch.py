"""The batch form of the workflow's `record_decision`, for imports of published lists.

`transition(app, "record_decision", …)` takes about eight queries per application (lock, cap override,
committed total, save, audit…), which caps an import at a few hundred rows per second. This module is
the second writer of Application.status beside `transition()`, and it applies the same action of the
same table to many applications: the same guards (`workflow._check_static`, which runs the action's
guards), the same validation (`workflow._set_decision`), the same warnings
(`workflow.decision_warnings`, with the cap and committed total of grants.caps), the same audit values
and note (`workflow.audit_values`, `workflow.audit_note`), the same locks in the same order (the
programme, then the municipalities, then the applications) and the same recipients
(`grants.inbox`). It reads and writes in bulk: one lock on the programme, one on the
municipalities, one SELECT … FOR UPDATE of the applications, one query for cap overrides, one for the
committed total, and COPY for the writes.

Rows are applied in order as if one transition followed another: the committed total that the
"over the programme's total" warning uses includes the rows before it in the batch.

Applications are read into light records (_App), not model instances: building 100,000 instances
(and snapshotting them field by field) cost more than every query of the import together.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from grants import audit, caps, inbox
from grants.delivery import decisions as decision_versions
from grants.models import Application, CapOverride, Channel, Municipality, Programme
from grants.models import ApplicationStatus as S
from grants.workflow import (
    ACTIONS,
    AUDITED,
    TransitionError,
    _check_static,
    _message,
    _set_decision,
    audit_note,
    audit_values,
    decision_warnings,
)

# PostgreSQL accepts at most 65,535 parameters per statement; stay well below for IN (…) lists.
CHUNK = 10_000
# (field, PostgreSQL array type) written by the batch; the other columns are not touched by a decision.
UPDATED_FIELDS = [
    ("status", "varchar"),
    ("budget", "numeric"),
    ("inclusion_date", "date"),
    ("end_date", "date"),
    ("decision_ada", "varchar"),
    ("mis_code", "varchar"),
    ("version", "integer"),
    ("updated_at", "timestamptz"),
]


def _attnames(names):
    return tuple(Application._meta.get_field(name).attname for name in names)


AUDITED_ATTNAMES = _attnames(AUDITED)
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


def record_decisions(programme, decisions, *, actor, channel=Channel.IMPORT) -> list[DecisionOutcome]:
    """Record `decisions` (a list of Decision, one per municipality) in `programme`, all or nothing.

    `Decision.municipality` is a Municipality or anything with its pk, name, populations and
    is_eligible (grants.imports.matching.MunicipalityRef). Missing applications are created with the
    decision, in one audit event whose `before` is empty (see _write). A decision equal to
    what is recorded is no change and writes nothing. Raises DecisionBatchError listing every
    refused row."""
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
        committed = caps.programme_committed(programme.pk)
        # A new application starts with the model's defaults, as get_or_create would give it.
        blank = Application(programme=programme, budget=Decimal("0.00"))
        blank_values = [getattr(blank, name) for name in LOCKED]

        outcomes, errors, created, changes = [], [], [], []
        caps_by_population = {}
        for i, decision in enumerate(decisions):
            municipality = decision.municipality
            app = found.get(municipality.pk)
            if app is None:
                app = _App(programme, municipality, blank_values)
                app.municipality_id = municipality.pk
                created.append(app)
            else:
                app.municipality = municipality
            outcome = DecisionOutcome(record=app, created=app.id is None)
            outcomes.append(outcome)
            try:
                _check_static(spec, app, actor, channel)
                before = app.values()
                counted_before = app.budget if app.status in caps.COMMITTED_STATUSES else Decimal("0")
                status = _set_decision(app, decision.fields)
            except TransitionError as exc:
                errors.append((i, _message(exc)))
                continue
            elsewhere = committed - counted_before
            outcome.warnings = decision_warnings(
                app,
                status=status,
                budget=app.budget,
                cap=_cap(programme, municipality, overrides.get(municipality.pk), caps_by_population),
                committed_elsewhere=elsewhere,
            )
            app.status = status
            committed = elsewhere + (app.budget if status == S.INCLUDED else Decimal("0"))
            after = app.values()
            # Raw values compare as their audit form does (amounts are in cents, dates are dates),
            # so only changed rows pay for the dictionaries of audit.changed.
            if after == before:
                continue
            old, new = audit.changed(
                dict(zip(AUDITED, before, strict=True)), dict(zip(AUDITED, after, strict=True))
            )
            outcome.changed = True
            app.version += 1
            changes.append((app, decision, outcome.warnings, before, old, new))
        if errors:
            raise DecisionBatchError(errors)
        _write(blank, created, changes, spec=spec, actor=actor, channel=channel)
        # The versions of the decision, as transition()'s effect writes them (grants.delivery.decisions).
        decision_versions.record_decided_batch(
            [(app, before[0]) for app, _decision, _warnings, before, _old, _new in changes], actor=actor
        )
    return outcomes


def _cap(programme, municipality, override, cached) -> Decimal:
    """Programme.cap_for, once per population: the cap depends on nothing else but an override."""
    if override is not None:
        return programme.cap_for(municipality, override=override)
    key = (municipality.population_2011, municipality.population_2021)
    if key not in cached:
        cached[key] = programme.cap_for(municipality, override=None)
    return cached[key]


def _write(blank, created, changes, *, spec, actor, channel):
    """Store the new and changed applications and one audit event per decision, in the batch's order.
    A new application is inserted once, with its decision, and audited once: its event has an empty
    `before` (nothing existed) and the programme and municipality in `after`, so that history says
    the decision created it. Two events (create, then decide) would double the import's writes for no
    extra fact."""
    now = timezone.now()
    updated = [app for app, *_rest in changes if app.id is not None]
    for app, *_rest in changes:
        app.updated_at = now
    _insert_applications(blank, created, now)
    _update(updated)
    created_ids = {app.id for app in created}
    app_type = ContentType.objects.get_for_model(Application).pk
    events, notify = [], {}
    for app, decision, warnings, before, old, new in changes:
        if spec.notifies and "status" in new:
            notify[app.pk] = app.municipality_id
        before, after = audit_values(spec, before[0], app.status, old, new, decision.fields)
        if app.id in created_ids:
            before = {}
            after = {"programme": app.programme_id, "municipality": app.municipality_id, **after}
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
                before=before,
                after=after,
                note=audit_note(decision.note, warnings),
            )
        )
    audit.insert_rows(events)
    if notify:
        # In the batch's transaction, like transition(): the inbox rows, then their e-mail after commit.
        inbox.notify_statuses([app for app, *_rest in changes if app.pk in notify], actor=actor)


def _lock(programme, municipality_ids) -> dict:
    """municipality id → _App of its application in `programme`, each row locked FOR UPDATE, after
    the municipalities' rows: transition() locks the municipality before the application (eligibility
    is a guard, and an officer's override locks that row), and the same order here, by id, means an
    import and a transition or an override never wait for each other in a cycle."""
    found = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {connection.ops.quote_name(Municipality._meta.db_table)} "
                "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                [sorted(municipality_ids)],
            )
    else:
        for ids in _chunks(sorted(municipality_ids)):
            list(Municipality.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
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


def _update(apps):
    """COPY the new values into a temporary table and UPDATE … FROM it, once per batch. Django's
    bulk_update builds a CASE per row and field, and even array parameters cost more to send than the
    database takes to apply them."""
    if not apps:
        return
    names = [name for name, _type in UPDATED_FIELDS]
    if connection.vendor != "postgresql":
        instances = [Application(id=app.id, **{name: getattr(app, name) for name in names}) for app in apps]
        Application.objects.bulk_update(instances, names, batch_size=500)
        return
    table = connection.ops.quote_name(Application._meta.db_table)
    columns = [Application._meta.get_field(name).column for name in names]
    with connection.cursor() as cursor:
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


def _insert_applications(blank, apps, now):
    """Insert new applications with their decided values and set their ids. On PostgreSQL the ids are
    taken from the table's sequence and the rows COPied straight in: bulk_create's parameter handling
    dominated a 100,000-row import. The columns a decision does not set keep `blank`'s defaults."""
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

    if connection.vendor != "postgresql":
        instances = [
            Application(**dict(zip((f.attname for f in fields), values(app), strict=True))) for app in apps
        ]
        Application.objects.bulk_create(instances, batch_size=2000)
        for app, instance in zip(apps, instances, strict=True):
            app.id = instance.pk
        return
    table = Application._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(apps)]
        )
        for app, (pk,) in zip(apps, cursor.fetchall(), strict=True):
            app.id = pk
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for app in apps:
                copy.write_row(values(app))
