from django.db import models
from django.utils.translation import gettext_lazy as _


class SelectionSummary(models.Model):
    """How many applications of a programme, in a status, chose a catalogue project, and for how
    much: the popularity report and the dashboard read these few hundred rows instead of a million
    selections. Kept by PostgreSQL itself (statement triggers on selections and on applications'
    status and programme, migration 0012), so rows written by any path — the services, an import,
    COPY or plain SQL — are counted; never written by the application. SQLite (the demo) has no
    triggers: there the reports count the selections themselves (grants.reports.aggregates)."""

    programme = models.ForeignKey(
        "grants.Programme", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    status = models.CharField(max_length=20)
    project = models.ForeignKey(
        "projects.CatalogueProject", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    applications = models.IntegerField(_("applications"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("selection summary")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["programme", "status", "project"], name="selection_summary_key")
        ]

    def __str__(self):
        return f"{self.programme_id}/{self.status}/{self.project_id}: {self.applications}"


class AbsorptionSummary(models.Model):
    """An operation's money (grants.delivery.absorption): contracted, declared (not rejected), verified
    (accepted amounts) and paid (authorised payments), one row per application, so that the absorption
    report, its API and the totals join one row per operation instead of summing three tables. Kept
    by PostgreSQL itself (statement triggers on contracts, declarations and payments, migration 0024),
    so rows written by any path — the services, COPY or plain SQL — are summed; never written by the
    application. SQLite (the demo) has no triggers: there the figures are summed from the tables."""

    application = models.OneToOneField(
        "grants.Application",
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="absorption",
        db_constraint=False,
    )
    contracted = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    declared = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    verified = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("absorption summary")
        default_permissions = ()

    def __str__(self):
        return f"{self.application_id}: {self.contracted}/{self.declared}/{self.verified}/{self.paid}"


class AbsorptionMonth(models.Model):
    """The money that flowed in a month, per programme and application status: contracts by signature,
    declarations when declared, verifications when verified, authorised payments when paid (months in
    settings.TIME_ZONE, as TruncMonth reads them). The dashboard's absorption timeline reads these few
    rows instead of every contract, declaration and payment. Kept by PostgreSQL (migration 0024): the
    money tables' triggers add and subtract whole statements, and an application that changes status or
    programme moves its money between rows, as for SelectionSummary. A month is NULL where its date is
    (a verified declaration without a verification time), as TruncMonth reads it."""

    programme = models.ForeignKey(
        "grants.Programme", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    status = models.CharField(max_length=20)
    month = models.DateField(null=True)
    # How many records (contracts, declarations when declared and when verified, payments) flowed:
    # a month whose records were all deleted is no month, even with an amount of zero.
    records = models.IntegerField(default=0)
    contracted = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    declared = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    verified = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("absorption month")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "status", "month"], name="absorption_month_key", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.programme_id}/{self.status}/{self.month}"


class ApplicationSummary(models.Model):
    """How many applications of a programme, in a status, in a regional unit, and their budgets: the
    budgets report and its API read these few thousand rows instead of joining every application to
    its municipality (100,000 at EU scale). Kept by PostgreSQL (migration 0024): statement triggers on
    applications (insert, delete, a change of programme, status, budget or municipality) and on
    municipalities that move to another regional unit. Regions are read through the regional unit, so
    a regional unit that moves region moves nothing here. Never written by the application; SQLite (the
    demo) has no triggers, and its reports count the applications themselves."""

    programme = models.ForeignKey(
        "grants.Programme", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    status = models.CharField(max_length=20)
    regional_unit = models.ForeignKey(
        "grants.RegionalUnit", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    applications = models.IntegerField(default=0)
    budget = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    # The absorption report's figures (grants.delivery.absorption) of these applications: the budget
    # as included (version 1's, else the budget) and their AbsorptionSummary rows added up (migration
    # 0028), so that its totals and its regions and programmes are read here too.
    included_budget = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    contracted = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    declared = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    verified = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("application summary")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "status", "regional_unit"], name="application_summary_key"
            )
        ]

    def __str__(self):
        return f"{self.programme_id}/{self.status}/{self.regional_unit_id}: {self.applications}"


class IndicatorSummary(models.Model):
    """The indicators' targets and latest achieved values (grants.delivery.indicators) added up per
    programme, regional unit and indicator, with how many targets and latest values there are: the
    staff's indicator totals read these few thousand rows instead of joining every operation to its
    municipality. Kept by PostgreSQL (migration 0029): statement triggers on targets, on values (the
    latest measurement of each operation and indicator, before and after the statement), on
    applications (inserted, deleted, another programme or municipality) and on municipalities that
    move to another regional unit. Never written by the application; SQLite has no triggers."""

    programme = models.ForeignKey(
        "grants.Programme", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    regional_unit = models.ForeignKey(
        "grants.RegionalUnit", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    code = models.CharField(max_length=10)
    # Targets and latest values counted: a group is shown while it has one, even at zero.
    records = models.IntegerField(default=0)
    target = models.BigIntegerField(default=0)
    achieved = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator summary")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "regional_unit", "code"], name="indicator_summary_key"
            )
        ]

    def __str__(self):
        return f"{self.programme_id}/{self.regional_unit_id}/{self.code}: {self.target}/{self.achieved}"
