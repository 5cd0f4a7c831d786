"""The inclusion-list import in the admin: upload or paste → dry-run report → confirm.

The content being previewed is kept in the session under a random token; confirming re-reads and
re-checks it from scratch (the registry or the applications may have changed in between), so the
confirm step can never write something the officer did not see checked.
Hooked in config/urls.py as admin/grants/import-inclusions/ (see `urls()`).
"""

import base64
import secrets

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from grants.imports.inclusions import import_inclusions
from grants.imports.readers import FORMATS, format_for
from grants.models import Programme

PERMISSION = "grants.change_application"
SESSION_KEY = "grants_import_inclusions"
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


def _check_permission(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _context(request):
    return {**admin.site.each_context(request), "title": _("Import a published list of decisions")}


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
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, context)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload:
            content, name = upload.read(), upload.name
        else:
            content, name = form.cleaned_data["text"], "pasted"
        fmt = format_for(name, form.cleaned_data["format"] or None)
        programme = form.cleaned_data["programme"]
        report = import_inclusions(
            content, fmt=fmt, programme=programme, actor=request.user, dry_run=True, source=name
        )
        token = secrets.token_urlsafe(16)
        if report.ok:
            raw = content if isinstance(content, bytes) else content.encode()
            request.session[SESSION_KEY] = {
                "token": token,
                "name": name,
                "format": fmt,
                "programme": programme.pk,
                "content": base64.b64encode(raw).decode(),
            }
        context.update(report=report, token=token, programme=programme)
    context["form"] = form
    return render(request, "admin/grants/import_inclusions.html", context)


def _confirm(request, context):
    stored = request.session.get(SESSION_KEY)
    if not stored or stored["token"] != request.POST.get("token"):
        messages.error(request, _("This preview has expired: check the list again."))
        return redirect("admin-grants-import-inclusions")
    programme = Programme.objects.get(pk=stored["programme"])
    content = base64.b64decode(stored["content"])
    report = import_inclusions(
        content, fmt=stored["format"], programme=programme, actor=request.user, source=stored["name"]
    )
    del request.session[SESSION_KEY]
    if not report.ok:
        context.update(report=report, form=ImportForm(), programme=programme)
        return render(request, "admin/grants/import_inclusions.html", context)
    for line in report.summary():
        messages.success(request, line)
    for warning in report.warnings:
        messages.warning(request, str(warning))
    return redirect("admin:grants_application_changelist")


def urls():
    """The URL patterns to add to config/urls.py before admin.site.urls."""
    return [
        path(
            "admin/grants/import-inclusions/",
            admin.site.admin_view(import_inclusions_view),
            name="admin-grants-import-inclusions",
        )
    ]
