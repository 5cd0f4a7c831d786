"""The evaluation checklist in the admin: officers keep each programme's criteria, and answer them on
the application's page while it is under review; everyone who may view the application (the approver
above all) reads the answers there. Writes go through grants.checklist."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import checklist, roles
from grants.models import Channel, ChecklistAnswerChoice, ChecklistCriterion


@admin.register(ChecklistCriterion)
class ChecklistCriterionAdmin(admin.ModelAdmin):
    list_display = ("code", "text_el", "text_en", "order", "official", "active", "programme")
    list_display_links = ("code", "text_el")
    list_filter = ("programme", "official", "active")
    search_fields = ("code", "text_el", "text_en")
    ordering = ("programme", "order", "code")

    def get_readonly_fields(self, request, obj=None):
        # A criterion that has been answered keeps its programme and code; its text may be corrected.
        return ("programme", "code") if obj is not None and obj.answers.exists() else ()

    def has_add_permission(self, request):
        return roles.is_officer(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return roles.is_officer(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Answers point at their criterion: a criterion is retired (inactive), not deleted.
        return False

    def save_model(self, request, obj, form, change):
        checklist.criterion_save(criterion=obj, actor=request.user, channel=Channel.ADMIN)


def checklist_form_class(rows) -> type[forms.Form]:
    attrs = {}
    for row in rows:
        code = row.criterion.code
        attrs[f"answer_{code}"] = forms.ChoiceField(
            label=row.criterion.text,
            choices=ChecklistAnswerChoice.choices,
            required=False,
            widget=forms.RadioSelect,
        )
        attrs[f"comment_{code}"] = forms.CharField(
            label=_("comment"),
            required=False,
            max_length=checklist.COMMENT_MAX,
            widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        )
    return type("ChecklistForm", (forms.Form,), attrs)


def _initial(rows) -> dict:
    initial = {}
    for row in rows:
        if row.answer is not None:
            initial[f"answer_{row.criterion.code}"] = row.answer.answer
            initial[f"comment_{row.criterion.code}"] = row.answer.comment
    return initial


def _answers_from(form, rows) -> list[dict]:
    """The rows the officer answered on the form (a criterion left without an answer is left alone)."""
    answers = []
    for row in rows:
        code = row.criterion.code
        value = form.cleaned_data.get(f"answer_{code}")
        if value:
            answers.append(
                {"criterion": code, "answer": value, "comment": form.cleaned_data.get(f"comment_{code}", "")}
            )
    return answers


class ChecklistAdminMixin:
    """For ApplicationAdmin: the checklist panel on the application page and the view it posts to."""

    checklist_template = "admin/grants/application/checklist.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        extra = [
            path(
                "<path:object_id>/checklist/",
                self.admin_site.admin_view(self.checklist_view),
                name="{}_{}_checklist".format(*info),
            )
        ]
        return extra + super().get_urls()

    def _may_answer(self, request, obj) -> bool:
        return (
            roles.is_officer(request.user)
            and self.has_change_permission(request, obj)
            and checklist.is_open(obj)
        )

    def checklist_panel(self, request, obj, form=None) -> dict | None:
        rows = checklist.rows(obj)
        earlier = checklist.earlier_rounds(obj)
        if not rows and not earlier:
            return None
        editable = self._may_answer(request, obj)
        if editable and form is None:
            form = checklist_form_class(rows)(initial=_initial(rows))
        items = [
            {
                "row": row,
                "answer_field": form[f"answer_{row.criterion.code}"] if editable else None,
                "comment_field": form[f"comment_{row.criterion.code}"] if editable else None,
            }
            for row in rows
        ]
        return {
            "items": items,
            "form": form if editable else None,
            "editable": editable,
            "closed_reason": checklist.closed_reason(obj),
            "round": obj.review_round,
            "earlier": sorted(earlier.items(), reverse=True),
            "url": reverse(
                "admin:grants_application_checklist", args=[obj.pk], current_app=self.admin_site.name
            ),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            extra_context["checklist_panel"] = self.checklist_panel(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def checklist_view(self, request, object_id):
        """GET shows the checklist alone; POST saves the answers through grants.checklist and goes back
        to the application, or shows the form again with the reasons."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse(
            "admin:grants_application_change", args=[obj.pk], current_app=self.admin_site.name
        )
        form = None
        if request.method == "POST":
            if not roles.is_officer(request.user) or not self.has_change_permission(request, obj):
                raise PermissionDenied
            rows = checklist.rows(obj)
            form = checklist_form_class(rows)(request.POST)
            if form.is_valid():
                try:
                    written = checklist.checklist_answer(
                        application=obj,
                        answers=_answers_from(form, rows),
                        actor=request.user,
                        channel=Channel.ADMIN,
                    )
                except ValidationError as exc:
                    errors = (
                        exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
                    )
                    for messages_ in errors.values():
                        form.add_error(None, messages_)
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(
                        request, gettext("Evaluation checklist: %(n)d answers saved.") % {"n": written}
                    )
                    return HttpResponseRedirect(change_url + "#sc-checklist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Evaluation checklist: %(app)s") % {"app": obj},
            "original": obj,
            "checklist_panel": self.checklist_panel(request, obj, form=form),
            "change_url": change_url,
        }
        return TemplateResponse(
            request, self.checklist_template, context, status=400 if form is not None else 200
        )
