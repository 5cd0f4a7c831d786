from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """One code field; the service decides what it accepts and puts its refusal on the field."""

    code = forms.CharField(
        label=_("One-time code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, label=None, help_text=None, numeric=False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if label:
            field.label = label
        if help_text:
            field.help_text = help_text
        if numeric:
            field.widget.attrs["inputmode"] = "numeric"
