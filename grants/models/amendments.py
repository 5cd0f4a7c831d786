"""Amendments of an included operation («τροποποίηση»), the progress of its selected projects and
its indicators (issue 14). Records use `state`, not `status` (Application.status is the workflow's
alone); the API calls it status."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .programme import MONEY


class AmendmentState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("amendment status", "Requested")
    PROPOSED = "proposed", pgettext_lazy("amendment status", "Proposed")
    APPROVED = "approved", pgettext_lazy("amendment status", "Approved")
    REFUSED = "refused", pgettext_lazy("amendment status", "Refused")


OPEN_AMENDMENT_STATES = (AmendmentState.REQUESTED, AmendmentState.PROPOSED)


class Amendment(models.Model):
    """A requested change of an included operation's decision: its budget, its selected projects
    (the full new list) or its end date. Requested by the municipality or an officer, proposed by an
    officer, approved by an approver who did not propose it (four eyes, held by the database too) or
    refused. Approval applies it and writes the next DecisionVersion (grants.delivery.amendments)."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="amendments",
        verbose_name=_("application"),
    )
    state = models.CharField(
        _("status"), max_length=10, choices=AmendmentState.choices, default=AmendmentState.REQUESTED
    )
    justification = models.TextField(_("justification"))
    # None: unchanged. Selections are the full new list [{"project": code, "amount": "123.45"}, ...].
    budget = models.DecimalField(_("new budget"), **MONEY, null=True, blank=True)
    selections = models.JSONField(_("new selections"), null=True, blank=True)
    end_date = models.DateField(_("new expected end date"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refused by"),
    )
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    decision_ada = models.CharField(_("decision ΑΔΑ"), max_length=20, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    decision_version = models.OneToOneField(
        "grants.DecisionVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendment",
        verbose_name=_("decision version"),
    )

    class Meta:
        ordering = ["application", "requested_at", "id"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [
            # Four eyes, held by the database too: whoever proposed an amendment never approves it.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("proposed_by")),
                name="amendment_four_eyes",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="approved")
                | models.Q(
                    proposed_by__isnull=False,
                    approved_by__isnull=False,
                    decision_date__isnull=False,
                    decision_version__isnull=False,
                )
                & ~models.Q(decision_ada=""),
                name="amendment_approved_is_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(budget__isnull=False)
                | models.Q(selections__isnull=False)
                | models.Q(end_date__isnull=False),
                name="amendment_changes_something",
            ),
            models.CheckConstraint(
                condition=models.Q(budget__isnull=True) | models.Q(budget__gt=0), name="amendment_budget_gt_0"
            ),
            # One amendment in progress per operation: each is decided on the figures the last left.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state__in=["requested", "proposed"]),
                name="amendment_one_open_per_application",
            ),
        ]

    def __str__(self):
        return f"{self.application_id} #{self.pk}"


class ProgressStage(models.TextChoices):
    NOT_STARTED = "not_started", pgettext_lazy("project stage", "Not started")
    PROCUREMENT = "procurement", pgettext_lazy("project stage", "Procurement")
    CONTRACTED = "contracted", pgettext_lazy("project stage", "Contracted")
    IN_IMPLEMENTATION = "in_implementation", pgettext_lazy("project stage", "In implementation")
    COMPLETED = "completed", pgettext_lazy("project stage", "Completed")


# The date field each stage records when it is reached.
STAGE_DATE_FIELDS = {
    ProgressStage.PROCUREMENT: "procurement_on",
    ProgressStage.CONTRACTED: "contracted_on",
    ProgressStage.IN_IMPLEMENTATION: "implementation_on",
    ProgressStage.COMPLETED: "completed_on",
}


class ProjectProgress(models.Model):
    """Where one selected project of an operation stands, set by the municipality. A selected project
    without a row has not started."""

    application = models.ForeignKey(
        "grants.Application", on_delete=models.PROTECT, related_name="progress", verbose_name=_("application")
    )
    project = models.ForeignKey(
        "projects.CatalogueProject", on_delete=models.PROTECT, related_name="+", verbose_name=_("project")
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=ProgressStage.choices, default=ProgressStage.NOT_STARTED
    )
    procurement_on = models.DateField(_("procurement started on"), null=True, blank=True)
    contracted_on = models.DateField(_("contracted on"), null=True, blank=True)
    implementation_on = models.DateField(_("implementation started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["application", "project__code"]
        verbose_name = _("project progress")
        verbose_name_plural = _("project progress")
        constraints = [
            models.UniqueConstraint(fields=["application", "project"], name="progress_once_per_project"),
            models.CheckConstraint(
                condition=~models.Q(stage="completed") | models.Q(completed_on__isnull=False),
                name="progress_completed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.application_id} {self.project_id}: {self.stage}"


class Indicator(models.TextChoices):
    """The ERDF common indicators (Regulation (EU) 2021/1058, Annex I) the call uses."""

    RCO14 = (
        "RCO14",
        _("RCO14 — Public institutions supported to develop digital services, products and processes"),
    )
    RCR11 = "RCR11", _("RCR11 — Users of new and upgraded public digital services, products and processes")


class IndicatorTarget(models.Model):
    """The target an officer sets for one indicator of an operation, at inclusion."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="indicator_targets",
        verbose_name=_("application"),
    )
    code = models.CharField(_("indicator"), max_length=10, choices=Indicator.choices)
    target = models.PositiveBigIntegerField(_("target"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        ordering = ["application", "code"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="indicator_target_once"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.code}: {self.target}"


class IndicatorValue(models.Model):
    """An achieved value the municipality reports, as measured on a date, with its evidence. The
    latest measurement is the operation's achieved value; earlier ones stay as its history."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="indicator_values",
        verbose_name=_("application"),
    )
    code = models.CharField(_("indicator"), max_length=10, choices=Indicator.choices)
    achieved = models.PositiveBigIntegerField(_("achieved"))
    measured_on = models.DateField(_("measured on"))
    evidence = models.TextField(_("evidence"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        ordering = ["application", "code", "measured_on", "id"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        indexes = [models.Index(fields=["application", "code", "measured_on"], name="grants_indval_app_code")]

    def __str__(self):
        return f"{self.application_id} {self.code}: {self.achieved} ({self.measured_on})"
