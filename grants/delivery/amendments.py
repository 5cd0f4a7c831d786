"""Amendments («τροποποίηση») of an included operation (issue 14).

The municipality or an officer requests a change of the budget, of the selected projects (the full
new list) or of the end date, with a justification (`amendment_request`). Its own small workflow is a
table like grants.workflow's — rows of the same `Action`, the same role check, listed with reasons
for the admin's buttons, the portal and the API: `propose` (officer), `approve` (an approver other
than the officer who proposed it, with the decision's ΑΔΑ and date) and `refuse` (with a note).

The rules of a submission hold for the new figures (the cap, grants.caps; the catalogue and the number
of projects, projects.services), and no project may fall below what is already contracted for it
(Contract), nor be removed while it has contracts. They are checked when the amendment is requested
(refusals name the field: a 400 in the API) and again, on locked rows, when it is proposed and
approved (a 409 with the reason): contracts or the cap may have changed meanwhile. Approval applies the
change to the operation (its budget, its selections through projects.services, its end date), writes
the next version of the decision and the audit trail, in one transaction.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import amounts, audit, caps, roles
from grants.delivery import decisions
from grants.formatting import format_eur
from grants.models import (
    Amendment,
    AmendmentState,
    Application,
    Channel,
    Contract,
    DecisionKind,
    Municipality,
    Programme,
)
from grants.models import ApplicationStatus as S
from grants.workflow import Action, ActionOption, TransitionError, _check_role, _date, _message, normalize_ada
from projects import services as project_services

A = AmendmentState
OFFICER, APPROVER, MUNICIPALITY = roles.OFFICER, roles.APPROVER, roles.MUNICIPALITY
AMENDMENT_AUDITED = [
    "state",
    "justification",
    "budget",
    "selections",
    "end_date",
    "proposed_by",
    "approved_by",
    "refused_by",
    "decision_ada",
    "decision_date",
    "note",
]
APPLICATION_AUDITED = ["budget", "end_date"]
# In the audit trail an amendment's requested figures are "new_…": "budget" and "status" in an event
# of the application's history are the operation's own (grants.workflow.replay reads them).
AUDIT_KEYS = {"budget": "new_budget", "selections": "new_selections", "end_date": "new_end_date"}


def _audit_snapshot(amendment) -> dict:
    return {AUDIT_KEYS.get(k, k): v for k, v in audit.snapshot(amendment, AMENDMENT_AUDITED).items()}


class AmendmentError(TransitionError):
    """A refused amendment or amendment action: keyed by field (an input's fault, a 400 in the API) or
    a plain reason (the state of things, a 409)."""


# --- the rules on the new figures -------------------------------------------------------------------


def contracted_by_project(application) -> dict:
    """Catalogue code → the total of the operation's contracts for that project."""
    rows = (
        Contract.objects.filter(application=application)
        .values_list("project__code")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return dict(rows)


def _current_total(app) -> Decimal:
    return app.selections.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def check_changes(app: Application, *, budget=None, selections=None, end_date=None) -> dict:
    """The amendment's new figures checked against the operation as it is now; returns them
    normalised ({"budget": Decimal|None, "selections": [(project, amount)]|None, "end_date":
    date|None}). Raises AmendmentError or projects.services.SelectionError keyed by field."""
    if budget in ("",):
        budget = None
    if budget is None and selections is None and end_date in (None, ""):
        raise AmendmentError({"budget": _("Give a new budget, a new list of projects or a new end date.")})
    new = {"budget": None, "selections": None, "end_date": None}
    if budget is not None:
        new["budget"] = amounts.money(budget, field="budget", error=AmendmentError)
        if new["budget"] <= 0:
            raise AmendmentError({"budget": _("The budget must be greater than zero.")})
    if selections is not None:
        new["selections"] = project_services.selection_list_parse(application=app, rows=selections)
    if end_date not in (None, ""):
        new["end_date"] = _date(end_date, "end_date")
        if app.inclusion_date is not None and new["end_date"] < app.inclusion_date:
            raise AmendmentError(
                {"end_date": _("The expected end date cannot be before the inclusion date.")}
            )
    projects_total = (
        sum((a for _p, a in new["selections"]), Decimal("0"))
        if new["selections"] is not None
        else _current_total(app)
    )
    # Without a new budget, a new list of projects makes the budget their total.
    effective = (
        new["budget"]
        if new["budget"] is not None
        else (projects_total if new["selections"] is not None else app.budget)
    )
    caps.check_cap(
        effective,
        app.programme.cap_for(app.municipality),
        field="budget",
        what="budget",
        error=AmendmentError,
    )
    if projects_total > effective:
        field = "budget" if new["selections"] is None else "selections"
        raise AmendmentError(
            {
                field: _("The projects' total %(t)s exceeds the budget %(b)s.")
                % {"t": format_eur(projects_total), "b": format_eur(effective)}
            }
        )
    contracted = contracted_by_project(app)
    if new["selections"] is not None:
        amounts_by_code = {p.code: a for p, a in new["selections"]}
        for code, total in sorted(contracted.items()):
            if code not in amounts_by_code:
                raise AmendmentError(
                    {
                        "selections": _(
                            "«%(c)s» has contracts of %(t)s: it cannot be removed from the operation."
                        )
                        % {"c": code, "t": format_eur(total)}
                    }
                )
            if amounts_by_code[code] < total:
                raise AmendmentError(
                    {
                        "selections": _("«%(c)s»: %(a)s is below what is already contracted (%(t)s).")
                        % {
                            "c": code,
                            "a": format_eur(amounts_by_code[code]),
                            "t": format_eur(total),
                        }
                    }
                )
    contracted_total = sum(contracted.values(), Decimal("0"))
    if effective < contracted_total:
        raise AmendmentError(
            {
                "budget": _("The budget %(b)s is below what is already contracted (%(t)s).")
                % {"b": format_eur(effective), "t": format_eur(contracted_total)}
            }
        )
    if _unchanged(app, new, effective):
        raise AmendmentError({"budget": _("The amendment changes nothing in the operation's decision.")})
    new["effective_budget"] = effective
    return new


def _unchanged(app, new, effective) -> bool:
    if effective != app.budget:
        return False
    if new["end_date"] is not None and new["end_date"] != app.end_date:
        return False
    if new["selections"] is not None:
        current = {code: amount for code, amount in app.selections.values_list("project__code", "amount")}
        if current != {p.code: a for p, a in new["selections"]}:
            return False
    return True


def _stored_selections(parsed) -> list | None:
    if parsed is None:
        return None
    return sorted(({"project": p.code, "amount": f"{a:.2f}"} for p, a in parsed), key=lambda r: r["project"])


def _check_included(app: Application):
    if app.status != S.INCLUDED:
        raise AmendmentError(
            _("Only an included operation can be amended (now: %(s)s).") % {"s": app.get_status_display()}
        )


def _lock_application(pk, *, programme=False) -> Application:
    """The rows an amendment reads, in the order every writer takes them (grants.workflow._lock):
    the programme (its committed total, at approval), the municipality, the application."""
    programme_id, municipality_id = Application.objects.values_list("programme_id", "municipality_id").get(
        pk=pk
    )
    if programme:
        Programme.objects.select_for_update().filter(pk=programme_id).first()
    Municipality.objects.select_for_update().filter(pk=municipality_id).first()
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("programme", "municipality")
        .get(pk=pk)
    )


# --- requesting -------------------------------------------------------------------------------------


def amendment_request(
    *,
    application,
    actor,
    justification,
    budget=None,
    selections=None,
    end_date=None,
    channel=Channel.CODE,
) -> Amendment:
    """Request an amendment of an included operation, as its municipality or an officer."""
    justification = (justification or "").strip()
    with transaction.atomic():
        app = _lock_application(application.pk)
        own = roles.municipality_of(actor)
        if own is not None and own.pk != app.municipality_id:
            raise AmendmentError(_("This application belongs to another municipality."))
        if own is None and not roles.is_officer(actor):
            raise AmendmentError(_("Only the municipality or an officer may request an amendment."))
        _check_included(app)
        if app.amendments.filter(state__in=[A.REQUESTED, A.PROPOSED]).exists():
            raise AmendmentError(
                _("An amendment of this operation is already in progress; it must be decided first.")
            )
        if not justification:
            raise AmendmentError({"justification": _("A justification is required.")})
        new = check_changes(app, budget=budget, selections=selections, end_date=end_date)
        amendment = Amendment.objects.create(
            application=app,
            justification=justification,
            budget=new["budget"],
            selections=_stored_selections(new["selections"]),
            end_date=new["end_date"],
            requested_by=actor,
        )
        audit.record(
            action="amendment.request",
            channel=channel,
            actor=actor,
            obj=amendment,
            after=_audit_snapshot(amendment),
            municipality=app.municipality,
            application=app,
        )
    return amendment


# --- the amendment's actions ------------------------------------------------------------------------


# Guards: `guard(amendment, app, user)`, raising AmendmentError; checked to list an action (with the
# reason) and again on the locked rows before it is taken.


def _guard_included(amendment, app, user):
    _check_included(app)


def _guard_not_proposer(amendment, app, user):
    if user is not None and amendment.proposed_by_id == user.pk:
        raise AmendmentError(
            _("Four eyes: you proposed this amendment, so another approver must approve it.")
        )


def _recheck(app, amendment) -> dict:
    """The rules again, on the locked rows: a refusal now is about the state of things (409)."""
    try:
        return check_changes(
            app, budget=amendment.budget, selections=amendment.selections, end_date=amendment.end_date
        )
    except (AmendmentError, project_services.SelectionError) as exc:
        raise AmendmentError(_message(exc)) from None


def _propose(amendment, app, user, fields):
    _recheck(app, amendment)
    amendment.proposed_by, amendment.proposed_at = user, timezone.now()


def _refuse(amendment, app, user, fields):
    amendment.refused_by, amendment.refused_at = user, timezone.now()


def _approve(amendment, app, user, fields):
    ada = normalize_ada(fields["decision_ada"])
    decision_date = _date(fields["decision_date"], "decision_date")
    if decision_date > timezone.localdate():
        raise AmendmentError({"decision_date": _("The date cannot be in the future.")})
    if app.inclusion_date is not None and decision_date < app.inclusion_date:
        raise AmendmentError({"decision_date": _("The amendment cannot be dated before the inclusion.")})
    new = _recheck(app, amendment)
    budget = new["effective_budget"]
    committed = caps.programme_committed(app.programme_id, excluding=app.pk) + budget
    over = caps.over_programme_total(committed, app.programme.total_budget)
    if over:
        raise AmendmentError(str(over))
    before = audit.snapshot(app, APPLICATION_AUDITED)
    # Written last, after every row of the decision (selections_set_by_decision says why).
    selection_events = []
    if new["selections"] is not None:
        selection_events = project_services.selections_set_by_decision(
            application=app, rows=new["selections"], actor=user, channel=fields["_channel"], note=ada
        )
    app.budget = budget
    if new["end_date"] is not None:
        app.end_date = new["end_date"]
    app.version += 1
    app.save(update_fields=["budget", "end_date", "version", "updated_at"])
    old, changed = audit.changed(before, audit.snapshot(app, APPLICATION_AUDITED))
    last = decisions.latest(app)
    if last is None:
        # An operation included before versions were kept and not backfilled: its inclusion first.
        last = decisions.write(
            application=app,
            kind=DecisionKind.INCLUSION,
            number=1,
            decision_ada=app.decision_ada,
            decision_date=app.inclusion_date,
            budget=Decimal(before["budget"]),
            selections=[],
            end_date=app.end_date,
            actor=None,
        )
    amendment.decision_version = decisions.write(
        application=app,
        kind=DecisionKind.AMENDMENT,
        number=last.version + 1,
        decision_ada=ada,
        decision_date=decision_date,
        budget=app.budget,
        selections=decisions.selections_snapshot(app.pk),
        end_date=app.end_date,
        actor=user,
    )
    amendment.approved_by, amendment.approved_at = user, timezone.now()
    amendment.decision_ada, amendment.decision_date = ada, decision_date
    for event in selection_events:
        audit.record(**event)
    # The operation's new figures, in the application's history (grants.workflow.replay reads budget).
    audit.record(
        action="application.amend",
        channel=fields["_channel"],
        actor=user,
        obj=app,
        before=old,
        after={**changed, "decision_version": amendment.decision_version.version},
        note=ada,
        municipality=app.municipality,
        application=app,
    )


def _a(name, label, sources, target, roles_, **kw):
    return Action(name, label, frozenset(sources), target, tuple(roles_), **kw)


AMENDMENT_ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        _a(
            "propose",
            gettext_lazy("Propose the amendment"),
            (A.REQUESTED,),
            A.PROPOSED,
            (OFFICER,),
            guards=(_guard_included,),
            effect=_propose,
        ),
        _a(
            "approve",
            gettext_lazy("Approve the amendment"),
            (A.PROPOSED,),
            A.APPROVED,
            (APPROVER,),
            fields=("decision_ada", "decision_date"),
            guards=(_guard_included, _guard_not_proposer),
            effect=_approve,
            locks_programme=True,
        ),
        _a(
            "refuse",
            gettext_lazy("Refuse the amendment"),
            (A.REQUESTED, A.PROPOSED),
            A.REFUSED,
            (OFFICER, APPROVER),
            note_required=True,
            effect=_refuse,
        ),
    ]
}


def _check_static(action: Action, amendment: Amendment, app: Application, user, channel):
    _check_role(action, app, user, channel)
    if amendment.state not in action.sources:
        raise AmendmentError(
            _("«%(action)s» is not possible while the amendment is «%(state)s».")
            % {"action": action.label, "state": amendment.get_state_display()}
        )
    for guard in action.guards:
        guard(amendment, app, user)


def available_amendment_actions(amendment: Amendment, user, *, channel=Channel.ADMIN) -> list[ActionOption]:
    """Every action of the amendment, with whether `user` may take it now and, if not, why."""
    options = []
    for action in AMENDMENT_ACTIONS.values():
        try:
            _check_static(action, amendment, amendment.application, user, channel)
            allowed, reason = True, ""
        except TransitionError as exc:
            allowed, reason = False, _message(exc)
        options.append(
            ActionOption(
                name=action.name,
                label=str(action.label),
                allowed=allowed,
                reason=reason,
                note_required=action.note_required,
                fields=action.fields,
                optional_fields=action.optional_fields,
                target=action.target,
                target_label=str(A(action.target).label),
            )
        )
    return options


def amendment_transition(
    amendment: Amendment, action: str, *, actor, note="", channel=Channel.CODE, **fields
) -> Amendment:
    """Take `action` on `amendment` as `actor`; returns the updated amendment or raises
    AmendmentError (TransitionError)."""
    if action not in AMENDMENT_ACTIONS:
        raise AmendmentError(_("Unknown action «%(a)s».") % {"a": action})
    spec = AMENDMENT_ACTIONS[action]
    note = (note or "").strip()
    unknown = set(fields) - set(spec.fields) - set(spec.optional_fields)
    if unknown:
        raise AmendmentError(
            {f: _("«%(a)s» does not take this field.") % {"a": spec.label} for f in sorted(unknown)}
        )
    with transaction.atomic():
        app = _lock_application(amendment.application_id, programme=spec.locks_programme)
        locked = Amendment.objects.select_for_update().get(pk=amendment.pk)
        _check_static(spec, locked, app, actor, channel)
        missing = [f for f in spec.fields if fields.get(f) in (None, "")]
        if missing:
            raise AmendmentError({f: _("This field is required.") for f in missing})
        if spec.note_required and not note:
            raise AmendmentError({"note": _("A note is required for «%(a)s».") % {"a": spec.label}})
        before = _audit_snapshot(locked)
        spec.effect(locked, app, actor, {**fields, "_channel": channel})
        locked.state = spec.target
        if note:
            locked.note = note
        locked.save()
        old, new = audit.changed(before, _audit_snapshot(locked))
        audit.record(
            action=f"amendment.{action}",
            channel=channel,
            actor=actor,
            obj=locked,
            before=old,
            after=new,
            note=note,
            municipality=app.municipality,
            application=app,
        )
    return locked
