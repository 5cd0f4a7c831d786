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


class DocumentForm(forms.Form):
    """A document to attach: its type, the project for a type attached to each project, the file.
    Format and size are checked from the file's content by grants.documents."""

    kind = forms.ChoiceField(label=_("Document type"))
    project = forms.ChoiceField(
        label=_("Project"),
        required=False,
        help_text=_("Only for a document about one of your selected projects."),
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, document_types=(), selections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.document_types = {t.code: t for t in document_types}
        self.fields["kind"].choices = [("", _("Choose…"))] + [(t.code, t.title) for t in document_types]
        self.projects = {s.project.code: s.project for s in selections}
        self.fields["project"].choices = [("", _("None (the whole application)"))] + [
            (s.project.code, f"{s.project.code} {s.project.title}") for s in selections
        ]

    def add_service_error(self, error: ValidationError):
        renamed = {"attachments": "file" if "file" in self.fields else "attachment"}
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                field = renamed.get(field, field)
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Up to 5,000 characters. Once sent, a message cannot be changed or deleted."),
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("PDF, XLSX, DOCX, ODT, JPEG or PNG, up to 20 MB."),
    )

    add_service_error = DocumentForm.add_service_error
