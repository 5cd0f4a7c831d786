"""The inclusion-list import in the admin: upload or paste → checked and prepared → confirmed.

Preparing stores the list with its SHA-256 and the digest of its preview (grants.imports.prepared); the
confirm re-reads and re-checks it from scratch against the current data and writes only if it gives
the same preview. A list that includes, changes or de-includes operations is confirmed by an approver
other than the preparer, from the list of imports waiting for confirmation; one that only records
«Προς ένταξη» may be confirmed by its preparer at once.
Hooked in config/urls.py under admin/grants/import-inclusions/ (see `urls()`).
"""

import csv
import datetime
import io
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from grants import published
from grants.imports.prepared import (
    ImportRefused,
    cancel_refusal,
    confirm_refusal,
    prepared_import_cancel,
    prepared_import_confirm,
    prepared_import_create,
    prepared_import_recheck,
)
from grants.imports.readers import FORMATS, format_for
from grants.models import PreparedImport, PreparedImportState, Programme

PERMISSION = "grants.change_application"
MAX_BYTES = 10 * 1024 * 1024


class ImportForm(forms.Form):
    programme = forms.ModelChoiceField(Programme.objects.all(), label=gettext_lazy("Programme"))
    file = forms.FileField(label=gettext_lazy("File (text, CSV or XLSX)"), required=False)
    text = forms.CharField(
        label=gettext_lazy("…or paste the list"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("", gettext_lazy("From the file name"))] + [(f, f) for f in FORMATS],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        programmes = list(self.fields["programme"].queryset[:2])
        if len(programmes) == 1:
            self.fields["programme"].initial = programmes[0]

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if not upload and not text:
            raise forms.ValidationError(_("Upload a file or paste the list."))
        if upload and upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return data

    @classmethod
    def pasted_too_big(cls):
        """An empty form whose text box says the pasted list was too long. Nothing of the request can
        be bound: Django refuses to read any of it."""
        form = cls()
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        form.errors["text"] = form.error_class(
            [_("Pasted text is limited to %(n)s; upload it as a file instead.") % {"n": limit}]
        )
        return form


# The example shown on the page and written in the downloadable templates: the published lists' own
# words (grants.published), so that the template imports as it is.
EXAMPLE_ROWS = (
    (published.STATUS["included"], "ΔΗΜΟΣ ΠΥΛΗΣ", Decimal("1200000.00"), datetime.date(2024, 7, 2)),
    (published.STATUS["to_be_included"], "ΔΗΜΟΣ ΜΥΤΙΛΗΝΗΣ", Decimal("399916.12"), None),
)
TEMPLATE_NAME = "inclusions-template"


def example_text() -> str:
    """The example as a list published as text: the header line, then one line per operation."""
    lines = [published.TEXT_HEADER] + [published.text_line(*row) for row in EXAMPLE_ROWS]
    return "\n".join(lines)


def _template_cells():
    yield list(published.HEADINGS.values())
    for status, beneficiary, budget, when in EXAMPLE_ROWS[:1]:
        yield [status, beneficiary, published.amount(budget), published.date(when)]


def template_view(request, fmt):
    """A template to fill in: the header row and one example row, as CSV (UTF-8 with a BOM, which
    Greek Excel opens as it should) or XLSX."""
    _check_permission(request)
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(_template_cells())
        response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        for cells in _template_cells():
            book.active.append(cells)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}.{fmt}"'
    return response


def _check_permission(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _context(request):
    return {
        **admin.site.each_context(request),
        "title": _("Import a published list of decisions"),
        "example": example_text(),
        "columns": list(published.HEADINGS.values()),
    }


# Django reads the body when request.POST is first used and refuses pasted text over
# DATA_UPLOAD_MAX_MEMORY_SIZE with a bare "Bad Request (400)". The CSRF check is the first to read it,
# so it is deferred until the body is known to fit; the refusal itself changes nothing.
@csrf_exempt
def import_inclusions_view(request):
    _check_permission(request)
    try:
        request.POST  # noqa: B018 (reads and parses the body)
    except RequestDataTooBig:
        context = {**_context(request), "form": ImportForm.pasted_too_big()}
        return render(request, "admin/grants/import_inclusions.html", context, status=413)
    return _import_view(request)


@csrf_protect
def _import_view(request):
    context = _context(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload:
            content, name = upload.read(), upload.name
        else:
            content, name = form.cleaned_data["text"], "pasted"
        fmt = format_for(name, form.cleaned_data["format"] or None)
        programme = form.cleaned_data["programme"]
        prepared, preview = prepared_import_create(
            content=content, fmt=fmt, programme=programme, source=name, actor=request.user
        )
        context.update(_preview_context(request, prepared, preview), programme=programme)
    context["form"] = form
    context["waiting"] = PreparedImport.objects.filter(state=PreparedImportState.PENDING).count()
    return render(request, "admin/grants/import_inclusions.html", context)


def _preview_context(request, prepared, preview):
    matches = prepared is not None and preview.report.ok and preview.digest == prepared.preview_hash
    return {
        "report": preview.report,
        "preview": preview,
        "prepared": prepared,
        "matches": matches,
        "confirm_refusal": confirm_refusal(prepared, request.user) if prepared else "",
        "cancel_refusal": cancel_refusal(prepared, request.user) if prepared else "",
    }


def prepared_list_view(request):
    _check_permission(request)
    imports = PreparedImport.objects.select_related("programme", "prepared_by", "decided_by").defer("content")
    context = {
        **admin.site.each_context(request),
        "title": _("Imports waiting for confirmation"),
        "pending": imports.filter(state=PreparedImportState.PENDING),
        "recent": imports.exclude(state=PreparedImportState.PENDING)[:20],
    }
    return render(request, "admin/grants/prepared_imports.html", context)


def prepared_detail_view(request, pk):
    _check_permission(request)
    prepared = get_object_or_404(PreparedImport.objects.select_related("programme", "prepared_by"), pk=pk)
    # The same list checked again against the data as they are now: what a confirm would write.
    preview = prepared_import_recheck(prepared=prepared)
    context = {
        **admin.site.each_context(request),
        "title": _("Prepared import: %(s)s") % {"s": prepared},
        **_preview_context(request, prepared, preview),
    }
    return render(request, "admin/grants/prepared_import.html", context)


def prepared_confirm_view(request, pk):
    _check_permission(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    prepared = get_object_or_404(PreparedImport, pk=pk)
    try:
        preview = prepared_import_confirm(
            prepared=prepared, actor=request.user, preview_hash=request.POST.get("preview_hash", "")
        )
    except ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect("admin-grants-prepared-import", pk=prepared.pk)
    for line in preview.report.summary():
        messages.success(request, line)
    for warning in preview.report.warnings:
        messages.warning(request, str(warning))
    return redirect("admin:grants_application_changelist")


def prepared_cancel_view(request, pk):
    _check_permission(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    prepared = get_object_or_404(PreparedImport, pk=pk)
    try:
        prepared_import_cancel(prepared=prepared, actor=request.user)
    except ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect("admin-grants-prepared-import", pk=prepared.pk)
    messages.success(request, _("The prepared import was cancelled: nothing was written."))
    return redirect("admin-grants-prepared-imports")


def urls():
    """The URL patterns to add to config/urls.py before admin.site.urls."""
    base = "admin/grants/import-inclusions/"
    return [
        path(base, admin.site.admin_view(import_inclusions_view), name="admin-grants-import-inclusions"),
        path(
            f"{base}template.<str:fmt>",
            admin.site.admin_view(template_view),
            name="admin-grants-import-inclusions-template",
        ),
        path(
            f"{base}prepared/",
            admin.site.admin_view(prepared_list_view),
            name="admin-grants-prepared-imports",
        ),
        path(
            f"{base}prepared/<int:pk>/",
            admin.site.admin_view(prepared_detail_view),
            name="admin-grants-prepared-import",
        ),
        path(
            f"{base}prepared/<int:pk>/confirm/",
            admin.site.admin_view(prepared_confirm_view),
            name="admin-grants-prepared-import-confirm",
        ),
        path(
            f"{base}prepared/<int:pk>/cancel/",
            admin.site.admin_view(prepared_cancel_view),
            name="admin-grants-prepared-import-cancel",
        ),
    ]
