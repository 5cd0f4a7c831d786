"""Portal forms. They parse what people type; every domain rule (cap, status, ownership) is checked by
projects.services and grants.workflow, whose errors are put back on the field they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from grants.amounts import AmountField


class SelectionForm(forms.Form):
    amount = AmountField(
        label=_("Amount (€)"),
        help_text=_("In euros, e.g. 12500,00. The total of your projects may not exceed your cap."),
    )
    justification = forms.CharField(
        label=_("Short justification"),
        help_text=_("Why the municipality needs this project (up to 2,000 characters)."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def add_service_error(self, error: ValidationError):
        """Put a service's refusal on the field it names, or on the form when it names none."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class SubmitForm(forms.Form):
    # The version of the application the page showed: what the clerk reviewed is what gets submitted.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label=_("Search the catalogue"), required=False, max_length=100)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [(c.pk, c.title) for c in categories]
