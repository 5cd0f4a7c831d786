"""Exports too big to build inside a web request: built by a worker, kept in private storage for a
week, downloaded only by the user who asked for them (grants.exports)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long a finished file is kept; then the beat task deletes it and its job.
EXPORT_KEEP = datetime.timedelta(days=7)


def default_expiry():
    return timezone.now() + EXPORT_KEEP


class ExportState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("owner"),
    )
    report = models.CharField(_("report"), max_length=40)
    format = models.CharField(_("format"), max_length=8)
    # The report's filters as {name: [values]} (a query string's shape), re-read by its FilterSet.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8)
    channel = models.CharField(_("channel"), max_length=10)
    # "state", not "status": Application.status is written by the workflow alone, and the scan that
    # holds that (tests/test_status_writers.py) reads every `.status =` in the code. The API calls it status.
    state = models.CharField(
        _("status"), max_length=10, choices=ExportState.choices, default=ExportState.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # The file's name in the "private" storage (grants.exports.services.private_storage), looked up
    # at each use rather than bound to the field when the model loads, so settings choose it.
    file = models.CharField(_("file"), max_length=300, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), default=default_expiry, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["owner", "-created_at"], name="grants_export_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ExportState.values), name="grants_export_state_valid"
            )
        ]

    def __str__(self):
        return f"{self.report}.{self.format} #{self.pk}"

    @property
    def filename(self) -> str:
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"{self.report}-{stamp}.{self.format}"

    @property
    def in_progress(self) -> bool:
        return self.state in (ExportState.PENDING, ExportState.RUNNING)
