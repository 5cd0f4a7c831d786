"""Registry admin: regions, regional units and municipalities (with their caps and eligibility).
The programme is in programme.py, municipality accounts in accounts.py."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import services
from grants.amounts import AmountField
from grants.filters import MunicipalityFilterSet
from grants.formatting import EMPTY, eur, format_int
from grants.models import (
    Application,
    ApplicationStatus,
    CapOverride,
    Channel,
    Municipality,
    Programme,
    Region,
    RegionalUnit,
)

from .common import (
    AutocompleteFilter,
    FastActionCheckboxMixin,
    FoldedSearchMixin,
    ReadOnlyAdminMixin,
    current_programme,
)
from .exports import export_actions


def int_gr(value) -> str:
    return format_int(value) if value is not None else EMPTY


def rate_gr(value) -> str:
    return f"{value:.2f}".replace(".", ",") + " €"


@admin.register(Region)
class RegionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "category", "population_2021")
    list_filter = ("category",)
    search_fields = ("name", "code")


@admin.register(RegionalUnit)
class RegionalUnitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("name", "code")


class EffectiveEligibilityFilter(admin.SimpleListFilter):
    title = _("eligible (with override)")
    parameter_name = "is_eligible"

    def lookups(self, request, model_admin):
        return [("1", _("Yes")), ("0", _("No")), ("override", _("Overridden"))]

    def queryset(self, request, queryset):
        eligible = Q(eligibility_override=True) | Q(eligibility_override__isnull=True, eligible=True)
        if self.value() == "1":
            return queryset.filter(eligible)
        if self.value() == "0":
            return queryset.exclude(eligible)
        if self.value() == "override":
            return queryset.filter(eligibility_override__isnull=False)
        return queryset


class MunicipalityApplicationStatusFilter(admin.SimpleListFilter):
    """Status of the municipality's application in the current programme, or none yet."""

    title = _("status of application")
    parameter_name = "application_status"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [(self.NONE, _("No application")), *ApplicationStatus.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        programme = current_programme(request)
        apps = Application.objects.filter(programme=programme)
        if value == self.NONE:
            return queryset.exclude(pk__in=apps.values("municipality_id"))
        return queryset.filter(pk__in=apps.filter(status=value).values("municipality_id"))


class MunicipalityForm(forms.ModelForm):
    """The registry fields plus the cap override, which lives in its own table and has its own
    audited service: saving the form calls both services, never Model.save()."""

    # Typed the Greek way («2.100.000,00») like every other amount; AmountField refuses negatives.
    cap_override_amount = AmountField(label=_("cap override (€)"), required=False)
    cap_override_reason = forms.CharField(
        label=_("reason for the cap override"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cap_override_clear = forms.BooleanField(label=_("remove the cap override"), required=False)

    programme = None  # set by MunicipalityAdmin.get_form

    class Meta:
        model = Municipality
        fields = tuple(services.MUNICIPALITY_AUDITED)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_override = None
        if self.instance.pk and self.programme is not None:
            self.existing_override = CapOverride.objects.filter(
                programme=self.programme, municipality=self.instance
            ).first()
        if self.existing_override is not None:
            self.fields["cap_override_amount"].initial = self.existing_override.amount
            self.fields["cap_override_reason"].initial = self.existing_override.reason

    def clean(self):
        data = super().clean()
        if (
            data.get("eligibility_override") is not None
            and not (data.get("eligibility_override_reason") or "").strip()
        ):
            self.add_error("eligibility_override_reason", gettext("An eligibility override needs a reason."))
        if self.cap_override_requested() is not None and not (data.get("cap_override_reason") or "").strip():
            self.add_error("cap_override_reason", gettext("A cap override needs a reason."))
        return data

    def cap_override_requested(self):
        """('set', amount) / ('clear', None) when the officer changed the override, else None."""
        data = self.cleaned_data
        existing = self.existing_override
        if data.get("cap_override_clear"):
            return ("clear", None) if existing is not None else None
        amount = data.get("cap_override_amount")
        if amount is None:
            return None
        reason = (data.get("cap_override_reason") or "").strip()
        if existing is not None and existing.amount == amount and existing.reason == reason:
            return None
        return ("set", amount)


@admin.register(Municipality)
class MunicipalityAdmin(FastActionCheckboxMixin, FoldedSearchMixin, admin.ModelAdmin):
    form = MunicipalityForm
    list_display = (
        "name",
        "elstat_code",
        "regional_unit",
        "region",
        "population_2011_col",
        "eligibility_col",
        "cap_col",
        "application_col",
    )
    list_filter = (
        # Chosen as typed: hundreds of regions and a thousand regional units at EU scale.
        ("regional_unit__region", AutocompleteFilter),
        ("regional_unit", AutocompleteFilter),
        "regional_unit__region__category",
        "eligible",
        EffectiveEligibilityFilter,
        MunicipalityApplicationStatusFilter,
    )
    list_select_related = ("regional_unit__region",)
    actions = export_actions("caps", _("caps"))
    search_fields = ("name",)  # shows the box; get_search_results folds the term
    search_help_text = _("Name in any case, with or without accents, or the ELSTAT code.")
    folded_search_fields = MunicipalityFilterSet.folded_search_fields
    exact_search_fields = MunicipalityFilterSet.exact_search_fields
    list_per_page = 100
    readonly_fields = ("elstat_code", "cap_derivation", "application_link")
    autocomplete_fields = ("regional_unit",)

    class Media:
        css = {"all": ("grants/admin.css",)}  # the cap derivation's amounts, aligned right

    fieldsets = (
        (None, {"fields": ("elstat_code", "name", "regional_unit", "population_2011", "population_2021")}),
        (
            _("Eligibility"),
            {"fields": ("eligible", "eligibility_override", "eligibility_override_reason")},
        ),
        (_("Contact"), {"fields": ("contact_emails",)}),
        (
            _("Cap"),
            {
                "fields": (
                    "cap_derivation",
                    "cap_override_amount",
                    "cap_override_reason",
                    "cap_override_clear",
                )
            },
        ),
        (_("Application"), {"fields": ("application_link",)}),
    )

    def has_add_permission(self, request):
        # The registry comes from the census loader (load_reference_data), with its source.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        programme = current_programme(request)
        if programme is None:
            return qs
        # One query each for all rows, instead of two per row for the cap and status columns.
        return qs.prefetch_related(
            Prefetch(
                "cap_overrides",
                queryset=CapOverride.objects.filter(programme=programme),
                to_attr="_overrides",
            ),
            Prefetch(
                "applications",
                queryset=Application.objects.filter(programme=programme).only(
                    "pk", "status", "municipality_id", "programme_id"
                ),
                to_attr="_applications",
            ),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"programme": current_programme(request)})

    @admin.display(description=_("region"), ordering="regional_unit__region__name")
    def region(self, obj):
        return obj.regional_unit.region

    @admin.display(description=_("population 2011"), ordering="population_2011")
    def population_2011_col(self, obj):
        return int_gr(obj.population_2011)

    @admin.display(description=_("eligible"), boolean=True)
    def eligibility_col(self, obj):
        return obj.is_eligible

    def _override(self, obj):
        overrides = getattr(obj, "_overrides", None)
        if overrides is None:
            return ...  # not prefetched (change view): let the model look it up
        return overrides[0] if overrides else None

    @admin.display(description=_("cap"))
    def cap_col(self, obj):
        # Replaced per request by get_list_display; kept so the column name is a known attribute.
        programme = Programme.objects.order_by("pk").first()
        return eur(programme.cap_for(obj, override=self._override(obj))) if programme else EMPTY

    def get_list_display(self, request):
        # Display callables receive only the row; the cap column closes over the programme looked up
        # once for this request (the ModelAdmin instance is shared between requests).
        programme = current_programme(request)

        @admin.display(description=_("cap"))
        def cap_col(obj):
            if programme is None:
                return EMPTY
            return eur(programme.cap_for(obj, override=self._override(obj)))

        return [cap_col if name == "cap_col" else name for name in super().get_list_display(request)]

    @admin.display(description=_("application"))
    def application_col(self, obj):
        apps = getattr(obj, "_applications", None) or []
        return apps[0].get_status_display() if apps else EMPTY

    @admin.display(description=_("how the cap is derived"))
    def cap_derivation(self, obj):
        programme = Programme.objects.order_by("pk").first()
        if programme is None or obj.pk is None:
            return EMPTY
        b = programme.cap_breakdown(obj)
        rows = [
            (gettext("Population (census %(year)s)") % {"year": b.census_year}, int_gr(b.population)),
            (gettext("× amount per inhabitant"), rate_gr(b.rate)),
            (gettext("= product"), eur(b.raw)),
            (
                gettext("rounded up to a multiple of %(step)s") % {"step": eur(programme.cap_rounding_step)},
                eur(b.rounded),
            ),
            (gettext("minimum"), eur(b.floor)),
            (gettext("cap by the rule"), eur(b.rule_cap)),
        ]
        if b.override is not None:
            rows.append((gettext("override (%(reason)s)") % {"reason": b.override_reason}, eur(b.override)))
        rows.append((gettext("cap"), eur(b.cap)))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table class='cap-derivation'>{}</table>", body)

    @admin.display(description=_("application"))
    def application_link(self, obj):
        if obj.pk is None:
            return EMPTY
        apps = Application.objects.filter(municipality=obj).select_related("programme")
        links = [
            (
                reverse("admin:grants_application_change", args=[a.pk]),
                a.programme.code,
                a.get_status_display(),
            )
            for a in apps
        ]
        if not links:
            return EMPTY
        return format_html_join(mark_safe("<br>"), "<a href='{}'>{}: {}</a>", links)

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.MUNICIPALITY_AUDITED}
        try:
            with transaction.atomic():
                if changes:
                    services.municipality_update(
                        municipality=obj, actor=request.user, channel=Channel.ADMIN, **changes
                    )
                requested = form.cap_override_requested()
                if requested is not None and form.programme is not None:
                    services.cap_override_set(
                        programme=form.programme,
                        municipality=obj,
                        amount=requested[1],
                        reason=form.cleaned_data["cap_override_reason"],
                        actor=request.user,
                        channel=Channel.ADMIN,
                    )
        except ValidationError as exc:
            # The form checked the same rules; this is a race with another writer.
            transaction.set_rollback(True)
            messages.error(request, " ".join(exc.messages))
