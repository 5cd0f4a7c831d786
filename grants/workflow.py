"""The application workflow: one explicit transition table and one entry point.

`transition()` writes Application.status for one application; the admin, the portal, the API and the
commands call it, and `available_actions()` drives their buttons and says why the other actions are
unavailable. The only other writer is its batch form for imported decisions (grants.workflow_batch),
which runs the same rows of the same table: the guards, effects and audit values below. Each
transition locks its rows (the programme when needed, the municipality, the application), re-checks
its guards on fresh data, and writes the new status and its AuditEvent in one transaction; e-mail
goes out only after commit.
"""

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import amounts, audit, caps, checklist, conversation, documents, inbox, roles
from grants.delivery import completion, decisions
from grants.models import Application, Channel, Municipality, Programme
from grants.models import ApplicationStatus as S
from projects import services as project_services

# The roles of the transition table, as grants.roles spells them.
MUNICIPALITY, OFFICER, APPROVER, SYSTEM = roles.MUNICIPALITY, roles.OFFICER, roles.APPROVER, roles.SYSTEM


class TransitionError(ValidationError):
    """A refused transition. The message says why, in the active language."""


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset
    target: str | None
    roles: tuple
    note_required: bool = False
    fields: tuple = ()
    optional_fields: tuple = ()
    # Import-only actions are not offered as buttons.
    listed: bool = True
    # Guards that need no form input, each `guard(action, app, user, channel)` raising TransitionError:
    # checked to list the action (with the reason) and again on the locked row before it is taken.
    guards: tuple = ()
    # What the action does to the locked row besides its status, `effect(app, user, fields)`, after the
    # input-dependent checks it makes; returns warnings to keep in the audit note.
    effect: Callable | None = None
    # Lock the programme's row first: the action reads the programme's committed total.
    locks_programme: bool = False
    # Tell the municipality when the status changed (on commit).
    notifies: bool = True
    # What follows the saved change in the same transaction, `then(app, user, note, fields, channel)`:
    # the return's message in the application's thread.
    then: Callable | None = None


def _a(name, label, sources, target, roles_, **kw):
    return Action(name, label, frozenset(sources), target, tuple(roles_), **kw)


DECISION_STATUSES = (S.INCLUDED, S.TO_BE_INCLUDED)
DECISION_CHANNELS = (Channel.IMPORT, Channel.COMMAND)

# ΑΔΑ: Greek capitals and digits, e.g. «ΕΨΚ446ΜΤΛ6-ΡΞΥ» (10-3) or older «ΡΒΠΕ7ΛΞ-Ν1Ζ» (7-3).
ADA_RE = re.compile(r"^[Α-Ω0-9]{4,10}-[Α-Ω0-9]{3}$")


def normalize_ada(value) -> str:
    from grants.text import fold, greek_lookalikes

    # People type Latin letters that look Greek; Diavgeia codes are Greek, so we store the Greek ones.
    ada = greek_lookalikes(fold(value or "").replace(" ", ""))
    if not ADA_RE.match(ada):
        raise TransitionError(
            {"decision_ada": _("«%(v)s» is not a valid ΑΔΑ (e.g. ΕΨΚ446ΜΤΛ6-ΡΞΥ).") % {"v": value or ""}}
        )
    return ada


def _money(value, name) -> Decimal:
    return amounts.money(value, field=name, error=TransitionError)


def _date(value, name) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise TransitionError({name: _("Enter a real date (YYYY-MM-DD).")})
    return parsed


# --- guards -------------------------------------------------------------------------------------


def _selection_stats(app: Application) -> dict:
    return app.selections.aggregate(n=Count("id"), total=Sum("amount"), smallest=Min("amount"))


def _check_role(action: Action, app: Application, user, channel):
    if user is not None and not getattr(user, "is_authenticated", False):
        raise TransitionError(_("Log in to take this action."))
    if user is not None and not user.is_active:
        raise TransitionError(_("This account is deactivated."))
    held = roles.held_on(app, user)
    if not held.intersection(action.roles):
        if roles.municipality_of(user) is not None and MUNICIPALITY not in held:
            raise TransitionError(_("This application belongs to another municipality."))
        names = {MUNICIPALITY: _("the municipality"), OFFICER: _("an officer"), APPROVER: _("an approver")}
        allowed = ", ".join(str(names[r]) for r in action.roles if r in names)
        raise TransitionError(
            _("Only %(who)s may take the action «%(action)s».") % {"who": allowed, "action": action.label}
        )


def _check_source(action: Action, app: Application):
    if app.status not in action.sources:
        raise TransitionError(
            _("«%(action)s» is not possible while the application is «%(status)s».")
            % {"action": action.label, "status": app.get_status_display()}
        )


def _check_submission(app: Application, user):
    programme = app.programme
    stats = _selection_stats(app)
    n, total = stats["n"], stats["total"] or Decimal("0")
    project_services.check_project_count(programme, n, error=TransitionError)
    if stats["smallest"] is not None and stats["smallest"] <= 0:
        raise TransitionError(_("Every selected project needs an amount greater than zero."))
    caps.check_cap(total, programme.cap_for(app.municipality), error=TransitionError)
    closed = programme.closed_reason()
    if closed and not roles.is_officer(user):
        raise TransitionError(
            _("%(why)s Only an officer may submit while the call is not open.") % {"why": closed}
        )
    return total


def _check_within_cap(app: Application, budget: Decimal):
    """An officer's or approver's budget obeys the same cap as the municipality's selections: money is
    never committed over a cap. A published decision that breaks it is recorded with a warning instead
    (decision_warnings); a justified exception is a cap override."""
    if budget <= 0:
        raise TransitionError({"budget": _("The budget must be greater than zero.")})
    caps.check_cap(
        budget, app.programme.cap_for(app.municipality), field="budget", what="budget", error=TransitionError
    )


def _check_budget_room(app: Application, budget: Decimal):
    committed = caps.programme_committed(app.programme_id, excluding=app.pk) + budget
    message = caps.over_programme_total(committed, app.programme.total_budget)
    if message:
        raise TransitionError({"budget": message})


def _check_four_eyes(app: Application, user):
    if user is not None and app.proposed_by_id == user.pk:
        raise TransitionError(
            _("Four eyes: you proposed this inclusion, so another approver must include it.")
        )


def _check_decision_channel(action: Action, app: Application, user, channel):
    if channel not in DECISION_CHANNELS:
        raise TransitionError(_("Published decisions are recorded by an import or a command."))


def _check_eligible_to_submit(action: Action, app: Application, user, channel):
    """An ineligible municipality's application goes no further towards inclusion. Eligibility is the
    rule's or an officer's override (Municipality.is_eligible); a published decision is recorded anyway,
    with a warning (decision_warnings). Said to the municipality, who cannot change it: who decides,
    and whom to ask."""
    municipality = app.municipality
    if municipality.is_eligible:
        return
    raise TransitionError(
        _(
            "%(m)s is not eligible for this programme, so the application cannot be submitted. "
            "Eligibility is decided by the officers of the managing authority (%(ma)s): contact them "
            "if you think this is wrong."
        )
        % {"m": municipality.name, "ma": app.programme.managing_authority}
    )


def _check_eligible(action: Action, app: Application, user, channel):
    """_check_eligible_to_submit's rule for the officers' and approvers' steps, said to them."""
    municipality = app.municipality
    if municipality.is_eligible:
        return
    raise TransitionError(
        _(
            "%(m)s is not eligible for this programme, so «%(action)s» is not possible. "
            "An officer decides eligibility in the municipality's record (eligibility override)."
        )
        % {"m": municipality.name, "action": action.label}
    )


def _check_submittable(action: Action, app: Application, user, channel):
    # Kept for _submit: in a transition the effect follows on the same locked row, nothing written
    # between, so it takes the figures read here instead of reading them again.
    app._submission_total = _check_submission(app, user)


def _check_documents(action: Action, app: Application, user, channel):
    """Every required document attached (grants.documents), the missing ones named."""
    missing = documents.missing_documents(app)
    if missing:
        raise TransitionError(documents.missing_reason(missing))


def _check_not_proposer(action: Action, app: Application, user, channel):
    _check_four_eyes(app, user)


def _check_checklist(action: Action, app: Application, user, channel):
    """The evaluation checklist of the current review: every criterion answered, none «No»
    (grants.checklist; a programme without criteria has nothing to answer)."""
    unanswered, refused = checklist.open_points(app)
    problems = []
    if unanswered:
        problems.append(_("not answered: %(list)s") % {"list": ", ".join(f"«{c.text}»" for c in unanswered)})
    if refused:
        problems.append(_("answered «No»: %(list)s") % {"list": ", ".join(f"«{c.text}»" for c in refused)})
    if problems:
        raise TransitionError(
            _("The evaluation checklist does not allow a proposal yet — %(problems)s.")
            % {"problems": "; ".join(problems)}
        )


def _check_completable(action: Action, app: Application, user, channel):
    """Every selected project completed, the final declaration verified, none waiting (issue 14)."""
    reasons = completion.completion_blockers(app)
    if reasons:
        raise TransitionError(" ".join(str(r) for r in reasons))


def _check_static(action: Action, app: Application, user, channel):
    """Guards that need no form input: used both to list actions and before every transition."""
    _check_role(action, app, user, channel)
    _check_source(action, app)
    for guard in action.guards:
        guard(action, app, user, channel)


# --- reading ------------------------------------------------------------------------------------


@dataclass
class ActionOption:
    name: str
    label: str
    allowed: bool
    reason: str = ""
    note_required: bool = False
    fields: tuple = ()
    optional_fields: tuple = ()
    target: str | None = None
    target_label: str = field(default="")


def _message(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def available_actions(application: Application, user, *, channel=Channel.ADMIN) -> list[ActionOption]:
    """Every listed action, with whether `user` may take it now and, if not, why."""
    options = []
    for action in ACTIONS.values():
        if not action.listed:
            continue
        try:
            _check_static(action, application, user, channel)
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
                target_label=str(S(action.target).label) if action.target else "",
            )
        )
    return options


def decision_warnings(
    application: Application, *, status, budget, cap=None, committed_elsewhere=None
) -> list[str]:
    """Rules a submission must meet that a published decision may break: reported, not refused.

    Batch callers (grants.workflow_batch) pass `cap` and `committed_elsewhere` computed for many rows at
    once; otherwise they are read here. Lazy: shown in the reader's language, recorded in the audit
    note in the site's."""
    warnings = []
    municipality, programme = application.municipality, application.programme
    if not municipality.is_eligible:
        warnings.append(
            audit.lazy_text(
                gettext_lazy("%(m)s is not eligible under the programme's rule."), {"m": municipality.name}
            )
        )
    if cap is None:
        cap = programme.cap_for(municipality)
    over_cap = caps.cap_warning(budget, cap)
    if over_cap:
        warnings.append(over_cap)
    if status == S.INCLUDED:
        if committed_elsewhere is None:
            committed_elsewhere = caps.programme_committed(application.programme_id, excluding=application.pk)
        over = caps.over_programme_total(committed_elsewhere + budget, programme.total_budget)
        if over:
            warnings.append(over)
    return warnings


def submission_hash(app: Application) -> str:
    """A digest of what was submitted, printed on the receipt so both sides can prove the content.

    It covers everything the receipt and its PDF print from the selections and the municipality
    wrote: project code, amount and justification. Catalogue titles are reference data, not the
    municipality's submission, and are left out so that a corrected title does not void every receipt."""
    rows = app.selections.order_by("project__code").values_list("project__code", "amount", "justification")
    content = {"application": app.pk, "selections": [[c, f"{a:.2f}", j] for c, a, j in rows]}
    # The documents, by their SHA-256: only when there are some, so that a receipt issued before
    # documents existed still proves its content.
    attached = documents.submission_rows(app)
    if attached:
        content["documents"] = attached
    payload = json.dumps(content, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _submission_hash_codes_and_amounts(app: Application) -> str:
    # The digest of receipts issued before justifications were covered; kept to verify those.
    rows = list(app.selections.order_by("project__code").values_list("project__code", "amount"))
    payload = json.dumps(
        {"application": app.pk, "selections": [[c, f"{a:.2f}"] for c, a in rows]}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def submission_is_current(app: Application) -> bool:
    """Whether the application still holds exactly what its receipt says was submitted."""
    if not app.submission_hash:
        return False
    if app.submission_hash == submission_hash(app):
        return True
    # An older receipt's digest does not cover justifications: it still proves the content only if no
    # selection was touched since the submission, which the audit trail (written by every change) tells.
    return (
        app.submission_hash == _submission_hash_codes_and_amounts(app)
        and not app.audit_events.filter(
            action__startswith="selection.", created_at__gt=app.submitted_at
        ).exists()
    )


# Set by start_review, outside AUDITED: the batch form of published decisions never writes them.
REVIEW_AUDITED = ["reviewer", "review_round"]

# --- writing ------------------------------------------------------------------------------------

AUDITED = [
    "status",
    "budget",
    "inclusion_date",
    "end_date",
    "decision_ada",
    "mis_code",
    "deinclusion_ada",
    "proposed_by",
    "response_due",
    "completion_ada",
    "completion_date",
]


def _apply(action: Action, app: Application, user, note, fields) -> tuple[str, list[str]]:
    """Check the input common to every action, then take the action's effect on the locked row.
    Returns the new status and any warnings (record_decision's)."""
    unknown = set(fields) - set(action.fields) - set(action.optional_fields)
    if unknown:
        raise TransitionError(
            {f: _("«%(a)s» does not take this field.") % {"a": action.label} for f in sorted(unknown)}
        )
    missing = [f for f in action.fields if fields.get(f) in (None, "")]
    if missing:
        raise TransitionError({f: _("This field is required.") for f in missing})
    if action.note_required and not note.strip():
        raise TransitionError({"note": _("A note is required for «%(a)s».") % {"a": action.label}})

    warnings = action.effect(app, user, fields) if action.effect else []
    return app.status if action.target is None else action.target, warnings


def _set_decision(app: Application, fields) -> str:
    """Validate a published decision and set its values on `app` (no query); returns the status.
    Shared by transition() and the batch form in grants.workflow_batch."""
    status = fields["status"]
    if status not in DECISION_STATUSES:
        raise TransitionError({"status": _("A published decision is «Ενταγμένη» or «Προς ένταξη».")})
    app.budget = _money(fields["budget"], "budget")
    if app.budget < 0:
        raise TransitionError({"budget": _("A budget cannot be negative.")})
    date = fields.get("inclusion_date")
    app.inclusion_date = _date(date, "inclusion_date") if date not in (None, "") else None
    if status == S.INCLUDED and app.inclusion_date is None:
        raise TransitionError({"inclusion_date": _("An included operation needs its inclusion date.")})
    if fields.get("decision_ada"):
        app.decision_ada = normalize_ada(fields["decision_ada"])
    if fields.get("mis_code"):
        app.mis_code = str(fields["mis_code"]).strip()
    _set_end_date(app, fields)
    return status


def _set_end_date(app: Application, fields):
    """The expected end date, when the decision gives one; it cannot come before the inclusion."""
    if fields.get("end_date") in (None, ""):
        return
    app.end_date = _date(fields["end_date"], "end_date")
    if app.inclusion_date is not None and app.end_date < app.inclusion_date:
        raise TransitionError({"end_date": _("The expected end date cannot be before the inclusion date.")})


# --- effects: what each action sets besides the status ----------------------------------------------


def _budget_field(app: Application, fields) -> Decimal:
    return _money(fields["budget"], "budget") if fields.get("budget") not in (None, "") else app.budget


def _submit(app: Application, user, fields) -> list:
    total = app.__dict__.pop("_submission_total", None)
    app.budget = total if total is not None else _check_submission(app, user)
    app.submitted_at = timezone.now()
    app.review_due = timezone.localdate(app.submitted_at) + datetime.timedelta(days=app.programme.review_days)
    app.submission_hash = submission_hash(app)
    # The municipality answered a return: its deadline is met.
    app.response_due = None
    return []


def _return(app: Application, user, fields) -> list:
    """The requested items and the response deadline: given, or the programme's default from today."""
    today = timezone.localdate()
    due = fields.get("response_due")
    if due in (None, ""):
        due = today + datetime.timedelta(days=app.programme.response_days)
    due = _date(due, "response_due")
    if due < today:
        raise TransitionError({"response_due": _("The response deadline cannot be in the past.")})
    app.response_due = due
    fields["requested_items"] = conversation.clean_items(fields.get("requested_items"), error=TransitionError)
    return []


def _post_return_message(app: Application, user, note, fields, channel):
    """The officer's note, requested items and deadline go into the thread, where the municipality
    answers before it submits again."""
    conversation.post_message(
        application=app,
        author=user,
        body=note,
        channel=channel,
        kind=conversation.MessageKind.RETURN,
        requested_items=fields.get("requested_items") or [],
        response_due=app.response_due,
    )


def _start_review(app: Application, user, fields) -> list:
    # Who took it (the officers' desk: "in my review") and a new round of the evaluation checklist.
    app.reviewer = user
    app.review_round += 1
    return []


def _propose(app: Application, user, fields) -> list:
    app.budget = _budget_field(app, fields)
    _check_within_cap(app, app.budget)
    app.proposed_by = user
    return []


def _include(app: Application, user, fields) -> list:
    budget = _budget_field(app, fields)
    _check_within_cap(app, budget)
    app.inclusion_date = _date(fields["inclusion_date"], "inclusion_date")
    app.decision_ada = normalize_ada(fields["decision_ada"])
    app.mis_code = str(fields.get("mis_code") or app.mis_code).strip()
    _set_end_date(app, fields)
    # The programme's row is locked (locks_programme): the committed total is read on settled data.
    _check_budget_room(app, budget)
    app.budget = budget
    # Version 1 of the decision (or the next, for an operation included again), in this transaction.
    decisions.record_decided(app, status=S.INCLUDED, previous_status=app.status, actor=user)
    return []


def _deinclude(app: Application, user, fields) -> list:
    app.deinclusion_ada = normalize_ada(fields["decision_ada"])
    return []


def _complete(app: Application, user, fields) -> list:
    app.completion_ada = normalize_ada(fields["decision_ada"])
    app.completion_date = _date(fields["decision_date"], "decision_date")
    if app.inclusion_date is not None and app.completion_date < app.inclusion_date:
        raise TransitionError({"decision_date": _("The completion cannot be dated before the inclusion.")})
    return []


def _record_decision(app: Application, user, fields) -> list:
    previous = app.status
    app.status = _set_decision(app, fields)
    decisions.record_decided(app, status=app.status, previous_status=previous, actor=user)
    return decision_warnings(app, status=app.status, budget=app.budget)


# --- the transition table -----------------------------------------------------------------------

OPEN_BEFORE_INCLUSION = (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.RETURNED, S.TO_BE_INCLUDED)

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        _a(
            "submit",
            gettext_lazy("Submit"),
            (S.DRAFT, S.RETURNED),
            S.SUBMITTED,
            (MUNICIPALITY, OFFICER),
            guards=(_check_eligible_to_submit, _check_submittable, _check_documents),
            effect=_submit,
        ),
        _a(
            "start_review",
            gettext_lazy("Start review"),
            (S.SUBMITTED,),
            S.UNDER_REVIEW,
            (OFFICER,),
            effect=_start_review,
        ),
        _a(
            "return",
            gettext_lazy("Return for corrections"),
            (S.SUBMITTED, S.UNDER_REVIEW),
            S.RETURNED,
            (OFFICER,),
            note_required=True,
            optional_fields=("requested_items", "response_due"),
            effect=_return,
            then=_post_return_message,
        ),
        _a(
            "propose_inclusion",
            gettext_lazy("Propose for inclusion"),
            (S.UNDER_REVIEW,),
            S.TO_BE_INCLUDED,
            (OFFICER,),
            optional_fields=("budget",),
            guards=(_check_eligible, _check_checklist),
            effect=_propose,
        ),
        _a(
            "include",
            gettext_lazy("Include"),
            (S.TO_BE_INCLUDED,),
            S.INCLUDED,
            (APPROVER,),
            fields=("inclusion_date", "decision_ada"),
            optional_fields=("budget", "mis_code", "end_date"),
            guards=(_check_eligible, _check_not_proposer),
            effect=_include,
            locks_programme=True,
        ),
        _a(
            "reject",
            gettext_lazy("Reject"),
            (S.SUBMITTED, S.UNDER_REVIEW, S.TO_BE_INCLUDED),
            S.REJECTED,
            (OFFICER, APPROVER),
            note_required=True,
        ),
        _a("withdraw", gettext_lazy("Withdraw"), OPEN_BEFORE_INCLUSION, S.WITHDRAWN, (MUNICIPALITY,)),
        _a(
            "deinclude",
            gettext_lazy("De-include"),
            (S.INCLUDED,),
            S.DEINCLUDED,
            (APPROVER,),
            note_required=True,
            fields=("decision_ada",),
            effect=_deinclude,
        ),
        _a(
            "complete",
            gettext_lazy("Complete"),
            (S.INCLUDED,),
            S.COMPLETED,
            (APPROVER,),
            fields=("decision_ada", "decision_date"),
            guards=(_check_completable,),
            effect=_complete,
        ),
        # A published decision is a fact: it is recorded as published, from any status, and the rules a
        # submission must meet become warnings kept in the audit note.
        _a(
            "record_decision",
            gettext_lazy("Record a published decision"),
            tuple(S.values),
            None,
            (OFFICER, APPROVER, SYSTEM),
            fields=("status", "budget"),
            optional_fields=("inclusion_date", "decision_ada", "mis_code", "end_date"),
            listed=False,
            guards=(_check_decision_channel,),
            effect=_record_decision,
            locks_programme=True,
        ),
    ]
}


def transition(application: Application, action: str, *, actor, note="", channel=Channel.COMMAND, **fields):
    """Take `action` on `application` as `actor`; returns the updated application or raises
    TransitionError. The passed instance is refreshed with the new values."""
    if action not in ACTIONS:
        raise TransitionError(_("Unknown action «%(a)s».") % {"a": action})
    spec = ACTIONS[action]
    note = (note or "").strip()
    with transaction.atomic():
        app = _lock(spec, application.pk)
        _check_static(spec, app, actor, channel)
        before = audit.snapshot(app, AUDITED + REVIEW_AUDITED)
        target, warnings = _apply(spec, app, actor, note, fields)
        app.status = target
        after = audit.snapshot(app, AUDITED + REVIEW_AUDITED)
        old, new = audit.changed(before, after)
        if not new:
            # Recording the same published decision again is not a change.
            application.__dict__.update({k: getattr(app, k) for k in ("status", "budget", "version")})
            return application
        app.version += 1
        app.save()
        if spec.then is not None:
            # Before the transition's own event, which stays the application's latest.
            spec.then(app, actor, note, fields, channel)
        audit_before, audit_after = audit_values(spec, before["status"], after["status"], old, new, fields)
        audit.record(
            action=f"workflow.{action}",
            channel=channel,
            actor=actor,
            obj=app,
            before=audit_before,
            after=audit_after,
            note=audit_note(note, warnings),
            municipality=app.municipality,
            application=app,
        )
        if spec.notifies and "status" in new:
            # The inbox rows are written here, in the change's transaction; their e-mail leaves through
            # a task (retried while the mail server is away) only once the change is committed, and a
            # broker that cannot take it never undoes the change.
            inbox.notify_status(app, actor=actor)
    for attr in [f.attname for f in Application._meta.concrete_fields]:
        setattr(application, attr, getattr(app, attr))
    application.transition_warnings = warnings
    return application


def _lock(spec: Action, pk) -> Application:
    """Lock the rows a transition reads, in the order every writer takes them — the programme (when
    the action reads its committed total), the municipality, the application — so that two writers
    never wait for each other in a cycle; grants.workflow_batch takes the same order for many
    applications at once. The municipality's row is locked because eligibility is one of the guards:
    an officer's override (grants.services, which locks that row) lands before or after, not between."""
    programme_id, municipality_id = Application.objects.values_list("programme_id", "municipality_id").get(
        pk=pk
    )
    if spec.locks_programme:
        Programme.objects.select_for_update().filter(pk=programme_id).first()
    Municipality.objects.select_for_update().filter(pk=municipality_id).first()
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("programme", "municipality")
        .get(pk=pk)
    )


def audit_values(spec: Action, old_status, new_status, old: dict, new: dict, fields: dict) -> tuple:
    """The before and after of a workflow AuditEvent: the status on both sides, then the fields that
    changed, then inputs that are not columns. Shared with grants.workflow_batch, so history reads the
    same whichever path wrote it."""
    return {"status": old_status, **old}, {"status": new_status, **new, **_extra_fields(spec, fields)}


def audit_note(note: str, warnings) -> str:
    """The note of a workflow AuditEvent: the person's note, then each warning, in the site's language."""
    note = (note or "").strip()
    if not warnings:
        return note
    with audit.site_language():
        return "\n".join([note, *[f"⚠ {w}" for w in warnings]]).strip()


def _extra_fields(spec: Action, fields: dict) -> dict:
    # Inputs that are not application columns (none today) would be kept here for the auditor.
    return {k: v for k, v in fields.items() if k not in AUDITED and k in spec.optional_fields + spec.fields}


def replay(application: Application) -> dict:
    """Rebuild status and budget from the audit trail alone: the proof that history is complete."""
    state = {"status": None, "budget": Decimal("0")}
    for event in application.audit_events.order_by("created_at", "id"):
        if event.action.startswith("selection."):
            if "amount" in event.before:
                state["budget"] -= Decimal(event.before["amount"])
            if "amount" in event.after:
                state["budget"] += Decimal(event.after["amount"])
            continue
        if "status" in event.after:
            state["status"] = event.after["status"]
        if "budget" in event.after:
            state["budget"] = Decimal(event.after["budget"])
    return state
