from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PreparedImportState(models.TextChoices):
    """Where a prepared import stands (a «state», so that nothing but the workflow has a «status»)."""

    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    # Never to be confirmed: the data changed since it was prepared, or the same list was prepared again.
    SUPERSEDED = "superseded", _("Superseded")


class PreparedImport(models.Model):
    """A published list checked by one person and kept, exactly as read, until it is confirmed.

    Stored here, not in the preparer's session, because a list that includes, changes or de-includes
    operations is confirmed by an approver other than the preparer, from the approver's own session
    (grants.imports.prepared). `content_hash` is the SHA-256 of `content`; `preview_hash` the digest of
    what the preview said would be written (every row's municipality, status before and after, budget,
    date, outcome and warnings): the confirm writes only if the same list still gives the same digest."""

    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        related_name="prepared_imports",
        verbose_name=_("programme"),
    )
    source = models.CharField(_("source"), max_length=255)
    format = models.CharField(_("format"), max_length=10)
    content = models.BinaryField(_("content"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    preview_hash = models.CharField(_("preview hash (SHA-256)"), max_length=64)
    summary = models.JSONField(_("summary"), default=dict)
    needs_approval = models.BooleanField(_("needs an approver"))
    state = models.CharField(
        _("state"), max_length=12, choices=PreparedImportState.choices, default=PreparedImportState.PENDING
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(_("prepared at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed or cancelled by"),
    )
    decided_at = models.DateTimeField(_("confirmed or cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("prepared import")
        verbose_name_plural = _("prepared imports")
        ordering = ["-prepared_at", "-id"]
        constraints = [
            # Four eyes, held by the database too: an import that needs an approver is never
            # confirmed by the person who prepared it.
            models.CheckConstraint(
                condition=~models.Q(
                    state=PreparedImportState.CONFIRMED,
                    needs_approval=True,
                    decided_by=models.F("prepared_by"),
                ),
                name="prepared_import_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["state", "programme"], name="prepared_import_state")]

    def __str__(self):
        return f"{self.source} ({timezone.localtime(self.prepared_at):%d/%m/%Y %H:%M})"
