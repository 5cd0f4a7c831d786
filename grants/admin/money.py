"""The money chain in the admin (issue 14): contracts, expenditure declarations and payments. Lists
and pages are read-only; the officers' and approvers' decisions (check a contract, verify or reject a
declaration, prepare, authorise or cancel a payment) are small forms that call grants.delivery, which
decides who may do what now and says why not. Auditors read everything and change nothing."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import roles
from grants.amounts import AmountField
from grants.delivery import contracts, declarations, payments
from grants.delivery.money_common import DeliveryError
from grants.formatting import eur
from grants.models import Application, ApplicationStatus, Channel, Contract, ExpenditureDeclaration, Payment
from grants.pagination import EstimatedCountPaginator

from .workflow_actions import DATE_INPUTS

FIELDS = {
    "accepted_amount": lambda required: AmountField(label=_("accepted amount (€)"), required=required),
    "paid_on": lambda required: forms.DateField(
        label=_("paid on"),
        required=required,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "size": 10}),
    ),
}


def action_form_class(option) -> type[forms.Form]:
    attrs = {
        "note": forms.CharField(
            label=_("note (required)") if option.note_required else _("note"),
            required=option.note_required,
            widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        )
    }
    for name in option.fields:
        attrs[name] = FIELDS[name](True)
    for name in option.optional_fields:
        if name != "note":
            attrs[name] = FIELDS[name](False)
    return type(f"{option.name.title()}Form", (forms.Form,), attrs)


def add_errors(form, exc: DeliveryError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, msgs in errors.items():
        form.add_error(field if field in form.fields else None, msgs)


class MoneyAdmin(admin.ModelAdmin):
    """Read-only pages for every staff role; the actions' forms for those the services allow."""

    action_template = "admin/grants/money/action.html"
    change_form_template = "admin/grants/money/change_form.html"
    list_per_page = 50
    actions = None
    # Hundreds of thousands of contracts and invoices at EU scale: counted exactly up to 10,000,
    # estimated beyond (grants.pagination), and once, not again for the unfiltered total.
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_module_permission(self, request):
        return roles.is_staff_role(request.user)

    def has_view_permission(self, request, obj=None):
        return roles.is_staff_role(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Each subclass: the options of a record for a user, and how to take one.
    def options(self, obj, user):
        raise NotImplementedError

    def act(self, obj, action, user, data):
        raise NotImplementedError

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="{}_{}_act".format(*info),
            ),
            *super().get_urls(),
        ]

    def action_url(self, obj, name):
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_act".format(*info), args=[obj.pk, name], current_app=self.admin_site.name)

    def panel(self, request, obj) -> list[dict]:
        """Each action: a link to its form when this user may take it now, else the reason."""
        return [
            {"option": o, "url": self.action_url(obj, o.name) if o.allowed else ""}
            for o in self.options(obj, request.user)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["money_panel"] = self.panel(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request, object_id, action):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        option = next((o for o in self.options(obj, request.user) if o.name == action), None)
        if option is None:
            raise Http404
        info = self.opts.app_label, self.opts.model_name
        change_url = reverse(
            "admin:{}_{}_change".format(*info), args=[obj.pk], current_app=self.admin_site.name
        )
        form_class = action_form_class(option)
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "note"}
                try:
                    self.act(obj, action, request.user, data)
                except DeliveryError as exc:
                    add_errors(form, exc)
                    messages.error(request, " ".join(str(m) for m in exc.messages))
                else:
                    messages.success(request, gettext("«%(action)s»: done.") % {"action": option.label})
                    return HttpResponseRedirect(change_url)
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{option.label}: {obj}",
            "original": obj,
            "option": option,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, self.action_template, context)


@admin.register(Contract)
class ContractAdmin(MoneyAdmin):
    list_display = (
        "adam",
        "application",
        "project",
        "contractor_name",
        "amount_shown",
        "signed_on",
        "checked",
    )
    list_select_related = ("application__municipality", "application__programme", "project", "checked_by")
    list_filter = (("checked_by", admin.EmptyFieldListFilter), "procedure")
    search_fields = ("adam", "contractor_name", "contractor_afm", "application__municipality__name")
    date_hierarchy = "signed_on"
    readonly_fields = (
        "application",
        "project",
        "contractor_name",
        "contractor_afm",
        "amount",
        "signed_on",
        "adam",
        "procedure",
        "created_by",
        "created_at",
        "checked_by",
        "checked_at",
    )
    exclude = ()

    @admin.display(description=_("contract amount"), ordering="amount")
    def amount_shown(self, obj):
        return eur(obj.amount)

    @admin.display(description=_("checked"), boolean=True)
    def checked(self, obj):
        return obj.checked_by_id is not None

    def options(self, obj, user):
        return contracts.contract_actions(obj, user)

    def act(self, obj, action, user, data):
        contracts.contract_act(
            contract=obj, action=action, actor=user, channel=Channel.ADMIN, note=data.get("note", "")
        )


@admin.register(ExpenditureDeclaration)
class ExpenditureDeclarationAdmin(MoneyAdmin):
    list_display = (
        "invoice_number",
        "application",
        "contract",
        "invoice_date",
        "amount_shown",
        "state",
        "accepted_shown",
        "is_final",
    )
    list_select_related = ("application__municipality", "application__programme", "contract")
    list_filter = ("state", "is_final")
    search_fields = ("invoice_number", "contract__adam", "application__municipality__name")
    readonly_fields = (
        "application",
        "contract",
        "invoice_number",
        "invoice_date",
        "amount",
        "is_final",
        "state",
        "accepted_amount",
        "note",
        "declared_by",
        "declared_at",
        "verified_by",
        "verified_at",
    )

    @admin.display(description=_("declared amount"), ordering="amount")
    def amount_shown(self, obj):
        return eur(obj.amount)

    @admin.display(description=_("accepted amount"), ordering="accepted_amount")
    def accepted_shown(self, obj):
        return eur(obj.accepted_amount) if obj.accepted_amount is not None else "—"

    def options(self, obj, user):
        return declarations.declaration_actions(obj, user)

    def act(self, obj, action, user, data):
        declarations.declaration_act(
            declaration=obj, action=action, actor=user, channel=Channel.ADMIN, **data
        )


class PrepareForm(forms.Form):
    # Chosen by typing the municipality's name (the admin's application search), not from a list of
    # every operation: 20,000 options at EU scale, a page of megabytes. Only the chosen one is shown.
    application = forms.ModelChoiceField(
        label=_("operation"),
        queryset=Application.objects.filter(
            status__in=[ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED]
        ).select_related("municipality", "programme"),
        widget=AutocompleteSelect(Payment._meta.get_field("application"), admin.site),
    )
    amount = AmountField(label=_("amount (€)"))
    reference = forms.CharField(label=_("payment reference"), max_length=60)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )


@admin.register(Payment)
class PaymentAdmin(MoneyAdmin):
    list_display = ("reference", "application", "amount_shown", "state", "prepared_at", "paid_on")
    list_select_related = ("application__municipality", "application__programme")
    list_filter = ("state",)
    search_fields = ("reference", "application__municipality__name")
    readonly_fields = (
        "application",
        "amount",
        "reference",
        "state",
        "prepared_by",
        "prepared_at",
        "authorised_by",
        "authorised_at",
        "paid_on",
        "note",
    )
    change_list_template = "admin/grants/money/payment_change_list.html"

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, obj):
        return eur(obj.amount)

    def options(self, obj, user):
        return payments.payment_actions(obj, user)

    def act(self, obj, action, user, data):
        payments.payment_act(payment=obj, action=action, actor=user, channel=Channel.ADMIN, **data)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "prepare/", self.admin_site.admin_view(self.prepare_view), name="{}_{}_prepare".format(*info)
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_prepare": roles.is_officer(request.user)}
        return super().changelist_view(request, extra_context)

    def prepare_view(self, request):
        if not roles.is_officer(request.user):
            raise PermissionDenied
        initial = {"application": request.GET.get("application")} if request.GET.get("application") else None
        form = PrepareForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment = payments.payment_prepare(
                    application=data["application"],
                    amount=data["amount"],
                    reference=data["reference"],
                    note=data["note"],
                    actor=request.user,
                    channel=Channel.ADMIN,
                )
            except DeliveryError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, gettext("The payment is prepared; an approver authorises it."))
                return HttpResponseRedirect(
                    reverse(
                        "admin:grants_payment_change", args=[payment.pk], current_app=self.admin_site.name
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Prepare a payment"),
            "form": form,
            "change_url": reverse("admin:grants_payment_changelist", current_app=self.admin_site.name),
        }
        return TemplateResponse(request, "admin/grants/money/prepare.html", context)
