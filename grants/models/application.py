from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .programme import MONEY


class ApplicationStatus(models.TextChoices):
    # The Greek catalogue maps these English labels to the published terms («Ενταγμένη» …).
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for corrections")
    TO_BE_INCLUDED = "to_be_included", _("To be included")
    INCLUDED = "included", _("Included")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DEINCLUDED = "deincluded", _("De-included")
    # Issue 14: the approver's `complete` action, once every project is completed and the final
    # declaration verified.
    COMPLETED = "completed", _("Completed")


# An application in one of these statuses no longer holds any part of its municipality's cap.
RELEASED_STATUSES = (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN, ApplicationStatus.DEINCLUDED)


def committed_to_cap(prefix: str = "") -> models.Case:
    """How much of its municipality's cap an application holds, as a database expression: its
    budget (the selections' total while they are editable, the decided budget after a decision,
    which may come with no selections at all), nothing once rejected, withdrawn or de-included.
    The remaining of a cap is the cap less this; the admin's list and the caps report both read it
    here, so they never disagree. `prefix` reaches the application through a relation ("x__")."""
    return models.Case(
        models.When(**{f"{prefix}status__in": RELEASED_STATUSES}, then=models.Value(Decimal("0.00"))),
        default=models.F(f"{prefix}budget"),
        output_field=models.DecimalField(**MONEY),
    )


# The statuses of the applications that wait for staff (the desks' queues) and of those holding money.
QUEUE_STATUSES = [
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.RETURNED,
    ApplicationStatus.TO_BE_INCLUDED,
]
MONEY_STATUSES = [ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED, ApplicationStatus.TO_BE_INCLUDED]


class Application(models.Model):
    """A municipality's application (πράξη) to a programme. Status is written only by the workflow:
    grants.workflow.transition, and its batch form for imported decisions (grants.workflow_batch);
    selections only by projects.services."""

    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("programme"),
        # The unique (programme, municipality) index already serves lookups by programme; a second
        # index would only slow every insert (an import writes 100,000 applications).
        db_index=False,
    )
    municipality = models.ForeignKey(
        "grants.Municipality",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("municipality"),
        # Indexed by application_municipality_idx below, which also carries what a search's totals sum.
        db_index=False,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    # A Decimal, not 0: the default is what the audit trail records for a new application (as "0.00").
    budget = models.DecimalField(_("budget"), **MONEY, default=Decimal("0.00"))
    inclusion_date = models.DateField(_("inclusion date"), null=True, blank=True)
    # The inclusion decision sets when the operation is to be completed; the open-data list publishes it.
    end_date = models.DateField(_("expected end date"), null=True, blank=True)
    decision_ada = models.CharField(_("decision ΑΔΑ"), max_length=20, blank=True)
    mis_code = models.CharField(_("MIS code"), max_length=20, blank=True)
    deinclusion_ada = models.CharField(_("de-inclusion ΑΔΑ"), max_length=20, blank=True)
    # Issue 14: the approver's completion decision («Ολοκληρωμένη»).
    completion_ada = models.CharField(_("completion ΑΔΑ"), max_length=20, blank=True)
    completion_date = models.DateField(_("completion date"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inclusion proposed by"),
        help_text=_("Kept so that the same person can never also include (four eyes)."),
    )
    # Who took the review (start_review) and how many reviews there have been: the officers' desk
    # lists "in my review" by it, and each review answers the evaluation checklist afresh.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    review_round = models.PositiveSmallIntegerField(_("review round"), default=0)
    # Set by a return for corrections (the officer's deadline for the municipality's answer), cleared
    # when the application is submitted again.
    response_due = models.DateField(_("response deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The officers' review target, set at each submission from Programme.review_days.
    review_due = models.DateField(_("review due"), null=True, blank=True)
    submission_hash = models.CharField(_("submission hash"), max_length=64, blank=True)
    # Incremented on every write through a service: the API answers 409 to a stale update.
    version = models.PositiveIntegerField(_("version"), default=1)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["municipality__name"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "municipality"], name="application_once_per_municipality"
            ),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="application_budget_gte_0"),
        ]
        # Status is always asked within a programme; (programme, status) serves that, and a status-only
        # index (with Django's LIKE twin) would be two more entries per write.
        indexes = [
            models.Index(fields=["programme", "status"]),
            # The desks' work queues (grants.desk) at 100,000 applications: partial indexes hold only
            # the rows of the statuses a queue reads, so their counts and their oldest-first short
            # lists never read the rest. Each matches a queue's filter and order.
            models.Index(
                fields=["status", "reviewer", "proposed_by", "response_due"],
                include=["id"],
                condition=models.Q(status__in=QUEUE_STATUSES),
                name="application_queues_idx",
            ),
            models.Index(
                fields=["submitted_at", "id"],
                condition=models.Q(status=ApplicationStatus.SUBMITTED),
                name="application_submitted_idx",
            ),
            models.Index(
                fields=["reviewer", "submitted_at", "id"],
                condition=models.Q(status=ApplicationStatus.UNDER_REVIEW),
                name="application_in_review_idx",
            ),
            models.Index(
                fields=["response_due", "submitted_at", "id"],
                condition=models.Q(status=ApplicationStatus.RETURNED),
                name="application_returned_idx",
            ),
            models.Index(
                fields=["updated_at", "id"],
                condition=models.Q(status=ApplicationStatus.TO_BE_INCLUDED),
                name="application_to_approve_idx",
            ),
            # An application by its municipality (the foreign key's index), carrying what the list's
            # totals sum and count: a search for a common word (20,000 municipalities) sums their
            # applications from this index instead of reading the table.
            models.Index(
                fields=["municipality"],
                include=["id", "status", "budget"],
                name="application_municipality_idx",
            ),
            # The committed and proposed sums per programme (the desk's budgets) from the index alone.
            models.Index(
                fields=["programme", "status"],
                include=["budget"],
                condition=models.Q(status__in=MONEY_STATUSES),
                name="application_money_idx",
            ),
            # The absorption report's operations (included or completed, a fifth of them) by their
            # municipality, with what a page of them shows, read from the index alone: the page is
            # ordered by the municipality's name, so every operation is joined to it first.
            models.Index(
                fields=["municipality"],
                include=["id", "mis_code", "budget"],
                condition=models.Q(status__in=[ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED]),
                name="application_operations_idx",
            ),
        ]

    def __str__(self):
        return f"{self.municipality} — {self.programme.code}"

    def get_status_display(self) -> str:
        # Django's builds a dict of every choice, made hashable, on each call: 0.15-0.4 ms, which a
        # list of 100 applications (the admin's, the API's) paid per row.
        try:
            return str(ApplicationStatus(self.status).label)
        except ValueError:
            return self.status

    @property
    def tracking_number(self) -> str:
        return f"SC-{self.programme_id:02d}-{self.pk:06d}" if self.pk else ""
