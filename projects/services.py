"""Writes on the catalogue and on an application's selections.

The cap is a property of the sum of an application's selections, so no single row can check it:
every write locks the application row first (SELECT … FOR UPDATE), re-reads the total on fresh data,
then writes. Two concurrent additions that each fit but together exceed the cap are serialised on
that lock; the second sees the first's amount and is refused."""

import copy
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from grants import amounts, audit, caps, roles
from grants.models import Application, ApplicationStatus, CapOverride, Channel
from projects.models import CatalogueProject, Selection

EDITABLE_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
SELECTION_AUDITED = ["project", "amount", "justification"]
CATALOGUE_AUDITED = ["code", "title_el", "title_en", "category", "description", "official", "active"]


class SelectionError(ValidationError):
    """A refused selection change; the message names the field and the reason."""


def money(value, field="amount") -> Decimal:
    return amounts.money(value, field=field, error=SelectionError)


def _lock(application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("programme", "municipality")
        .get(pk=application.pk)
    )


# Where a municipality chooses projects itself: there the justification its forms ask for is required,
# whichever of them it uses (the portal's form, the API).
MUNICIPALITY_CHANNELS = (Channel.PORTAL, Channel.API)


def _check_justification(justification, actor, channel):
    blank = not (justification or "").strip()
    if blank and channel in MUNICIPALITY_CHANNELS and roles.municipality_of(actor) is not None:
        raise SelectionError({"justification": _("Give a short justification for this project.")})


def _check_may_edit(app: Application, actor):
    if actor is not None and getattr(actor, "is_authenticated", False):
        own = roles.municipality_of(actor)
        if own is not None and own.pk != app.municipality_id:
            raise SelectionError(_("This application belongs to another municipality."))
        if own is None and not roles.is_officer(actor):
            raise SelectionError(_("Only the municipality or an officer may change selections."))
    if app.status not in EDITABLE_STATUSES:
        raise SelectionError(
            _("Selections can be changed only while the application is a draft or returned (now: %(s)s).")
            % {"s": app.get_status_display()}
        )


def _check_cap(cap: Decimal, new_total: Decimal, old_total: Decimal | None = None):
    # A total already over the cap may go down or stay (grants.caps.check_cap says why).
    caps.check_cap(new_total, cap, previous=old_total, field="amount", error=SelectionError)


def _total_without(app: Application, exclude_pk=None) -> Decimal:
    qs = Selection.objects.filter(application=app)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def _stored_money(value) -> Decimal | None:
    # PostgreSQL gives numeric back as Decimal; SQLite (the demo) stores decimals as floating point,
    # and its value is rounded to the cent as Django's own converter rounds it.
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(amounts.CENT)


def _locked_state(app: Application, *, project=None, exclude_pk=None) -> tuple[Decimal, bool, Decimal]:
    """What a write checks, read after the application's lock in one statement: the total of its
    selections but `exclude_pk`, whether `project` is among them already, and the application's cap.
    In SQL of its own: a selection is added by the thousand when a programme is simulated, and the
    ORM took ten times longer to build this statement than the database took to answer it."""
    quote = connection.ops.quote_name
    selections, overrides = quote(Selection._meta.db_table), quote(CapOverride._meta.db_table)
    others = "" if exclude_pk is None else " AND id <> %s"
    sql = (
        f"SELECT (SELECT SUM(amount) FROM {selections} WHERE application_id = %s{others}),"
        f" EXISTS (SELECT 1 FROM {selections} WHERE application_id = %s AND project_id = %s),"
        f" (SELECT amount FROM {overrides} WHERE programme_id = %s AND municipality_id = %s)"
    )
    params = [app.pk, *([] if exclude_pk is None else [exclude_pk])]
    params += [app.pk, getattr(project, "pk", project), app.programme_id, app.municipality_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total, taken, override = cursor.fetchone()
    # The override as cap_for takes one it was handed (only its amount counts towards the cap).
    override = _stored_money(override)
    handed = CapOverride(amount=override) if override is not None else None  # a cap of 0 is an override
    cap = app.programme.cap_for(app.municipality, override=handed)
    return _stored_money(total) or Decimal("0"), bool(taken), cap


def _lock_selection(app: Application, selection) -> Selection:
    """The selection, locked, read after its application's lock: a concurrent removal that won the
    lock is a refusal the clerk can understand, not a crash."""
    current = Selection.objects.select_for_update().filter(pk=selection.pk, application=app).first()
    if current is None:
        raise SelectionError(_("This project was removed from the application meanwhile; reload the page."))
    return current


def _sync_budget(app: Application, total: Decimal):
    # While selections are editable the application's budget is their total; after inclusion it is
    # the decision's amount, set by the workflow.
    Application.objects.filter(pk=app.pk).update(budget=total, version=app.version + 1)
    app.budget, app.version = total, app.version + 1


def selection_add(
    *, application, project, amount, justification="", actor=None, channel=Channel.CODE
) -> Selection:
    amount = money(amount)
    if amount <= 0:
        raise SelectionError({"amount": _("The amount must be greater than zero.")})
    with transaction.atomic():
        app = _lock(application)
        _check_may_edit(app, actor)
        if isinstance(project, CatalogueProject) and not project.active:
            raise SelectionError({"project": _("This project is no longer offered in the catalogue.")})
        total, taken, cap = _locked_state(app, project=project)
        if taken:
            raise SelectionError({"project": _("This project is already selected.")})
        new_total = total + amount
        _check_cap(cap, new_total)
        _check_justification(justification, actor, channel)
        selection = Selection.objects.create(
            application=app, project=project, amount=amount, justification=justification
        )
        _sync_budget(app, new_total)
        audit.record(
            action="selection.add",
            channel=channel,
            actor=actor,
            obj=selection,
            after=audit.snapshot(selection, SELECTION_AUDITED),
            municipality=app.municipality,
            application=app,
        )
    application.budget, application.version = app.budget, app.version
    return selection


def selection_update(
    *, selection, amount=None, justification=None, actor=None, channel=Channel.CODE
) -> Selection:
    with transaction.atomic():
        app = _lock(selection.application)
        _check_may_edit(app, actor)
        current = _lock_selection(app, selection)
        before = audit.snapshot(current, SELECTION_AUDITED)
        others, _taken, cap = _locked_state(app, exclude_pk=current.pk)
        old_total = others + current.amount
        if amount is not None:
            current.amount = money(amount)
            if current.amount <= 0:
                raise SelectionError({"amount": _("The amount must be greater than zero.")})
        if justification is not None:
            current.justification = justification
        new_total = others + current.amount
        _check_cap(cap, new_total, old_total=old_total)
        if justification is not None:  # an amount alone keeps the justification it had
            _check_justification(justification, actor, channel)
        old, new = audit.changed(before, audit.snapshot(current, SELECTION_AUDITED))
        if not new:
            return current
        current.save()
        _sync_budget(app, new_total)
        audit.record(
            action="selection.change",
            channel=channel,
            actor=actor,
            obj=current,
            before=old,
            after=new,
            municipality=app.municipality,
            application=app,
        )
    return current


def selection_remove(*, selection, actor=None, channel=Channel.CODE) -> None:
    with transaction.atomic():
        app = _lock(selection.application)
        _check_may_edit(app, actor)
        current = _lock_selection(app, selection)
        before = audit.snapshot(current, SELECTION_AUDITED)
        repr_ = str(current)
        audit.record(
            action="selection.remove",
            channel=channel,
            actor=actor,
            obj=current,
            before=before,
            municipality=app.municipality,
            application=app,
            note=repr_,
        )
        current.delete()
        _sync_budget(app, _total_without(app))


def catalogue_project_save(*, project: CatalogueProject, actor=None, channel=Channel.CODE, note=""):
    """Create or edit a catalogue entry, audited with before/after values."""
    return audit.save_with_audit(
        project, CATALOGUE_AUDITED, action="catalogue", actor=actor, channel=channel, note=note
    )


CATEGORY_AUDITED = ["order", "title_el", "title_en"]


def category_save(*, category, actor=None, channel=Channel.CODE, note=""):
    """Create or edit a catalogue category, audited like catalogue entries (the API writes here)."""
    return audit.save_with_audit(
        category, CATEGORY_AUDITED, action="category", actor=actor, channel=channel, note=note
    )


# --- a decided list of selections (amendments of an included operation, issue 14) -------------------


def check_project_count(programme, n: int, *, field=None, error=SelectionError):
    """An application holds between the programme's min_projects and max_projects projects: the rule
    of a submission (grants.workflow) and of an amendment's new list."""
    if not programme.min_projects <= n <= programme.max_projects:
        message = _("The application has %(n)d projects; between %(min)d and %(max)d are required.") % {
            "n": n,
            "min": programme.min_projects,
            "max": programme.max_projects,
        }
        raise error({field: message} if field else message)


def selection_list_parse(*, application, rows, field="selections") -> list[tuple[CatalogueProject, Decimal]]:
    """A full list of selections [{"project": catalogue code, "amount": "123.45"}, ...] checked as a
    submission's selections are: known catalogue codes, each once, a project newly added still offered
    in the catalogue, every amount above zero, the programme's number of projects and the cap on their
    total. Returns (project, amount) pairs in the list's order; raises SelectionError keyed by `field`,
    naming the row."""
    if not isinstance(rows, list):
        raise SelectionError({field: _("Give the full list of projects, each with its amount.")})
    app = application
    codes = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not str(row.get("project") or "").strip():
            raise SelectionError({field: _("Row %(n)d: a catalogue code is required.") % {"n": i}})
        codes.append(str(row["project"]).strip())
    known = {p.code: p for p in CatalogueProject.objects.filter(code__in=codes)}
    already = set(Selection.objects.filter(application=app).values_list("project__code", flat=True))
    parsed, seen = [], set()
    for i, (row, code) in enumerate(zip(rows, codes, strict=True), start=1):
        project = known.get(code)
        if project is None:
            raise SelectionError(
                {field: _("Row %(n)d: «%(c)s» is not in the catalogue.") % {"n": i, "c": code}}
            )
        if code in seen:
            raise SelectionError({field: _("Row %(n)d: «%(c)s» appears twice.") % {"n": i, "c": code}})
        seen.add(code)
        if not project.active and code not in already:
            raise SelectionError(
                {field: _("Row %(n)d: «%(c)s» is no longer offered in the catalogue.") % {"n": i, "c": code}}
            )
        try:
            amount = amounts.money(row.get("amount"), field=field, error=SelectionError)
        except SelectionError as exc:
            raise SelectionError(
                {field: _("Row %(n)d: %(why)s") % {"n": i, "why": " ".join(exc.messages)}}
            ) from None
        if amount <= 0:
            raise SelectionError({field: _("Row %(n)d: the amount must be greater than zero.") % {"n": i}})
        parsed.append((project, amount))
    check_project_count(app.programme, len(parsed), field=field)
    caps.check_cap(
        sum((a for _p, a in parsed), Decimal("0")),
        app.programme.cap_for(app.municipality),
        field=field,
        error=SelectionError,
    )
    return parsed


def selections_set_by_decision(*, application, rows, actor=None, channel=Channel.CODE, note="") -> list[dict]:
    """Make an included operation's selections exactly `rows` ((project, amount) pairs from
    selection_list_parse), as a decision (an approved amendment) set them: the caller holds the
    application's row lock and has checked the list. Each added, changed or removed project is
    audited like the municipality's edits; the budget is the decision's, set by the caller.

    Returns those events for the caller to pass to audit.record once it has written everything else:
    an event takes the audit chain until the transaction ends (grants.audit_chain), and each write of
    the decision (a selection, the budget) takes a summary row that another operation's writer may
    hold while it waits for the chain."""
    app = application
    current = {s.project_id: s for s in Selection.objects.select_for_update().filter(application=app)}
    wanted = {project.pk: (project, amount) for project, amount in rows}
    events = []
    for project_id, selection in current.items():
        if project_id in wanted:
            continue
        before = audit.snapshot(selection, SELECTION_AUDITED)
        removed = copy.copy(selection)  # the event names the row by its id, which delete() clears
        selection.delete()
        events.append(
            {"action": "selection.remove", "obj": removed, "before": before, "note": note or str(removed)}
        )
    for project_id, (project, amount) in wanted.items():
        selection = current.get(project_id)
        if selection is None:
            selection = Selection.objects.create(application=app, project=project, amount=amount)
            events.append(
                {
                    "action": "selection.add",
                    "obj": selection,
                    "after": audit.snapshot(selection, SELECTION_AUDITED),
                }
            )
        elif selection.amount != amount:
            before = audit.snapshot(selection, SELECTION_AUDITED)
            selection.amount = amount
            selection.save(update_fields=["amount", "updated_at"])
            old, new = audit.changed(before, audit.snapshot(selection, SELECTION_AUDITED))
            events.append({"action": "selection.change", "obj": selection, "before": old, "after": new})
    common = {"channel": channel, "actor": actor, "municipality": app.municipality, "application": app}
    return [{**common, "note": note, **event} for event in events]
