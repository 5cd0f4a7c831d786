"""The work waiting for each person: the officers' and approvers' desk (the admin's home page), the
auditors' summary, and a municipality's to-dos (the portal's home page).

One place for each queue's rule: `QUEUES` defines which applications a queue holds, and both the desk's
counts and the admin list's «Work queue» filter apply it, so a count and the list it links to never
disagree. Everything starts from the scoping selector. Each desk is a fixed number of queries,
whatever the number of applications, messages or documents."""

import operator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce

from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import FirstValue
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import caps, documents, roles, selectors
from grants.models import (
    ApplicationStatus,
    Message,
    MessageSide,
    Programme,
)

S = ApplicationStatus
SHORT = 5  # rows in each short list


def _last_message_side():
    """The side of the application's latest message: «municipality» means the authority owes an answer."""
    latest = Message.objects.filter(application=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(latest.values("side")[:1])


def _answer_owed():
    """The applications whose latest message (the same order as _last_message_side) is the
    municipality's, from one pass over the messages: reading the latest message of each application
    apart, one probe and sort each, cost the desk more than the rest of it together."""
    if connection.vendor == "postgresql":
        # DISTINCT ON reads grants_message_latest_idx in its order, one row per application and no
        # sort; the window below sorted every message first (250 ms for 22,644 messages, against 20).
        return RawSQL(
            f"SELECT application_id FROM (SELECT DISTINCT ON (application_id) application_id, side"
            f" FROM {Message._meta.db_table} ORDER BY application_id, created_at DESC, id DESC) latest"
            " WHERE side = %s",
            (MessageSide.MUNICIPALITY.value,),
        )
    latest_side = Window(
        FirstValue("side"),
        partition_by=[F("application_id")],
        order_by=[F("created_at").desc(), F("id").desc()],
    )
    return (
        Message.objects.annotate(latest_side=latest_side)
        .filter(latest_side=MessageSide.MUNICIPALITY)
        .values("application_id")
    )


@dataclass(frozen=True)
class QueueRule:
    key: str
    label: str
    # q(user, today) -> Q over applications; `reads_messages` when it reads the messages (counted apart).
    q: object
    reads_messages: bool = False
    # Ordering of its short list: the oldest waiting first.
    order: tuple = ("submitted_at", "id")


QUEUES = {
    rule.key: rule
    for rule in [
        QueueRule(
            "submitted", gettext_lazy("Submitted, not yet taken"), lambda user, today: Q(status=S.SUBMITTED)
        ),
        QueueRule(
            "my_review",
            gettext_lazy("In my review"),
            lambda user, today: Q(status=S.UNDER_REVIEW, reviewer=user),
        ),
        QueueRule(
            "waiting",
            gettext_lazy("Waiting for the municipality"),
            lambda user, today: Q(status=S.RETURNED),
            # Overdue first: the earliest deadline first, those without one last.
            order=("response_due", "submitted_at", "id"),
        ),
        QueueRule(
            "overdue",
            gettext_lazy("Waiting for the municipality, overdue"),
            lambda user, today: Q(status=S.RETURNED, response_due__lt=today),
            order=("response_due", "id"),
        ),
        QueueRule(
            "to_approve",
            gettext_lazy("To approve, not proposed by me"),
            # Four eyes: what this approver proposed is someone else's to include.
            lambda user, today: Q(status=S.TO_BE_INCLUDED) & ~Q(proposed_by=user),
            order=("updated_at", "id"),
        ),
        QueueRule(
            "unanswered",
            gettext_lazy("Messages waiting for an answer"),
            # The latest message is the municipality's.
            lambda user, today: Q(pk__in=_answer_owed()),
            reads_messages=True,
            order=("municipality__name", "id"),
        ),
    ]
}
OFFICER_QUEUES = ("submitted", "my_review", "waiting", "unanswered")
APPROVER_QUEUES = ("to_approve",)

# From this many unanswered applications on, their short list walks the municipalities in name order
# and reads the latest message of each application it meets: it meets five of them within a few
# hundred rows. Below it, that walk could read most applications before it met five, so the list
# starts from the applications the queue's rule finds.
DENSE_UNANSWERED = 500


def in_queue(queryset, key: str, user):
    """`queryset` (applications) narrowed to the queue `key` for `user`: the admin list's filter."""
    return queryset.filter(QUEUES[key].q(user, timezone.localdate()))


@dataclass
class Queue:
    key: str
    label: str
    count: int
    items: list = field(default_factory=list)
    url: str = ""
    # Of the waiting ones, how many passed their deadline.
    overdue: int = 0


@dataclass
class Budget:
    programme: Programme
    committed: Decimal
    proposed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.programme.total_budget - self.committed

    @property
    def percent(self) -> int:
        total = self.programme.total_budget
        return min(100, int(self.committed * 100 / total)) if total > 0 else 0


@dataclass
class Desk:
    role: str  # "staff" (officer and/or approver) or "auditor"
    queues: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    budgets: list = field(default_factory=list)
    by_status: list = field(default_factory=list)  # (status, label, count), the auditors' summary
    today: object = None
    show_messages: bool = False


def _budgets(user) -> list[Budget]:
    applications = selectors.applications_for(user).order_by()
    # The programmes with an application (one index probe each), and the sums over only the
    # applications that hold money (a partial index on those statuses), not a join of every row.
    programmes = Programme.objects.filter(Exists(applications.filter(programme=OuterRef("pk"))))
    sums = {
        row["programme_id"]: row
        for row in applications.filter(status__in=[*caps.COMMITTED_STATUSES, S.TO_BE_INCLUDED])
        .values("programme_id")
        .annotate(committed=caps.committed_sum(), proposed=Sum("budget", filter=Q(status=S.TO_BE_INCLUDED)))
    }
    zero = Decimal("0.00")
    return [
        Budget(
            programme=p,
            committed=sums.get(p.pk, {}).get("committed", zero),
            proposed=sums.get(p.pk, {}).get("proposed") or zero,
        )
        for p in programmes.order_by("code")
    ]


def _queue_counts(user, today, keys) -> dict[str, int]:
    """Each queue's number of applications, by the rule its list filters with: one aggregate (a
    FILTER per queue) over the rows of some queue, which the partial indexes on the queues' statuses
    find without reading the other statuses; the queues that read the latest message counted apart,
    from the applications with messages."""
    applications = selectors.applications_for(user).order_by()
    by_status = [key for key in keys if not QUEUES[key].reads_messages]
    counts = {}
    if by_status:
        rules = {key: QUEUES[key].q(user, today) for key in by_status}
        counts = applications.filter(reduce(operator.or_, rules.values())).aggregate(
            **{key: Count("pk", filter=rule) for key, rule in rules.items()}
        )
    for key in keys:
        if QUEUES[key].reads_messages:
            counts[key] = in_queue(applications, key, user).count()
    return counts


def staff_desk(user) -> Desk | None:
    """The desk of an officer, an approver (or both); an auditor's read-only summary; None otherwise."""
    today = timezone.localdate()
    if not (roles.is_officer(user) or roles.is_approver(user)):
        return _auditor_summary(user, today) if roles.is_auditor(user) else None
    keys = (OFFICER_QUEUES if roles.is_officer(user) else ()) + (
        APPROVER_QUEUES if roles.is_approver(user) else ()
    )
    counts = _queue_counts(user, today, (*keys, "overdue") if "waiting" in keys else keys)
    desk = Desk(role="staff", today=today)
    for key in keys:
        rule = QUEUES[key]
        items = []
        if counts[key]:
            queue = in_queue(selectors.applications_for(user), key, user)
            if key == "unanswered" and counts[key] >= DENSE_UNANSWERED:
                # The same rows as the rule's: the latest message of each, by the same order.
                queue = selectors.applications_for(user).annotate(last_message_side=_last_message_side())
                queue = queue.filter(last_message_side=MessageSide.MUNICIPALITY)
            items = list(queue.order_by(*rule.order)[:SHORT])
        desk.queues.append(
            Queue(
                key=key,
                label=str(rule.label),
                count=counts[key],
                items=items,
                overdue=counts["overdue"] if key == "waiting" else 0,
            )
        )
    if roles.is_officer(user):
        desk.show_messages = True
        # The newest five found among the messages alone (their own selector scopes them), then joined
        # with their applications: joined first, the planner hashed every application before sorting.
        newest = (
            selectors.messages_for(user)
            .filter(side=MessageSide.MUNICIPALITY)
            .order_by("-created_at", "-id")
            .values("pk")[:SHORT]
        )
        desk.messages = list(
            Message.objects.filter(pk__in=newest)
            .select_related("application__municipality")
            .order_by("-created_at", "-id")
        )
    desk.budgets = _budgets(user)
    return desk


def _auditor_summary(user, today) -> Desk:
    counts = dict(selectors.applications_for(user).order_by().values_list("status").annotate(n=Count("pk")))
    return Desk(
        role="auditor",
        today=today,
        by_status=[(value, label, counts.get(value, 0)) for value, label in S.choices],
        budgets=_budgets(user),
    )


# --- the municipality's to-dos ------------------------------------------------------------------


@dataclass(frozen=True)
class Todo:
    kind: str  # "deadline", "documents", "question"
    text: str
    overdue: bool = False


EDITABLE = (S.DRAFT, S.RETURNED)


def municipality_todos(applications) -> dict[int, list[Todo]]:
    """What each of a municipality's `applications` (already scoped) waits for from it: the missing
    required documents while it may still attach them, the authority's questions not yet answered,
    and the response deadline of a return. Three queries, whatever the number of applications."""
    applications = list(applications)
    today = timezone.localdate()
    todos: dict[int, list[Todo]] = {a.pk: [] for a in applications}
    if not applications:
        return todos
    ids = [a.pk for a in applications]
    editable = [a for a in applications if a.status in EDITABLE]
    for app_id, missing in documents.missing_documents_of(editable).items():
        if missing:
            todos[app_id].append(
                Todo("documents", _("Attach the required documents: %(d)s.") % {"d": "; ".join(missing)})
            )
    last_own = dict(
        Message.objects.filter(application_id__in=ids, side=MessageSide.MUNICIPALITY)
        .values("application_id")
        .annotate(last=Max("created_at"))
        .values_list("application_id", "last")
    )
    asked = (
        Message.objects.filter(application_id__in=ids, side=MessageSide.AUTHORITY)
        .values("application_id")
        .annotate(n=Count("pk"), last=Max("created_at"))
    )
    for row in asked:
        answered_at = last_own.get(row["application_id"])
        if answered_at is None or answered_at < row["last"]:
            todos[row["application_id"]].append(
                Todo(
                    "question",
                    _("The managing authority wrote to you on %(d)s: answer in the application's messages.")
                    % {"d": timezone.localtime(row["last"]).strftime("%d/%m/%Y")},
                )
            )
    for app in applications:
        if app.status == S.RETURNED and app.response_due:
            overdue = app.response_due < today
            text = (
                _("The response deadline passed on %(d)s: correct the application and submit it again now.")
                if overdue
                else _("Correct the application and submit it again by %(d)s.")
            ) % {"d": app.response_due.strftime("%d/%m/%Y")}
            todos[app.pk].insert(0, Todo("deadline", text, overdue=overdue))
    return todos
