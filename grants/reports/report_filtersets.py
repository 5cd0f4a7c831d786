"""Report-specific FilterSets: the shared ones of grants.filters, extended where a report filters on
more (budget range, ΑΔΑ, MIS, programme for the caps). The admin's "export what I see" and the API
reuse the shared parents, so the common filters mean the same everywhere."""

import django_filters as df
from django.utils.translation import gettext_lazy as _

from grants.amounts import AmountField
from grants.filters import ApplicationFilterSet, MunicipalityFilterSet
from grants.models import Programme


class AmountFilter(df.Filter):
    """An amount as people type it («1.000.000», «1000000,50», «12 500 €»), read by the portal's
    own parser rather than by a DecimalField that refuses the Greek separators."""

    field_class = AmountField


class OperationsFilterSet(ApplicationFilterSet):
    budget_min = AmountFilter(field_name="budget", lookup_expr="gte", label=_("Budget from"))
    budget_max = AmountFilter(field_name="budget", lookup_expr="lte", label=_("Budget up to"))
    ada = df.CharFilter(field_name="decision_ada", lookup_expr="iexact", label=_("Decision ΑΔΑ"))
    mis = df.CharFilter(field_name="mis_code", lookup_expr="exact", label=_("MIS code"))

    class Meta(ApplicationFilterSet.Meta):
        fields = [*ApplicationFilterSet.Meta.fields, "budget_min", "budget_max", "ada", "mis"]


class CapsFilterSet(MunicipalityFilterSet):
    # Chooses whose cap rule applies; it filters no municipality out. An unknown code is an error,
    # not silently the first programme: the caps would be another programme's.
    programme = df.ModelChoiceFilter(
        queryset=Programme.objects.order_by("pk"),
        to_field_name="code",
        method="keep",
        label=_("Programme"),
        error_messages={"invalid_choice": _("Unknown programme «%(value)s».")},
    )

    class Meta(MunicipalityFilterSet.Meta):
        fields = [*MunicipalityFilterSet.Meta.fields, "programme"]

    def keep(self, queryset, name, value):
        return queryset


class AbsorptionFilterSet(ApplicationFilterSet):
    """The operations' filters, and how rows are grouped (grants.delivery.absorption.GROUPS)."""

    group = df.ChoiceFilter(
        choices=[
            ("operation", _("Operation")),
            ("municipality", _("Municipality")),
            ("region", _("Region")),
            ("programme", _("Programme")),
        ],
        method="keep",
        empty_label=_("Operation"),
        label=_("Rows per"),
    )

    class Meta(ApplicationFilterSet.Meta):
        fields = [*ApplicationFilterSet.Meta.fields, "group"]

    def keep(self, queryset, name, value):
        return queryset
