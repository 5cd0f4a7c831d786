from django.conf import settings
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from grants.text import fold


class RegionCategory(models.TextChoices):
    # The category drives the co-financing rate (grants/data/SOURCES.md).
    TRANSITION = "transition", _("Transition")
    LESS_DEVELOPED = "less_developed", _("Less developed")


class Region(models.Model):
    code = models.CharField(_("NUTS2 code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=RegionCategory.choices)
    population_2021 = models.PositiveIntegerField(_("population 2021"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name


class RegionalUnit(models.Model):
    # The first two digits of an ELSTAT municipality code in Greece; elsewhere a NUTS3 code (5 characters).
    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="regional_units", verbose_name=_("region")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("regional unit")
        verbose_name_plural = _("regional units")

    def __str__(self):
        return self.name


def validate_email_lines(value):
    for line in value.splitlines():
        if line.strip():
            validate_email(line.strip())


class Municipality(models.Model):
    # Four digits in Greece (ELSTAT); up to 12 characters for a LAU code elsewhere in the EU.
    elstat_code = models.CharField(_("ELSTAT code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=150, help_text=_("As published, e.g. ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"))
    # Folded copy of the name for case- and accent-insensitive search (see grants.text).
    search_key = models.CharField(max_length=150, editable=False, db_index=True, default="")
    regional_unit = models.ForeignKey(
        RegionalUnit,
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("regional unit"),
    )
    population_2011 = models.PositiveIntegerField(_("population 2011"))
    population_2021 = models.PositiveIntegerField(_("population 2021"))
    eligible = models.BooleanField(
        _("eligible by rule"),
        default=False,
        help_text=_("Under 100,000 inhabitants in 2011 and not funded by another instrument."),
    )
    eligibility_override = models.BooleanField(
        _("eligibility override"),
        null=True,
        blank=True,
        help_text=_("Set only to depart from the rule; a reason is required."),
    )
    eligibility_override_reason = models.TextField(_("reason for the override"), blank=True)
    contact_emails = models.TextField(
        _("contact e-mails"),
        blank=True,
        validators=[validate_email_lines],
        help_text=_("One address per line."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        # Lists are ordered by name (the municipality's own, and applications by municipality):
        # with this index a page of 100,000 is read in order instead of sorted. It carries what a
        # search tests (the folded key, the code) and the id a join needs, so that a search's page is
        # found in name order from the index alone, without visiting the rows that do not match.
        indexes = [
            models.Index(
                fields=["name"],
                include=["id", "search_key", "elstat_code"],
                name="municipality_name_search_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(eligibility_override__isnull=True)
                | ~models.Q(eligibility_override_reason=""),
                name="municipality_override_has_reason",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A derived index column, kept with its source so that no write path can forget it.
        self.search_key = fold(self.name)
        super().save(*args, **kwargs)

    @property
    def is_eligible(self) -> bool:
        if self.eligibility_override is not None:
            return self.eligibility_override
        return self.eligible

    @property
    def contact_email_list(self) -> list[str]:
        return [line.strip() for line in self.contact_emails.splitlines() if line.strip()]


class MunicipalityAccount(models.Model):
    """Ties a portal/API user to exactly one municipality: scoping is by this relation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="municipality_account",
        verbose_name=_("user"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("municipality"),
    )

    class Meta:
        verbose_name = _("municipality account")
        verbose_name_plural = _("municipality accounts")

    def __str__(self):
        return f"{self.user} → {self.municipality}"
