"""Portal forms. They parse what people type; every domain rule (cap, status, ownership) is checked by
projects.services and grants.workflow, whose errors are put back on the field they name."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grants import amounts


def parse_amount(text: str, language: str | None = None) -> Decimal:
    """A euro amount typed in Greek or English habits («12.500,00», «12,500.00», «12 500 €»), read by
    the importer's parser; the page's language says which mark is the decimal one, so «1,234» typed
    in Greek has three decimals and is refused. Raises ValueError (TooManyDecimals for that case)."""
    greek = (language or get_language() or "el").startswith("el")
    return amounts.parse_amount(str(text or ""), decimal_mark="," if greek else ".")


class AmountField(forms.Field):
    # A text field, not type=number: browsers reject «12.500,00» in number inputs before we see it.
    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", "maxlength": "30"}
        )
        return attrs

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        try:
            return parse_amount(value)
        except amounts.TooManyDecimals:
            raise ValidationError(
                _("An amount has at most two decimals (cents): «%(v)s» has more."),
                code="decimals",
                params={"v": value},
            ) from None
        except ValueError:
            raise ValidationError(_("Enter an amount in euros, e.g. 12500.00."), code="invalid") from None


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
