"""The selections inline of the application page. Its rows are written only through
projects.services (selection_add / selection_update / selection_remove), which hold the cap under a
row lock and audit every change; the inline's own save is never used."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from grants.amounts import AmountField
from grants.formatting import eur
from grants.models import Channel
from projects import services as project_services
from projects.models import CatalogueProject, Selection


class _DryRun(Exception):
    """Raised to roll back a validation pass of the services."""


class SelectionForm(forms.ModelForm):
    # Officers type amounts the Greek way («20.400,00») as on every other amount field.
    amount = AmountField(label=_("amount"))

    class Meta:
        model = Selection
        fields = ("project", "amount", "justification")
        widgets = {"justification": forms.Textarea(attrs={"rows": 1, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A selection changes amount or justification; another project is another selection.
            self.fields["project"].disabled = True
            # So its drop-down holds its own project only (from the row, no query), not the whole
            # catalogue of every programme on every row: 10,000 options and 2 s at EU scale.
            self.fields["project"].queryset = CatalogueProject.objects.filter(pk=self.instance.project_id)
            self.fields["project"].widget.choices = [(self.instance.project_id, str(self.instance.project))]
        else:
            self.fields["project"].queryset = CatalogueProject.objects.filter(active=True)
        self.fields["amount"].widget.attrs["class"] = "sc-selection-amount"

    def validate_unique(self):
        # The service reports a duplicate project with its own message, under the row lock.
        pass


def apply_selection_forms(formset, *, actor):
    """Apply the inline's changes through the services, in an order that lets a valid final state
    pass the per-step cap check: removals, then decreases, then increases, then additions.
    Returns (new, changed, deleted) for the admin's change message; raises SelectionError naming
    the form it failed on (`exc.form`)."""
    app = formset.instance
    new, changed, deleted = [], [], []
    deleting = [f for f in formset.initial_forms if formset._should_delete_form(f)]
    updating = [
        f
        for f in formset.initial_forms
        if f not in deleting and f.has_changed() and f.instance.pk is not None
    ]
    adding = [f for f in formset.extra_forms if f.has_changed() and not formset._should_delete_form(f)]
    updating.sort(key=lambda f: f.cleaned_data["amount"] - (f.initial.get("amount") or 0))

    def run(form, call):
        try:
            return call()
        except ValidationError as exc:
            exc.form = form
            raise

    for form in deleting:
        run(
            form,
            lambda f=form: project_services.selection_remove(
                selection=f.instance, actor=actor, channel=Channel.ADMIN
            ),
        )
        deleted.append(form.instance)
    for form in updating:
        data = form.cleaned_data
        saved = run(
            form,
            lambda f=form, d=data: project_services.selection_update(
                selection=f.instance,
                amount=d["amount"],
                justification=d.get("justification", ""),
                actor=actor,
                channel=Channel.ADMIN,
            ),
        )
        changed.append((saved, form.changed_data))
    for form in adding:
        data = form.cleaned_data
        saved = run(
            form,
            lambda d=data: project_services.selection_add(
                application=app,
                project=d["project"],
                amount=d["amount"],
                justification=d.get("justification", ""),
                actor=actor,
                channel=Channel.ADMIN,
            ),
        )
        new.append(saved)
    return new, changed, deleted


class SelectionFormSet(BaseInlineFormSet):
    request = None  # set by SelectionInline.get_formset

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None or not self.has_changed():
            return
        # Validate with the services themselves (same lock, same cap arithmetic, same messages),
        # then roll back: refusals become form errors instead of an error page after the fact.
        try:
            with transaction.atomic():
                apply_selection_forms(self, actor=self.request.user)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            form = getattr(exc, "form", None)
            errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            for field, messages in errors.items():
                if form is not None and field in form.fields:
                    form.add_error(field, messages)
                else:
                    raise ValidationError(messages) from exc

    def save(self, commit=True):
        new, changed, deleted = apply_selection_forms(self, actor=self.request.user)
        self.new_objects, self.changed_objects, self.deleted_objects = new, changed, deleted
        return new + [obj for obj, _fields in changed]


class SelectionInline(admin.TabularInline):
    model = Selection
    form = SelectionForm
    formset = SelectionFormSet
    extra = 1
    fields = ("project", "amount", "justification")
    readonly_fields = ("amount_eur",)
    verbose_name_plural = _("selections (written through the cap-checking service)")

    class Media:
        css = {"all": ("grants/admin.css",)}  # the project's drop-down kept within the page

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"request": request})

    def _editable(self, obj):
        return obj is not None and obj.status in project_services.EDITABLE_STATUSES

    def get_fields(self, request, obj=None):
        if self._editable(obj):
            return self.fields
        # Read-only rows show the amount as officers read money, not as the raw field value.
        return ("project", "amount_eur", "justification")

    @admin.display(description=_("amount"))
    def amount_eur(self, selection):
        return eur(selection.amount)

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Removing a selection changes the application and is audited by the service, so it needs
        # the change permission, not a separate delete grant.
        return self._editable(obj) and super().has_change_permission(request, obj)
