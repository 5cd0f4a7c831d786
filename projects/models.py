from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grants.formatting import format_eur
from grants.models.programme import MONEY
from grants.text import fold


class Category(models.Model):
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    title_el = models.CharField(_("title (Greek)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)

    class Meta:
        ordering = ["order"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.title

    @property
    def title(self):
        return self.title_en if (get_language() or "el").startswith("en") else self.title_el


class CatalogueProject(models.Model):
    code = models.CharField(
        _("code"), max_length=20, unique=True, help_text=_("Stable: imports match on it.")
    )
    title_el = models.CharField(_("title (Greek)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="projects", verbose_name=_("category")
    )
    description = models.TextField(_("description"), blank=True)
    official = models.BooleanField(
        _("official title"),
        default=False,
        help_text=_("Confirmed from a published source; otherwise an illustrative entry."),
    )
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    # Folded Greek and English titles for case- and accent-insensitive search (see grants.text).
    search_key = models.CharField(max_length=700, editable=False, default="")

    class Meta:
        ordering = ["category__order", "code"]
        verbose_name = _("catalogue project")
        verbose_name_plural = _("catalogue projects")

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        self.search_key = fold(f"{self.code} {self.title_el} {self.title_en}")
        super().save(*args, **kwargs)

    @property
    def title(self):
        return self.title_en if (get_language() or "el").startswith("en") else self.title_el


class Selection(models.Model):
    """A catalogue project chosen by an application, with its amount. Written only through
    projects.services, which holds the cap under a row lock."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="selections",
        verbose_name=_("application"),
    )
    project = models.ForeignKey(
        CatalogueProject,
        on_delete=models.PROTECT,
        related_name="selections",
        verbose_name=_("project"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    justification = models.TextField(_("justification"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["project__category__order", "project__code"]
        verbose_name = _("selection")
        verbose_name_plural = _("selections")
        constraints = [
            models.UniqueConstraint(fields=["application", "project"], name="selection_once_per_application"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="selection_amount_gte_0"),
        ]

    def __str__(self):
        return f"{self.project.code}: {format_eur(self.amount)}"
