"""The batch form of the workflow's `record_decision`, for imports of published lists.

`transition(app, "record_decision", …)` takes about eight queries per application (lock, cap override,
committed total, save, audit…), which caps an import at a few hundred rows per second. This module
applies the same action to many applications with the same guards, the same validation
(`workflow._set_decision`), the same warnings (`workflow.decision_warnings`) and the same audit shape,
but reads and writes in bulk: one lock on the programme, one SELECT … FOR UPDATE per chunk of
applications, one query for cap overrides, one for the committed total, bulk_update and bulk_create.

Rows are applied in order as if one transition followed another: the committed total that the
"over the programme's total" warning uses includes the rows before it in the batch.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from grants import audit
from grants.models import Application, CapOverride, Channel, MunicipalityAccount, Programme
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


@dataclass
class Decision:
    """One published decision: the municipality and the fields of `record_decision`."""

    municipality: object
    fields: dict
    note: str = ""


@dataclass
class DecisionOutcome:
    application: Application
    created: bool = False
    changed: bool = False
    warnings: list = field(default_factory=list)


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

    Missing applications are created first (audited as `application.create`, like
    grants.services.application_get_or_create). A decision equal to what is recorded is no change and
    writes nothing. Raises DecisionBatchError listing every refused row."""
    spec = ACTIONS["record_decision"]
    seen = set()
    for i, decision in enumerate(decisions):
        if decision.municipality.pk in seen:
            raise DecisionBatchError([(i, "the same municipality appears twice in one batch")])
        seen.add(decision.municipality.pk)

    with transaction.atomic():
        # Serialise imports and inclusions of the same programme: the committed total spans them all.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        apps = _lock_or_create(programme, decisions, actor=actor, channel=channel)
        overrides = {o.municipality_id: o for o in CapOverride.objects.filter(programme=programme)}
        committed = Application.objects.filter(programme=programme, status=S.INCLUDED).aggregate(
            s=Sum("budget")
        )["s"] or Decimal("0")

        outcomes, errors, dirty, events, notify = [], [], [], [], []
        now = timezone.now()
        app_type = ContentType.objects.get_for_model(Application)
        for i, decision in enumerate(decisions):
            app, created = apps[decision.municipality.pk]
            outcome = DecisionOutcome(application=app, created=created)
            outcomes.append(outcome)
            try:
                _check_static(spec, app, actor, channel)
                before = audit.snapshot(app, AUDITED)
                counted_before = app.budget if app.status == S.INCLUDED else Decimal("0")
                status = _set_decision(app, decision.fields)
            except TransitionError as exc:
                errors.append((i, _message(exc)))
                continue
            elsewhere = committed - counted_before
            cap = programme.cap_for(app.municipality, override=overrides.get(app.municipality_id))
            outcome.warnings = decision_warnings(
                app, status=status, budget=app.budget, cap=cap, committed_elsewhere=elsewhere
            )
            app.status = status
            committed = elsewhere + (app.budget if status == S.INCLUDED else Decimal("0"))
            after = audit.snapshot(app, AUDITED)
            old, new = audit.changed(before, after)
            if not new:
                continue
            outcome.changed = True
            app.version += 1
            app.updated_at = now
            dirty.append(app)
            if "status" in new:
                notify.append(app.pk)
            note = "\n".join([decision.note.strip(), *[f"⚠ {w}" for w in outcome.warnings]]).strip()
            events.append(
                audit.row(
                    action=f"workflow.{spec.name}",
                    channel=channel,
                    actor=actor,
                    created_at=now,
                    obj=app,
                    content_type_id=app_type.pk,
                    municipality_id=app.municipality_id,
                    application_id=app.pk,
                    before={"status": before["status"], **old},
                    after={"status": after["status"], **new, **_extra_fields(spec, decision.fields)},
                    note=note,
                )
            )
        if errors:
            raise DecisionBatchError(errors)
        _update(dirty)
        audit.insert_rows(events)
        if notify:
            transaction.on_commit(lambda: notify_status_changes(notify))
    for outcome in outcomes:
        outcome.application.transition_warnings = outcome.warnings
    return outcomes


def _update(apps):
    """COPY the new values into a temporary table and UPDATE … FROM it, once per batch. Django's
    bulk_update builds a CASE per row and field, and even array parameters cost more to send than the
    database takes to apply them."""
    if not apps:
        return
    names = [name for name, _type in UPDATED_FIELDS]
    if connection.vendor != "postgresql":
        Application.objects.bulk_update(apps, names, batch_size=500)
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
                copy.write_row([app.pk, *(getattr(app, name) for name in names)])
        cursor.execute(
            f"UPDATE {table} AS a SET {', '.join(f'{c} = v.{c}' for c in columns)} "
            "FROM _decision_update AS v WHERE a.id = v.id"
        )
        cursor.execute("DROP TABLE _decision_update")


def _lock_or_create(programme, decisions, *, actor, channel) -> dict:
    """municipality id → (locked application, created?), creating the missing ones in bulk."""
    by_id = {d.municipality.pk: d.municipality for d in decisions}
    found = {}
    for ids in _chunks(list(by_id)):
        for app in Application.objects.select_for_update(of=("self",)).filter(
            programme=programme, municipality_id__in=ids
        ):
            found[app.municipality_id] = (app, False)
    missing = [
        Application(programme=programme, municipality=by_id[m], budget=Decimal("0.00"))
        for m in by_id
        if m not in found
    ]
    if missing:
        _insert_applications(missing)
        app_type = ContentType.objects.get_for_model(Application)
        now = timezone.now()
        events = []
        for app in missing:
            found[app.municipality_id] = (app, True)
            events.append(
                audit.row(
                    action="application.create",
                    channel=channel,
                    actor=actor,
                    created_at=now,
                    obj=app,
                    content_type_id=app_type.pk,
                    municipality_id=app.municipality_id,
                    application_id=app.pk,
                    after=audit.snapshot(app, CREATED_AUDITED),
                )
            )
        audit.insert_rows(events)
    for app, _created in found.values():
        # The caller's objects carry the region and population already: no join, no query per row.
        app.programme = programme
        app.municipality = by_id[app.municipality_id]
    return found


def _insert_applications(apps):
    """Insert new applications and set their ids. On PostgreSQL: COPY into a temporary table, then one
    INSERT … SELECT … RETURNING, since bulk_create's parameter handling dominates a 100,000-row import."""
    now = timezone.now()
    for app in apps:
        app.created_at = app.updated_at = now
    if connection.vendor != "postgresql":
        Application.objects.bulk_create(apps, batch_size=2000)
        return
    fields = [f for f in Application._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    by_municipality = {app.municipality_id: app for app in apps}
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE _new_application ON COMMIT DROP AS "
            f"SELECT {columns} FROM {Application._meta.db_table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY _new_application ({columns}) FROM STDIN") as copy:
            for app in apps:
                copy.write_row([getattr(app, f.attname) for f in fields])
        cursor.execute(
            f"INSERT INTO {Application._meta.db_table} ({columns}) SELECT {columns} FROM _new_application "
            "RETURNING id, municipality_id"
        )
        for pk, municipality_id in cursor.fetchall():
            app = by_municipality[municipality_id]
            app.pk = pk
            app._state.adding = False
        cursor.execute("DROP TABLE _new_application")


def notify_status_changes(application_ids):
    """notify_status_change for many applications: a few queries per chunk and one SMTP connection.
    Only the applications whose municipality has someone to tell are loaded whole."""
    messages = []
    for ids in _chunks(list(application_ids)):
        rows = Application.objects.filter(pk__in=ids).values_list(
            "pk", "municipality_id", "municipality__contact_emails"
        )
        contacts = {pk: (m, emails) for pk, m, emails in rows}
        accounts = (
            MunicipalityAccount.objects.filter(
                municipality_id__in={m for m, _e in contacts.values()}, user__is_active=True
            )
            .exclude(user__email="")
            .values_list("municipality_id", "user__email")
        )
        emails = {}
        for municipality_id, email in accounts:
            emails.setdefault(municipality_id, []).append(email)
        to_tell = [pk for pk, (m, contact) in contacts.items() if contact.strip() or m in emails]
        for app in Application.objects.filter(pk__in=to_tell).select_related("municipality", "programme"):
            recipients = app.municipality.contact_email_list + emails.get(app.municipality_id, [])
            messages.append(status_change_message(app, recipients))
    if messages:
        send_mass_mail(messages, fail_silently=False)
