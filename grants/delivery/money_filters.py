"""One FilterSet per money list, shared by the API, the portal and the admin's lists."""

import django_filters as df
from django.utils.translation import gettext_lazy as _

from grants.models import Contract, DeclarationState, ExpenditureDeclaration, Payment, PaymentState


class ContractFilterSet(df.FilterSet):
    project = df.CharFilter(field_name="project__code", lookup_expr="iexact", label=_("Project"))
    checked = df.BooleanFilter(
        field_name="checked_by", lookup_expr="isnull", exclude=True, label=_("Checked")
    )

    class Meta:
        model = Contract
        fields = ["project", "checked"]


class DeclarationFilterSet(df.FilterSet):
    status = df.MultipleChoiceFilter(field_name="state", choices=DeclarationState.choices, label=_("Status"))
    contract = df.NumberFilter(field_name="contract_id", label=_("Contract"))

    class Meta:
        model = ExpenditureDeclaration
        fields = ["status", "contract"]


class PaymentFilterSet(df.FilterSet):
    status = df.MultipleChoiceFilter(field_name="state", choices=PaymentState.choices, label=_("Status"))

    class Meta:
        model = Payment
        fields = ["status"]
