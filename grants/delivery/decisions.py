"""The versions of an operation's decision (issue 14): version 1 is the inclusion, each approved
amendment adds the next. Written in the transaction that decides: the `include` and
`record_decision` actions of grants.workflow, their batch form for imported lists
(grants.workflow_batch, which the prepared-import confirm also runs) and the amendments' `approve`
(grants.delivery.amendments). Never changed once written.

What de-inclusion does: nothing here. The versions stay as what was decided; the de-inclusion's ΑΔΑ
is kept on the application and in the audit trail. An operation included again afterwards (a
published list) gets the next version, of kind `inclusion`.

A published list that changes the decided figures of an operation already included (its budget,
inclusion date, ΑΔΑ or end date) writes the next version, of kind `amendment`: the list is a later
decision about it. Recording the same list again writes nothing.
"""

import json

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from grants.models import Application, DecisionKind, DecisionVersion
from grants.models import ApplicationStatus as S
from projects.models import Selection


def selections_snapshot(application_id) -> list[dict]:
    """The operation's selected projects as a version keeps them: catalogue code and amount, by code."""
    rows = (
        Selection.objects.filter(application_id=application_id)
        .order_by("project__code")
        .values_list("project__code", "amount")
    )
    return [{"project": code, "amount": f"{amount:.2f}"} for code, amount in rows]


def _snapshots(application_ids) -> dict:
    found = {pk: [] for pk in application_ids}
    rows = (
        Selection.objects.filter(application_id__in=application_ids)
        .order_by("application_id", "project__code")
        .values_list("application_id", "project__code", "amount")
    )
    for app_id, code, amount in rows.iterator(chunk_size=5000):
        found[app_id].append({"project": code, "amount": f"{amount:.2f}"})
    return found


def _chunks(items, size=10_000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _figures(budget, decision_ada, decision_date, end_date) -> tuple:
    return (f"{budget:.2f}", decision_ada or "", decision_date, end_date)


def _version_figures(version: DecisionVersion) -> tuple:
    return _figures(version.budget, version.decision_ada, version.decision_date, version.end_date)


def latest(application) -> DecisionVersion | None:
    return DecisionVersion.objects.filter(application=application).order_by("-version").first()


def _kind_for(previous_status, last) -> str | None:
    """The kind of version a decision leaving the operation `included` writes, or None for none."""
    if last is None or previous_status != S.INCLUDED:
        return DecisionKind.INCLUSION
    return DecisionKind.AMENDMENT


def record_decided(app: Application, *, status, previous_status, actor) -> DecisionVersion | None:
    """After a decision set `app`'s values (locked, maybe unsaved) and its new `status`: write the
    next version when it leaves the operation `included` as a new inclusion or with changed decided
    figures. Returns it, or None."""
    if status != S.INCLUDED:
        return None
    last = latest(app)
    kind = _kind_for(previous_status, last)
    figures = _figures(app.budget, app.decision_ada, app.inclusion_date, app.end_date)
    if kind == DecisionKind.AMENDMENT and _version_figures(last) == figures:
        return None
    return write(
        application=app,
        kind=kind,
        number=(last.version + 1) if last else 1,
        decision_ada=app.decision_ada,
        decision_date=app.inclusion_date,
        budget=app.budget,
        selections=selections_snapshot(app.pk),
        end_date=app.end_date,
        actor=actor,
    )


def write(
    *, application, kind, number, decision_ada, decision_date, budget, selections, end_date, actor
) -> DecisionVersion:
    """Store one version. The (application, version) unique constraint refuses a second writer of
    the same number; callers hold the application's row lock, so that never happens in practice."""
    return DecisionVersion.objects.create(
        application_id=application.pk,
        version=number,
        kind=kind,
        decision_ada=decision_ada or "",
        decision_date=decision_date,
        budget=budget,
        selections=selections,
        end_date=end_date,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def record_decided_batch(entries, *, actor) -> int:
    """record_decided for many applications at once (grants.workflow_batch): `entries` are
    (application record, previous status) of decisions that changed something; records need pk,
    status, budget, decision_ada, inclusion_date and end_date. A few queries per 10,000 rows (latest
    versions, selections, insert), whatever the count. Returns how many versions were written."""
    entries = [(app, previous) for app, previous in entries if app.status == S.INCLUDED]
    if not entries:
        return 0
    ids = [app.pk for app, _previous in entries]
    last_number, last_figures = {}, {}
    for chunk in _chunks(ids):
        # One query per chunk, the decided figures only (not the selections' JSON); the newest first.
        rows = (
            DecisionVersion.objects.filter(application_id__in=chunk)
            .order_by("application_id", "-version")
            .values_list("application_id", "version", "budget", "decision_ada", "decision_date", "end_date")
        )
        for app_id, number, budget, ada, decided_on, end_date in rows.iterator(chunk_size=5000):
            if app_id not in last_number:
                last_number[app_id] = number
                last_figures[app_id] = _figures(budget, ada, decided_on, end_date)
    pending = []
    for app, previous in entries:
        last = last_number.get(app.pk)
        kind = DecisionKind.INCLUSION if last is None or previous != S.INCLUDED else DecisionKind.AMENDMENT
        figures = _figures(app.budget, app.decision_ada, app.inclusion_date, app.end_date)
        if kind == DecisionKind.AMENDMENT and last_figures[app.pk] == figures:
            continue
        pending.append((app, kind, (last or 0) + 1))
    if not pending:
        return 0
    snapshots = {}
    for chunk in _chunks([app.pk for app, *_rest in pending]):
        snapshots.update(_snapshots(chunk))
    creator = actor if getattr(actor, "is_authenticated", False) else None
    _insert(
        [
            DecisionVersion(
                application_id=app.pk,
                version=number,
                kind=kind,
                decision_ada=app.decision_ada or "",
                decision_date=app.inclusion_date,
                budget=app.budget,
                selections=snapshots[app.pk],
                end_date=app.end_date,
                created_by=creator,
            )
            for app, kind, number in pending
        ]
    )
    return len(pending)


COPIED = (
    "application_id",
    "version",
    "kind",
    "decision_ada",
    "decision_date",
    "budget",
    "selections",
    "end_date",
    "created_at",
    "created_by_id",
)


def _insert(versions: list[DecisionVersion]):
    """Store many versions: COPY on PostgreSQL (an import writes one per included operation, and
    bulk_create's parameter handling cost as much as the rest of the import), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        DecisionVersion.objects.bulk_create(versions, batch_size=2000)
        return
    table = connection.ops.quote_name(DecisionVersion._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(DecisionVersion._meta.get_field(c.removesuffix("_id")).column)
        for c in COPIED
    )
    now = timezone.now()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for v in versions:
            copy.write_row(
                (
                    v.application_id,
                    v.version,
                    v.kind,
                    v.decision_ada,
                    v.decision_date,
                    v.budget,
                    json.dumps(v.selections),
                    v.end_date,
                    now,
                    v.created_by_id,
                )
            )


def inclusion_budget(prefix: str = ""):
    """The operation's budget as included (its version 1) as a database expression, for reports that
    show it beside the current budget (Application.budget, the latest version). `prefix` reaches the
    application through a relation ("x__")."""
    return Subquery(
        # One version 1 per application (decision_version_unique): unordered, the subquery is one index
        # lookup; the model's ordering (by the application's municipality's name) joined two tables
        # per operation.
        DecisionVersion.objects.filter(application=OuterRef(f"{prefix}pk"), version=1)
        .order_by()
        .values("budget")[:1]
    )
