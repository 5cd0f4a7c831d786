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
