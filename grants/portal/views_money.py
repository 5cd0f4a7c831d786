"""The municipality's side of the money chain (issue 14): on an included operation, its contracts,
its declared invoices with what the managing authority verified, and the payments it received; forms
to enter a contract and to declare an invoice. Thin: the rules are grants.delivery's, whose refusals
are put back on the field they name."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from grants import selectors
from grants.amounts import AmountField
from grants.delivery import contracts, declarations
from grants.delivery.absorption import ABSORBING
from grants.delivery.money_common import DeliveryError
from grants.models import ApplicationStatus, Channel, DeclarationState, PaymentState, ProcurementProcedure
from grants.models.programme import MONEY

from .access import municipality_required, own_application

DATE_INPUTS = ["%d/%m/%Y", "%Y-%m-%d"]
ZERO = Value(Decimal("0.00"), output_field=DecimalField(**MONEY))


def _date_field(label, help_text):
    return forms.DateField(
        label=label,
        help_text=help_text,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ServiceErrorsMixin:
    def add_service_error(self, error: DeliveryError):
        if hasattr(error, "error_dict"):
            for field, msgs in error.message_dict.items():
                self.add_error(field if field in self.fields else None, msgs)
        else:
            self.add_error(None, error.messages)


class ContractForm(ServiceErrorsMixin, forms.Form):
    project = forms.ChoiceField(label=gettext_lazy("Project"))
    contractor_name = forms.CharField(label=gettext_lazy("Contractor"), max_length=300)
    contractor_afm = forms.CharField(
        label=gettext_lazy("Contractor's ΑΦΜ"), max_length=20, help_text=gettext_lazy("Nine digits.")
    )
    amount = AmountField(
        label=gettext_lazy("Contract amount (€)"),
        help_text=gettext_lazy("The eligible amount, VAT included, e.g. 12500,00."),
    )
    signed_on = _date_field(gettext_lazy("Signed on"), gettext_lazy("dd/mm/yyyy"))
    adam = forms.CharField(
        label=gettext_lazy("ΚΗΜΔΗΣ ΑΔΑΜ"), max_length=40, help_text=gettext_lazy("e.g. 24SYMV014588301")
    )
    procedure = forms.ChoiceField(
        label=gettext_lazy("Procurement procedure"), choices=ProcurementProcedure.choices
    )

    def __init__(self, *args, selections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [
            (s.project.code, f"{s.project.code} — {s.project.title}") for s in selections
        ]


class DeclarationForm(ServiceErrorsMixin, forms.Form):
    contract = forms.TypedChoiceField(label=gettext_lazy("Contract"), coerce=int)
    invoice_number = forms.CharField(label=gettext_lazy("Invoice number"), max_length=60)
    invoice_date = _date_field(gettext_lazy("Invoice date"), gettext_lazy("dd/mm/yyyy"))
    amount = AmountField(label=gettext_lazy("Amount paid (€)"), help_text=gettext_lazy("e.g. 12500,00."))
    is_final = forms.BooleanField(
        label=gettext_lazy("This is the operation's final declaration"), required=False
    )

    def __init__(self, *args, contract_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = contract_choices


def _included(request, pk):
    application = own_application(request, pk)
    if application.status not in ABSORBING:
        raise Http404
    return application


def _contracts(request, application):
    return list(
        selectors.contracts_for(request.user)
        .filter(application=application)
        .annotate(
            declared=Coalesce(
                Sum("declarations__amount", filter=~Q(declarations__state=DeclarationState.REJECTED)), ZERO
            ),
            verified=Coalesce(
                Sum("declarations__accepted_amount", filter=Q(declarations__state=DeclarationState.VERIFIED)),
                ZERO,
            ),
        )
        .order_by("signed_on", "id")
    )


@municipality_required
def money(request, pk):
    application = _included(request, pk)
    contract_rows = _contracts(request, application)
    declaration_rows = list(
        selectors.declarations_for(request.user)
        .filter(application=application)
        .order_by("invoice_date", "id")
    )
    payment_rows = list(
        selectors.payments_for(request.user).filter(application=application).order_by("prepared_at", "id")
    )
    totals = {
        "budget": application.budget,
        "contracted": sum((c.amount for c in contract_rows), Decimal("0")),
        "declared": sum(
            (d.amount for d in declaration_rows if d.state != DeclarationState.REJECTED), Decimal("0")
        ),
        "verified": sum(
            (d.accepted_amount for d in declaration_rows if d.state == DeclarationState.VERIFIED),
            Decimal("0"),
        ),
        "paid": sum((p.amount for p in payment_rows if p.state == PaymentState.AUTHORISED), Decimal("0")),
    }
    return render(
        request,
        "portal/money/overview.html",
        {
            "application": application,
            "contracts": contract_rows,
            "declarations": declaration_rows,
            "payments": payment_rows,
            "totals": totals,
            "open": application.status == ApplicationStatus.INCLUDED,
        },
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def contract_new(request, pk):
    application = _included(request, pk)
    selections = list(application.selections.select_related("project"))
    form = ContractForm(request.POST or None, selections=selections)
    if request.method == "POST" and form.is_valid():
        try:
            contract = contracts.contract_create(
                application=application, actor=request.user, channel=Channel.PORTAL, **form.cleaned_data
            )
        except DeliveryError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Contract %(adam)s recorded.") % {"adam": contract.adam})
            return redirect("portal:money", pk=application.pk)
    return render(request, "portal/money/contract_form.html", {"application": application, "form": form})


@municipality_required
@require_http_methods(["GET", "POST"])
def declaration_new(request, pk):
    application = _included(request, pk)
    choices = [
        (c.pk, f"{c.adam} — {c.contractor_name} ({c.project.code})")
        for c in selectors.contracts_for(request.user)
        .filter(application=application)
        .order_by("signed_on", "id")
    ]
    initial = {"contract": request.GET.get("contract")} if request.GET.get("contract") else None
    form = DeclarationForm(request.POST or None, contract_choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = declarations.declaration_create(
                application=application, actor=request.user, channel=Channel.PORTAL, **form.cleaned_data
            )
        except DeliveryError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Invoice %(n)s declared; the managing authority will verify it.")
                % {"n": declaration.invoice_number},
            )
            return redirect("portal:money", pk=application.pk)
    return render(
        request,
        "portal/money/declaration_form.html",
        {"application": application, "form": form, "has_contracts": bool(choices)},
    )
