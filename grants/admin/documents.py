"""Document types (officers set them per programme), and on the application page its documents and
clarifications thread: read-only lists with permission-checked, audited downloads, and a page where
officers read the thread and write in it (grants.conversation.post_message)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import conversation, documents, file_checks, selectors
from grants.formatting import format_size
from grants.models import Channel, DocumentType, FileFormat


class DocumentTypeForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(
        label=_("allowed formats"),
        choices=FileFormat.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[FileFormat.PDF],
        help_text=_("Recognised from the file's content, never from its name."),
    )

    class Meta:
        model = DocumentType
        fields = [
            "programme",
            "code",
            "title_el",
            "title_en",
            "required",
            "scope",
            "formats",
            "max_size",
            "order",
            "official",
        ]


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    form = DocumentTypeForm
    list_display = (
        "code",
        "title_el",
        "title_en",
        "programme",
        "required",
        "scope",
        "formats_col",
        "size_col",
        "official",
    )
    list_filter = ("programme", "required", "scope", "official")
    list_select_related = ("programme",)
    search_fields = ("code", "title_el", "title_en")

    def has_delete_permission(self, request, obj=None):
        # Documents point at their type; a type no longer asked for is made optional instead.
        return False

    @admin.display(description=_("allowed formats"))
    def formats_col(self, obj):
        return documents.format_names(obj.formats)

    @admin.display(description=_("maximum size"), ordering="max_size")
    def size_col(self, obj):
        return format_size(obj.max_size)

    def save_model(self, request, obj, form, change):
        documents.document_type_save(document_type=obj, actor=request.user, channel=Channel.ADMIN)


def file_response(stored, handle) -> FileResponse:
    return FileResponse(
        handle,
        as_attachment=True,
        filename=stored.filename,
        content_type=file_checks.CONTENT_TYPES.get(stored.format, "application/octet-stream"),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("message"),
        max_length=conversation.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
    )
    attachment = forms.FileField(label=_("attachment (optional)"), required=False)


class ConversationAdminMixin:
    """For ApplicationAdmin: the documents and the thread on the application page, their downloads,
    and the thread's own page for writing."""

    thread_template = "admin/grants/application/thread.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        extra = [
            path(
                "<path:object_id>/documents/<int:doc_id>/download/",
                view(self.document_download_view),
                name="{}_{}_document_download".format(*info),
            ),
            path(
                "<path:object_id>/messages/",
                view(self.thread_view),
                name="{}_{}_thread".format(*info),
            ),
            path(
                "<path:object_id>/messages/attachments/<int:attachment_id>/download/",
                view(self.attachment_download_view),
                name="{}_{}_attachment_download".format(*info),
            ),
        ]
        return extra + super().get_urls()

    def _scoped_application(self, request, object_id):
        # The admin's own scoping, then the selectors' (a reader of the admin sees every application,
        # but the rule stays the one rule).
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if not selectors.applications_for(request.user).filter(pk=obj.pk).exists():
            raise Http404
        return obj

    # -- read-only panels on the application page -----------------------------------------------

    def conversation_context(self, request, obj) -> dict:
        """The documents (and the required ones missing) and the thread, as this user may read them."""
        return {
            "sc_documents": list(
                selectors.documents_for(request.user)
                .filter(application=obj)
                .order_by("document_type__order", "document_type__code", "uploaded_at", "id")
            ),
            "sc_missing_documents": documents.missing_documents(obj),
            "sc_thread": list(
                selectors.messages_for(request.user).filter(application=obj).order_by("created_at", "id")
            ),
            "sc_thread_url": reverse("admin:grants_application_thread", args=[obj.pk]),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            extra_context.update(self.conversation_context(request, obj))
        return super().change_view(request, object_id, form_url, extra_context)

    # -- downloads --------------------------------------------------------------------------------

    def document_download_view(self, request, object_id, doc_id):
        if request.method != "GET":
            raise Http404
        app = self._scoped_application(request, object_id)
        document = selectors.documents_for(request.user).filter(pk=doc_id, application=app).first()
        if document is None:
            raise Http404
        return file_response(
            document, documents.document_open(document=document, actor=request.user, channel=Channel.ADMIN)
        )

    def attachment_download_view(self, request, object_id, attachment_id):
        if request.method != "GET":
            raise Http404
        app = self._scoped_application(request, object_id)
        attachment = (
            selectors.attachments_for(request.user).filter(pk=attachment_id, message__application=app).first()
        )
        if attachment is None:
            raise Http404
        return file_response(
            attachment,
            conversation.attachment_open(attachment=attachment, actor=request.user, channel=Channel.ADMIN),
        )

    # -- the thread's page ------------------------------------------------------------------------

    def thread_view(self, request, object_id):
        app = self._scoped_application(request, object_id)
        allowed, reason = conversation.may_post(app, request.user)
        form = None
        if allowed:
            form = MessageForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if form is None:
                raise PermissionDenied
            if form.is_valid():
                files = [form.cleaned_data["attachment"]] if form.cleaned_data["attachment"] else []
                try:
                    conversation.post_message(
                        application=app,
                        author=request.user,
                        body=form.cleaned_data["body"],
                        attachments=files,
                        channel=Channel.ADMIN,
                    )
                except ValidationError as exc:
                    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
                    for field, msgs in errors.items():
                        target = {"attachments": "attachment"}.get(field, field)
                        form.add_error(target if target in form.fields else None, msgs)
                else:
                    messages.success(request, gettext("Your message was sent."))
                    return HttpResponseRedirect(reverse("admin:grants_application_thread", args=[app.pk]))
        thread = list(
            selectors.messages_for(request.user).filter(application=app).order_by("created_at", "id")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Clarifications: %(app)s") % {"app": app},
            "original": app,
            "thread": thread,
            "form": form,
            "reason": reason,
            "change_url": reverse("admin:grants_application_change", args=[app.pk]),
        }
        status = 400 if form is not None and form.is_bound and form.errors else 200
        return TemplateResponse(request, self.thread_template, context, status=status)
