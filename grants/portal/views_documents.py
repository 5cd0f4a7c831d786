"""The portal's documents and clarifications pages: thin, like grants.portal.views. Lookups start from
the scoped selectors (another municipality's application or file is a 404), writes call
grants.documents and grants.conversation, and every download is audited there."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grants import conversation, documents, file_checks, selectors
from grants.models import Channel
from projects.services import EDITABLE_STATUSES

from .access import municipality_required, own_application
from .forms import DocumentForm, MessageForm


def _documents(request, application):
    return list(
        selectors.documents_for(request.user)
        .filter(application=application)
        .order_by("document_type__order", "document_type__code", "uploaded_at", "id")
    )


def _own_document(request, application, doc_id):
    document = selectors.documents_for(request.user).filter(pk=doc_id, application=application).first()
    if document is None:
        raise Http404
    return document


def file_response(stored, handle) -> FileResponse:
    return FileResponse(
        handle,
        as_attachment=True,
        filename=stored.filename,
        content_type=file_checks.CONTENT_TYPES.get(stored.format, "application/octet-stream"),
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def documents_page(request, pk):
    application = own_application(request, pk)
    document_types = documents.document_types_of(application.programme)
    selections = list(application.selections.select_related("project"))
    editable = application.status in EDITABLE_STATUSES
    form = DocumentForm(
        request.POST or None,
        request.FILES or None,
        document_types=document_types,
        selections=selections,
    )
    if request.method == "POST" and editable and form.is_valid():
        kind = form.document_types[form.cleaned_data["kind"]]
        project = form.projects.get(form.cleaned_data["project"] or "")
        try:
            documents.document_upload(
                application=application,
                document_type=kind,
                file=form.cleaned_data["file"],
                project=project,
                actor=request.user,
                channel=Channel.PORTAL,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("«%(f)s» attached.") % {"f": form.cleaned_data["file"].name})
            return redirect("portal:documents", pk=application.pk)
    elif request.method == "POST" and not editable:
        form.add_error(None, _("Documents can be changed only while the application is a draft or returned."))
    return render(
        request,
        "portal/documents.html",
        {
            "application": application,
            "document_types": document_types,
            "documents": _documents(request, application),
            "missing": documents.missing_documents(application),
            "editable": editable,
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _get_only(request):
    # After the scoped lookup, so that another municipality's file is a 404 whatever the method.
    return None if request.method == "GET" else HttpResponseNotAllowed(["GET"])


@municipality_required
def document_download(request, pk, doc_id):
    application = own_application(request, pk)
    document = _own_document(request, application, doc_id)
    if refused := _get_only(request):
        return refused
    return file_response(
        document, documents.document_open(document=document, actor=request.user, channel=Channel.PORTAL)
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def document_delete(request, pk, doc_id):
    application = own_application(request, pk)
    document = _own_document(request, application, doc_id)
    error = ""
    if request.method == "POST":
        try:
            documents.document_delete(document=document, actor=request.user, channel=Channel.PORTAL)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("«%(f)s» removed.") % {"f": document.filename})
            return redirect("portal:documents", pk=application.pk)
    return render(
        request,
        "portal/document_delete.html",
        {"application": application, "document": document, "error": error},
        status=400 if error else 200,
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def messages_page(request, pk):
    application = own_application(request, pk)
    allowed, reason = conversation.may_post(application, request.user)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        attachment = form.cleaned_data["attachment"]
        try:
            conversation.post_message(
                application=application,
                author=request.user,
                body=form.cleaned_data["body"],
                attachments=[attachment] if attachment else [],
                channel=Channel.PORTAL,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect(reverse("portal:messages", args=[application.pk]) + "#thread-end")
    thread = list(
        selectors.messages_for(request.user).filter(application=application).order_by("created_at", "id")
    )
    return render(
        request,
        "portal/messages.html",
        {"application": application, "thread": thread, "form": form, "allowed": allowed, "reason": reason},
        status=400 if form.is_bound and form.errors else 200,
    )


@municipality_required
def attachment_download(request, pk, attachment_id):
    application = own_application(request, pk)
    attachment = (
        selectors.attachments_for(request.user)
        .filter(pk=attachment_id, message__application=application)
        .first()
    )
    if attachment is None:
        raise Http404
    if refused := _get_only(request):
        return refused
    return file_response(
        attachment,
        conversation.attachment_open(attachment=attachment, actor=request.user, channel=Channel.PORTAL),
    )
