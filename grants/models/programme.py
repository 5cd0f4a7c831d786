from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.formatting import format_date
from grants.models.geography import RegionCategory

MONEY = {"max_digits": 14, "decimal_places": 2}
# Region category → the programme's field holding its Union co-financing rate.
COFINANCING_FIELDS = {
    RegionCategory.LESS_DEVELOPED: "cofinancing_less_developed",
    RegionCategory.TRANSITION: "cofinancing_transition",
}


def _dmy(day) -> str:
    # dd/mm/yyyy in every language, as everywhere else on the site.
    return format_date(day)


class CensusYear(models.IntegerChoices):
    Y2011 = 2011, "2011"
    Y2021 = 2021, "2021"


@dataclass(frozen=True)
class CapBreakdown:
    """How a cap was derived, so that screens can show the arithmetic, not just the figure."""

    population: int
    census_year: int
    rate: Decimal
    raw: Decimal
    rounded: Decimal
    floor: Decimal
    rule_cap: Decimal
    override: Decimal | None
    override_reason: str
    cap: Decimal


class Programme(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=300)
    fund = models.CharField(_("fund"), max_length=40, default="ERDF")
    managing_authority = models.CharField(_("managing authority"), max_length=300)
    call_code = models.CharField(_("call code"), max_length=60, blank=True)
    call_date = models.DateField(_("call issued"), null=True, blank=True)
    total_budget = models.DecimalField(_("total budget"), **MONEY)
    cap_rate = models.DecimalField(
        _("cap: amount per inhabitant"), max_digits=8, decimal_places=2, default=Decimal("27.90")
    )
    cap_rounding_step = models.DecimalField(
        _("cap: rounded up to a multiple of"), **MONEY, default=Decimal("10000.00")
    )
    cap_floor = models.DecimalField(_("cap: minimum"), **MONEY, default=Decimal("210000.00"))
    cap_census_year = models.PositiveSmallIntegerField(
        _("cap: census year"), choices=CensusYear.choices, default=CensusYear.Y2011
    )
    min_projects = models.PositiveSmallIntegerField(_("minimum projects"), default=1)
    max_projects = models.PositiveSmallIntegerField(_("maximum projects"), default=38)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    response_days = models.PositiveSmallIntegerField(
        _("days to answer a return"),
        default=15,
        help_text=_("The default response deadline of a return for corrections, in days from the return."),
    )
    # The officers' target for deciding an application, counted from its submission.
    review_days = models.PositiveSmallIntegerField(
        _("review target (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Days from submission within which the officers aim to decide."),
    )
    # The Union's share of eligible cost, by the category of the operation's region. Defaults are the
    # ceilings of Regulation (EU) 2021/1060, art. 112(3); a programme may set lower rates.
    cofinancing_less_developed = models.DecimalField(
        _("Union co-financing rate, less developed regions"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.85"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A fraction: 0.85 is 85%."),
    )
    cofinancing_transition = models.DecimalField(
        _("Union co-financing rate, transition regions"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.70"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A fraction: 0.70 is 70%."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_budget__gte=0), name="programme_total_budget_gte_0"
            ),
            models.CheckConstraint(condition=models.Q(cap_rate__gte=0), name="programme_rate_gte_0"),
            models.CheckConstraint(condition=models.Q(cap_rounding_step__gt=0), name="programme_step_gt_0"),
            models.CheckConstraint(condition=models.Q(cap_floor__gte=0), name="programme_floor_gte_0"),
            models.CheckConstraint(
                condition=models.Q(min_projects__lte=models.F("max_projects")),
                name="programme_min_lte_max_projects",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_on__isnull=True)
                | models.Q(closes_on__isnull=True)
                | models.Q(opens_on__lte=models.F("closes_on")),
                name="programme_opens_before_closes",
                violation_error_message=_("The call cannot close before it opens."),
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__gte": 0, f"{name}__lte": 1}), name=f"programme_{name}_0_1"
                )
                for name in ("cofinancing_less_developed", "cofinancing_transition")
            ],
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.opens_on and self.closes_on and self.opens_on > self.closes_on:
            raise ValidationError(
                {
                    "closes_on": _("The call cannot close before it opens (on %(d)s).")
                    % {"d": _dmy(self.opens_on)}
                }
            )

    def is_open(self, on=None) -> bool:
        return not self.closed_reason(on)

    def closed_reason(self, on=None) -> str:
        """Why the call is not open on `on` (default today): not open yet, or closed, with the date;
        "" while it is open. The one wording of both cases for the workflow and the services."""
        today = on or timezone.localdate()
        if self.opens_on and today < self.opens_on:
            return str(_("The call is not open yet: it opens on %(d)s.") % {"d": _dmy(self.opens_on)})
        if self.closes_on and today > self.closes_on:
            return str(_("The call is closed: it closed on %(d)s.") % {"d": _dmy(self.closes_on)})
        return ""

    def cap_breakdown(self, municipality, override=...) -> CapBreakdown:
        """The cap rule of grants/data/SOURCES.md (inferred from published figures):
        max(floor, rate × population rounded up to the next step), unless overridden.

        `override` may be passed by callers that already loaded it (lists), to avoid a query per row.
        """
        if override is ...:
            override = self.cap_overrides.filter(municipality=municipality).first()
        population = (
            municipality.population_2021
            if self.cap_census_year == CensusYear.Y2021
            else municipality.population_2011
        )
        raw = self.cap_rate * population
        step = self.cap_rounding_step
        rounded = (raw / step).to_integral_value(rounding=ROUND_CEILING) * step
        rule_cap = max(self.cap_floor, rounded).quantize(Decimal("0.01"))
        cap = override.amount if override is not None else rule_cap
        return CapBreakdown(
            population=population,
            census_year=self.cap_census_year,
            rate=self.cap_rate,
            raw=raw.quantize(Decimal("0.01")),
            rounded=rounded.quantize(Decimal("0.01")),
            floor=self.cap_floor,
            rule_cap=rule_cap,
            override=override.amount if override is not None else None,
            override_reason=override.reason if override is not None else "",
            cap=cap,
        )

    def cap_for(self, municipality, override=...) -> Decimal:
        """The only place a municipality's cap is computed."""
        return self.cap_breakdown(municipality, override=override).cap

    def cap_cents_expression(self, prefix: str = "") -> models.Func | None:
        """cap_breakdown's rule (no override) in cents, as a bigint expression over municipalities:
        integer arithmetic, four times cheaper than numeric over 100,000 rows (the caps report's
        totals). Exact, since the rate, the step and the minimum are whole cents and the population
        a whole number: rounding up to a step is (raw + step - 1) / step * step in integers. None
        when a parameter is not whole cents (an unsaved programme): then only cap_expression holds."""
        from django.db.models.functions import Cast, Greatest

        whole = [value * 100 for value in (self.cap_rate, self.cap_rounding_step, self.cap_floor)]
        if any(value != value.to_integral_value() for value in whole):
            return None
        rate, step, floor = (int(value) for value in whole)
        big = models.BigIntegerField()
        year = "2021" if self.cap_census_year == CensusYear.Y2021 else "2011"
        raw = Cast(models.F(f"{prefix}population_{year}"), big) * models.Value(rate, output_field=big)
        rounded = models.ExpressionWrapper(
            (raw + models.Value(step - 1, output_field=big))
            / models.Value(step, output_field=big)
            * models.Value(step, output_field=big),
            output_field=big,
        )
        return Greatest(models.Value(floor, output_field=big), rounded, output_field=big)

    def cap_expression(self, prefix: str = "", *, overrides: bool = True) -> models.Func:
        """cap_breakdown's rule as a database expression over municipalities (`prefix` reaches the
        municipality through a relation, "x__"); `overrides=False` leaves overrides out (the rule
        alone). The caps report adds up 100,000 caps in one query.
        tests/test_cap_rule.py holds it equal to cap_for for every municipality of the registry."""
        from django.db.models.functions import Coalesce

        parts = self.cap_breakdown_expressions(prefix)
        if not overrides:  # the rule alone
            return parts["rule_cap"]
        return Coalesce(parts["override"], parts["rule_cap"], output_field=models.DecimalField(**MONEY))

    def cap_breakdown_expressions(self, prefix: str = "") -> dict:
        """cap_breakdown's figures as database expressions (cap_expression's parts): population,
        rate, raw, rounded, floor, rule_cap, and the override's amount (NULL without one).
        Each has cap_breakdown's value and decimal places, since the rate is whole cents: the caps
        download is written by COPY from them (tests/test_report_caps.py holds it equal to the CSV
        written from cap_breakdown)."""
        from django.db.models.functions import Ceil, Greatest

        money = models.DecimalField(**MONEY)
        year = "2021" if self.cap_census_year == CensusYear.Y2021 else "2011"
        population = models.F(f"{prefix}population_{year}")
        rate = models.Value(self.cap_rate, output_field=money)
        step = models.Value(self.cap_rounding_step, output_field=money)
        floor = models.Value(self.cap_floor, output_field=money)
        raw = models.ExpressionWrapper(rate * population, output_field=money)
        rounded = models.ExpressionWrapper(Ceil(raw / step) * step, output_field=money)
        override = CapOverride.objects.filter(programme=self, municipality=models.OuterRef(f"{prefix}pk"))
        return {
            "population": population,
            "rate": rate,
            "raw": raw,
            "rounded": rounded,
            "floor": floor,
            "rule_cap": Greatest(floor, rounded, output_field=money),
            "override": models.Subquery(override.values("amount")[:1], output_field=money),
        }

    def cofinancing_rate(self, region_category) -> Decimal:
        return getattr(self, COFINANCING_FIELDS[region_category])


class CapOverride(models.Model):
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="cap_overrides",
        verbose_name=_("programme"),
    )
    municipality = models.ForeignKey(
        "grants.Municipality",
        on_delete=models.PROTECT,
        related_name="cap_overrides",
        verbose_name=_("municipality"),
    )
    amount = models.DecimalField(_("cap"), **MONEY, validators=[MinValueValidator(0)])
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("cap override")
        verbose_name_plural = _("cap overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "municipality"], name="cap_override_once_per_municipality"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="cap_override_gte_0"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="cap_override_has_reason"),
        ]

    def __str__(self):
        return f"{self.municipality}: {self.amount}"
