"""The evaluation checklist: reading an application's criteria and answers, and the officers' one
write, `checklist_answer`, used by the admin and the API alike.

Answers belong to a review round (Application.review_round, counted by the workflow's start_review):
they are written only while the application is «Σε αξιολόγηση», so they freeze when the review ends —
at the proposal for inclusion (the guard in grants.workflow refuses it until every criterion is
answered and none is «No»), or at a return or a rejection. A review after a return is a new round
that starts blank: what the municipality corrected is checked afresh, and the earlier round stays as
it was answered (history, and the admin's application page). Every answer written is audited."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import audit, roles
from grants.models import (
    Application,
    ApplicationStatus,
    Channel,
    ChecklistAnswer,
    ChecklistAnswerChoice,
    ChecklistCriterion,
)

ANSWERS = tuple(ChecklistAnswerChoice.values)
# A «No» or «Not applicable» says why: the approver reads the reason, not just the verdict.
NEEDS_COMMENT = (ChecklistAnswerChoice.NO, ChecklistAnswerChoice.NA)
COMMENT_MAX = ChecklistAnswer._meta.get_field("comment").max_length
AUDITED = ["criterion", "review_round", "answer", "comment"]


class ChecklistError(ValidationError):
    """Bad input (400): each message names the row, the criterion and the reason."""


class ChecklistClosed(ValidationError):
    """The checklist cannot be answered now (409): not under review, or frozen at the proposal."""


@dataclass(frozen=True)
class Row:
    criterion: ChecklistCriterion
    answer: ChecklistAnswer | None


# --- reading ------------------------------------------------------------------------------------


def criteria_of(programme_id):
    return ChecklistCriterion.objects.filter(programme_id=programme_id, active=True)


def rows(application: Application, review_round=None) -> list[Row]:
    """Every criterion of the programme, in order, with the answer of `review_round` (default the
    current one) or None; a criterion retired after it was answered still shows its answer. Two queries."""
    review_round = application.review_round if review_round is None else review_round
    answers = {
        a.criterion_id: a
        for a in ChecklistAnswer.objects.filter(application=application, review_round=review_round)
        .select_related("answered_by")
        .order_by()
    }
    criteria = ChecklistCriterion.objects.filter(
        Q(active=True) | Q(pk__in=list(answers)), programme_id=application.programme_id
    ).order_by("order", "code")
    return [Row(criterion=c, answer=answers.get(c.pk)) for c in criteria]


def earlier_rounds(application: Application) -> dict[int, list[ChecklistAnswer]]:
    """The answers of the reviews before the current one, by round (newest first)."""
    found: dict[int, list[ChecklistAnswer]] = {}
    earlier = (
        ChecklistAnswer.objects.filter(application=application, review_round__lt=application.review_round)
        .select_related("criterion", "answered_by")
        .order_by("-review_round", "criterion__order", "criterion__code")
    )
    for answer in earlier:
        found.setdefault(answer.review_round, []).append(answer)
    return found


def open_points(application: Application) -> tuple[list[ChecklistCriterion], list[ChecklistCriterion]]:
    """The active criteria not answered in the current round, and those answered «No»."""
    unanswered, refused = [], []
    for row in rows(application):
        if not row.criterion.active and row.answer is None:
            continue
        if row.answer is None:
            unanswered.append(row.criterion)
        elif row.answer.answer == ChecklistAnswerChoice.NO:
            refused.append(row.criterion)
    return unanswered, refused


def is_open(application: Application) -> bool:
    return application.status == ApplicationStatus.UNDER_REVIEW


def closed_reason(application: Application) -> str:
    """Why the checklist cannot be answered now, "" while it can."""
    if is_open(application):
        return ""
    if application.proposed_by_id is not None and application.status in (
        ApplicationStatus.TO_BE_INCLUDED,
        ApplicationStatus.INCLUDED,
        ApplicationStatus.DEINCLUDED,
    ):
        return _("The checklist was frozen when the inclusion was proposed; it can no longer change.")
    return _("The checklist is answered during the review; the application is «%(s)s».") % {
        "s": application.get_status_display()
    }


# --- writing ------------------------------------------------------------------------------------


def _clean(application: Application, answers) -> list[tuple[ChecklistCriterion, str, str]]:
    """Every row checked before anything is written: all or nothing."""
    if not isinstance(answers, list) or not answers:
        raise ChecklistError(
            {"checklist": [_("Send a list of answers: [{«criterion», «answer», «comment»}, …].")]}
        )
    criteria = {c.code: c for c in criteria_of(application.programme_id)}
    errors, cleaned, seen = [], [], set()
    for number, item in enumerate(answers, start=1):
        if not isinstance(item, dict):
            errors.append(
                _("Row %(n)d: expected an object with «criterion», «answer», «comment».") % {"n": number}
            )
            continue
        code = str(item.get("criterion") or "").strip()
        answer = item.get("answer")
        comment = item.get("comment") or ""
        where = _("Row %(n)d («%(c)s»)") % {"n": number, "c": code}
        unknown = sorted(set(item) - {"criterion", "answer", "comment"})
        if unknown:
            errors.append(_("%(where)s: unknown fields %(f)s.") % {"where": where, "f": ", ".join(unknown)})
        if code not in criteria:
            errors.append(
                _("%(where)s: criterion: not a criterion of this programme's checklist.") % {"where": where}
            )
            continue
        if code in seen:
            errors.append(_("%(where)s: criterion: answered twice in this request.") % {"where": where})
            continue
        seen.add(code)
        if answer not in ANSWERS:
            errors.append(
                _("%(where)s: answer: «%(a)s» is not one of yes, no, na.") % {"where": where, "a": answer}
            )
            continue
        if not isinstance(comment, str):
            errors.append(_("%(where)s: comment: must be text.") % {"where": where})
            continue
        comment = comment.strip()
        if "\x00" in comment:
            errors.append(_("%(where)s: comment: contains a null character.") % {"where": where})
        elif len(comment) > COMMENT_MAX:
            errors.append(
                _("%(where)s: comment: at most %(max)d characters (it has %(n)d).")
                % {"where": where, "max": COMMENT_MAX, "n": len(comment)}
            )
        elif answer in NEEDS_COMMENT and not comment:
            errors.append(
                _("%(where)s: comment: required when the answer is «%(a)s»: say why.")
                % {"where": where, "a": ChecklistAnswerChoice(answer).label}
            )
        cleaned.append((criteria[code], answer, comment))
    if errors:
        raise ChecklistError({"checklist": errors})
    return cleaned


def checklist_answer(*, application: Application, answers, actor, channel=Channel.CODE) -> int:
    """Set the answers `answers` lists ([{"criterion": code, "answer": "yes|no|na", "comment": …}]);
    criteria it does not list keep theirs. Officers only, while the application is under review.
    Every answer that changes is recorded (`checklist.answer`); returns how many changed."""
    if not roles.is_officer(actor):
        raise PermissionDenied(_("Only an officer answers the evaluation checklist."))
    if not is_open(application):
        raise ChecklistClosed(closed_reason(application))
    cleaned = _clean(application, answers)
    with transaction.atomic():
        # The proposal locks this row too: an answer lands before it (and is checked) or is refused after.
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("programme", "municipality")
            .get(pk=application.pk)
        )
        if not is_open(locked):
            raise ChecklistClosed(closed_reason(locked))
        existing = {
            a.criterion_id: a
            for a in ChecklistAnswer.objects.filter(application=locked, review_round=locked.review_round)
        }
        now, changes = timezone.now(), []
        for criterion, value, comment in cleaned:
            answer = existing.get(criterion.pk)
            if answer is not None and (answer.answer, answer.comment) == (value, comment):
                continue
            before = audit.snapshot(answer, AUDITED) if answer is not None else {}
            if answer is None:
                answer = ChecklistAnswer(
                    application=locked, criterion=criterion, review_round=locked.review_round
                )
            answer.answer, answer.comment = value, comment
            answer.answered_by, answer.answered_at = actor, now
            changes.append((criterion, answer, before))
        # A whole checklist is answered at once: its answers and their events are written in a
        # statement each, not two statements an answer.
        ChecklistAnswer.objects.bulk_create([a for _c, a, before in changes if not before])
        ChecklistAnswer.objects.bulk_update(
            [a for _c, a, before in changes if before], ["answer", "comment", "answered_by", "answered_at"]
        )
        content_type = ContentType.objects.get_for_model(ChecklistAnswer)
        rows = []
        for criterion, answer, before in changes:
            old, new = audit.changed(before, audit.snapshot(answer, AUDITED))
            rows.append(
                audit.row(
                    action="checklist.answer",
                    channel=channel,
                    actor=actor,
                    created_at=now,
                    obj=answer,
                    content_type_id=content_type.pk,
                    # The criterion and round are named on both sides, so each event reads on its own.
                    before={**old, "criterion": criterion.pk, "review_round": locked.review_round}
                    if before
                    else {},
                    after={**new, "criterion": criterion.pk, "review_round": locked.review_round},
                    municipality_id=locked.municipality_id,
                    application_id=locked.pk,
                )
            )
        audit.insert_rows(rows)
    return len(changes)


CRITERION_AUDITED = ["programme", "code", "text_el", "text_en", "order", "official", "active"]


def criterion_save(*, criterion: ChecklistCriterion, actor=None, channel=Channel.CODE, note=""):
    """Create or change a criterion (officers, in the admin; the reference data seeds them)."""
    return audit.save_with_audit(
        criterion, CRITERION_AUDITED, action="checklist_criterion", actor=actor, channel=channel, note=note
    )
