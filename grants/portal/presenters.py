"""What the portal pages say: the cap bar, the history in plain words and the next step.
Pure functions over rows the views already loaded, so page query counts do not grow with data."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from grants import caps, history
from grants.formatting import format_eur
from grants.models import Application, AuditEvent
from grants.models import ApplicationStatus as S
from projects.models import Selection
from projects.services import EDITABLE_STATUSES

# The only references the timeline names; officers who proposed an inclusion stay unnamed.
NAMED_KEYS = ("project",)


@dataclass(frozen=True)
class CapBar:
    total: Decimal
    cap: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.cap - self.total, Decimal("0"))

    @property
    def excess(self) -> Decimal:
        return caps.cap_excess(self.total, self.cap)

    @property
    def over(self) -> bool:
        # The services' rule (grants.caps), so the bar never says "over" where a save succeeds.
        return self.excess > 0

    @property
    def percent(self) -> int:
        if self.cap <= 0:
            return 100 if self.total > 0 else 0
        return min(100, int(self.total * 100 / self.cap))

    @property
    def summary(self) -> str:
        # Said in words, so the state is never conveyed by the bar's colour alone.
        base = _("Total %(total)s of a cap of %(cap)s.") % {
            "total": format_eur(self.total),
            "cap": format_eur(self.cap),
        }
        if self.over:
            return base + " " + _("Over the cap by %(x)s.") % {"x": format_eur(self.excess)}
        return base + " " + _("Remaining: %(r)s.") % {"r": format_eur(self.remaining)}


def is_editable(application) -> bool:
    return application.status in EDITABLE_STATUSES


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEvent
    text: str
    by: str
    note: str


def describe(event: AuditEvent, names: history.Names) -> str:
    """One audit event as a sentence a municipal clerk understands; `names` from
    history.names_for(events, NAMED_KEYS)."""
    action, before, after = event.action, event.before or {}, event.after or {}
    if action == "application.create":
        return _("The application was created as a draft.")
    if action.startswith("selection."):
        project_id = after.get("project", before.get("project"))
        # A change records only what changed, not the project: its code opens the object's name
        # («T01: 5.000,00 €», Selection.__str__), which is then the label.
        code = event.object_repr.split(":", 1)[0]
        label = history.value(Selection, "project", project_id, names, missing=code)
        if action == "selection.add":
            return _("Project «%(p)s» was added with %(a)s.") % {
                "p": label,
                "a": history.value(Selection, "amount", after.get("amount", "0"), names),
            }
        if action == "selection.remove":
            return _("Project «%(p)s» was removed.") % {"p": label}
        parts = []
        if "amount" in after:
            parts.append(
                _("its amount went from %(old)s to %(new)s")
                % {
                    "old": history.value(Selection, "amount", before.get("amount"), names),
                    "new": history.value(Selection, "amount", after["amount"], names),
                }
            )
        if "justification" in after:
            parts.append(_("its justification was rewritten"))
        return _("Project «%(p)s» was changed: %(what)s.") % {"p": label, "what": "; ".join(parts)}
    if action.startswith("workflow.") and "status" in after:
        status = history.value(Application, "status", after["status"], names)
        if action == "workflow.submit":
            return _("The application was submitted (status «%(s)s»).") % {"s": status}
        if not before:
            # An imported published decision that created the application (grants.workflow_batch).
            return _("The application was recorded from a published decision (status «%(s)s»).") % {
                "s": status
            }
        return _("The status changed to «%(s)s».") % {"s": status}
    return history.action_label(event.action)


def timeline(events, names: history.Names, own_user_ids: set) -> list[TimelineEntry]:
    entries = []
    for event in events:
        # Reading a file is in the audit trail, not in the municipality's story of its application.
        if event.action.endswith("download"):
            continue
        # Officers' names stay with the managing authority; the municipality sees who of its own acted.
        if event.actor_id in own_user_ids:
            by = event.actor_name
        elif event.actor_id is None:
            by = _("the system")
        else:
            by = _("the managing authority")
        shown_note = event.note if event.action.startswith("workflow.") else ""
        entries.append(TimelineEntry(event=event, text=describe(event, names), by=by, note=shown_note))
    return entries


def return_note(events) -> str:
    """The officer's note on the latest return, which the municipality must act upon."""
    notes = [e.note for e in events if e.action == "workflow.return"]
    return notes[-1] if notes else ""


def next_step(application, submit_option, closed_reason="") -> str:
    if application is None:
        if closed_reason:
            return closed_reason
        return _("Start your application, then choose projects from the catalogue within your cap.")
    status = application.status
    if status == S.DRAFT:
        if submit_option is not None and not submit_option.allowed:
            return _("Choose projects within your cap, then submit. Not yet possible: %(why)s") % {
                "why": submit_option.reason
            }
        return _("Check your projects and submit the application.")
    if status == S.RETURNED:
        return _("Correct the application as the officer's note asks, then submit it again.")
    if status in (S.SUBMITTED, S.UNDER_REVIEW):
        return _("Nothing for now: the managing authority is reviewing your application.")
    if status == S.TO_BE_INCLUDED:
        return _("Nothing for now: the application has been proposed for inclusion.")
    if status == S.INCLUDED:
        return _("The application is included. Follow the decision for the next steps.")
    return _("The application is closed; no action is needed.")
