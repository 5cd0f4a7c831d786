"""The programme: its budget, cap rule, co-financing rates and call dates, edited by officers and
recorded through grants.services."""

from django import forms
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from grants import services
from grants.amounts import AmountField
from grants.formatting import eur
from grants.models import Channel, Programme


def _amount_field(model, name):
    field = model._meta.get_field(name)
    return AmountField(label=capfirst(field.verbose_name), help_text=field.help_text)


class ProgrammeForm(forms.ModelForm):
    # The programme's sums in euros, typed the Greek way («235.285.163,00») like every other amount;
    # the model's own validation (digits, cap rule) still runs on save.
    total_budget = _amount_field(Programme, "total_budget")
    cap_rate = _amount_field(Programme, "cap_rate")
    cap_rounding_step = _amount_field(Programme, "cap_rounding_step")
    cap_floor = _amount_field(Programme, "cap_floor")

    class Meta:
        # Rates are fractions, not sums: a decimal field that reads the page's decimal mark («0,85»).
        localized_fields = ("cofinancing_less_developed", "cofinancing_transition")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ("code", "title", "total_budget_col", "cap_rate", "cap_floor_col", "opens_on", "closes_on")
    readonly_fields = ("code",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total budget"), ordering="total_budget")
    def total_budget_col(self, obj):
        return eur(obj.total_budget)

    @admin.display(description=_("cap: minimum"), ordering="cap_floor")
    def cap_floor_col(self, obj):
        return eur(obj.cap_floor)

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.PROGRAMME_AUDITED}
        if changes:
            services.programme_update(programme=obj, actor=request.user, channel=Channel.ADMIN, **changes)
