"""After inclusion, the decision side in the admin (issue 14): amendments with their propose, approve
and refuse buttons (and the reasons for the others), an officer's request of an amendment and the
indicators' targets, and on the application page the versions of the decision beside the progress
and the indicators. Every write goes through grants.delivery; nothing here checks a rule itself."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import roles, selectors
from grants.amounts import AmountField
from grants.delivery import amendments as amendment_services
from grants.delivery import indicators as indicator_services
from grants.delivery import progress as progress_services
from grants.formatting import date_gr, datetime_gr, eur
from grants.models import Amendment, Channel, DecisionVersion, Indicator, ProgressStage

from .common import html_rows
from .workflow_actions import (
    DATE_INPUTS,
    action_form_class,
    add_transition_errors,
    reason_of,
    transition_kwargs,
)


def _date_field(label, required):
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "size": 10}),
    )


class AmendmentRequestForm(forms.Form):
    justification = forms.CharField(
        label=_("justification"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    budget = AmountField(label=_("new budget (€)"), required=False)
    selections = forms.CharField(
        label=_("new selections"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40, "placeholder": "T01 100.000,00"}),
        help_text=_("The full new list, one project a line: catalogue code and amount. Empty: unchanged."),
    )
    end_date = _date_field(_("new expected end date"), False)

    def clean_selections(self):
        text = self.cleaned_data["selections"].strip()
        if not text:
            return None
        rows = []
        for line in text.splitlines():
            if line.strip():
                code, _sep, amount = line.strip().partition(" ")
                rows.append({"project": code.strip(), "amount": amount.strip()})
        return rows


class IndicatorTargetsForm(forms.Form):
    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in Indicator.choices:
            self.fields[code] = forms.IntegerField(
                label=label, required=False, min_value=0, initial=(current or {}).get(code)
            )


def _errors_into(form, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, msgs in errors.items():
        form.add_error(field if field in form.fields else None, msgs)


def _progress_rows_html(rows) -> str:
    """The progress table's rows, written here rather than by the template language: an operation may
    select a thousand projects, and a template loop over them took a quarter of a second."""
    labels = {value: str(label) for value, label in ProgressStage.choices}

    def day(value):
        return value.strftime("%d/%m/%Y") if value else ""

    return html_rows(
        (
            r.project,
            labels[r.stage],
            day(r.procurement_on),
            day(r.contracted_on),
            day(r.implementation_on),
            day(r.completed_on),
        )
        for r in rows
    )


def decision_panel(request, application) -> str:
    """The application page's section: versions of the decision, amendments, progress, indicators."""
    versions = list(DecisionVersion.objects.filter(application=application).order_by("version"))
    amendments = list(
        Amendment.objects.filter(application=application)
        .select_related("decision_version")
        .order_by("-requested_at")
    )
    first = versions[0] if versions else None
    return render_to_string(
        "admin/grants/application/_decision_panel.html",
        {
            "versions": [
                {
                    "v": v,
                    "budget": eur(v.budget),
                    "date": date_gr(v.decision_date),
                    "end_date": date_gr(v.end_date),
                    "selections": ", ".join(f"{r['project']} {eur(r['amount'])}" for r in v.selections),
                }
                for v in versions
            ],
            "inclusion_budget": eur(first.budget) if first else "",
            "current_budget": eur(application.budget),
            "amendments": [
                {
                    "a": a,
                    "url": reverse("admin:grants_amendment_change", args=[a.pk]),
                    "at": datetime_gr(a.requested_at),
                    "budget": eur(a.budget) if a.budget is not None else "",
                }
                for a in amendments
            ],
            "progress": _progress_rows_html(progress_services.progress_rows(application)),
            "indicators": indicator_services.indicator_rows(application),
            "may_request": request is not None and roles.is_officer(request.user),
            "request_url": reverse("admin:grants_amendment_request", args=[application.pk]),
            "targets_url": reverse("admin:grants_amendment_targets", args=[application.pk]),
        },
        request=request,
    )


@admin.register(Amendment)
class AmendmentAdmin(admin.ModelAdmin):
    list_display = ("application", "state_col", "budget_col", "end_date_col", "requested_col")
    list_filter = ("state",)
    list_select_related = ("application__municipality", "application__programme")
    search_fields = ("application__municipality__name", "decision_ada")
    readonly_fields = (
        "application",
        "state_col",
        "justification",
        "budget_col",
        "selections_col",
        "end_date_col",
        "requested_by",
        "requested_col",
        "proposed_by",
        "approved_by",
        "refused_by",
        "decision_ada",
        "decision_date",
        "note",
        "decision_version",
    )
    fields = readonly_fields
    change_form_template = "admin/grants/amendment/change_form.html"

    def has_add_permission(self, request):
        return False  # requested through «Request an amendment» on the application page

    def has_change_permission(self, request, obj=None):
        return False  # changed only by its actions

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        scoped = selectors.applications_for(request.user)
        return super().get_queryset(request).filter(application__in=scoped)

    @admin.display(description=_("status"), ordering="state")
    def state_col(self, obj):
        return obj.get_state_display()

    @admin.display(description=_("new budget"), ordering="budget")
    def budget_col(self, obj):
        return eur(obj.budget) if obj.budget is not None else "—"

    @admin.display(description=_("new selections"))
    def selections_col(self, obj):
        if obj.selections is None:
            return "—"
        return ", ".join(f"{r['project']} {eur(r['amount'])}" for r in obj.selections)

    @admin.display(description=_("new expected end date"), ordering="end_date")
    def end_date_col(self, obj):
        return date_gr(obj.end_date)

    @admin.display(description=_("requested at"), ordering="requested_at")
    def requested_col(self, obj):
        return datetime_gr(obj.requested_at)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/action/<str:action>/", view(self.action_view), name="grants_amendment_action"
            ),
            path("request/<int:application_id>/", view(self.request_view), name="grants_amendment_request"),
            path("targets/<int:application_id>/", view(self.targets_view), name="grants_amendment_targets"),
            *super().get_urls(),
        ]

    def _panel(self, request, amendment):
        panel = []
        for option in amendment_services.available_amendment_actions(
            amendment, request.user, channel=Channel.ADMIN
        ):
            panel.append(
                {
                    "option": option,
                    "form": action_form_class(option)(prefix=option.name) if option.allowed else None,
                    "url": reverse("admin:grants_amendment_action", args=[amendment.pk, option.name]),
                }
            )
        return panel

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            extra_context["amendment_panel"] = self._panel(request, obj)
            extra_context["application_url"] = reverse(
                "admin:grants_application_change", args=[obj.application_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request, object_id, action):
        amendment = self.get_object(request, str(object_id))
        if amendment is None:
            raise Http404
        option = next(
            (
                o
                for o in amendment_services.available_amendment_actions(amendment, request.user)
                if o.name == action
            ),
            None,
        )
        if option is None:
            raise Http404
        change_url = reverse("admin:grants_amendment_change", args=[amendment.pk])
        form = action_form_class(option)(request.POST or None, prefix=option.name)
        if request.method == "POST" and form.is_valid():
            try:
                amendment_services.amendment_transition(
                    amendment,
                    action,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    channel=Channel.ADMIN,
                    **transition_kwargs(form),
                )
            except ValidationError as exc:
                add_transition_errors(form, exc)
                messages.error(request, reason_of(exc))
            else:
                messages.success(request, gettext("«%(action)s»: done.") % {"action": option.label})
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{option.label}: {amendment.application}",
            "option": option,
            "form": form,
            "back_url": change_url,
        }
        return TemplateResponse(request, "admin/grants/amendment/form.html", context)

    def _application(self, request, application_id):
        return get_object_or_404(
            selectors.applications_for(request.user).select_related("municipality"), pk=application_id
        )

    def request_view(self, request, application_id):
        app = self._application(request, application_id)
        if not roles.is_officer(request.user):
            raise PermissionDenied
        back = reverse("admin:grants_application_change", args=[app.pk])
        form = AmendmentRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                amendment = amendment_services.amendment_request(
                    application=app,
                    actor=request.user,
                    justification=data["justification"],
                    budget=data.get("budget"),
                    selections=data.get("selections"),
                    end_date=data.get("end_date"),
                    channel=Channel.ADMIN,
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, gettext("The amendment was requested."))
                return HttpResponseRedirect(reverse("admin:grants_amendment_change", args=[amendment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Request an amendment: %(a)s") % {"a": app},
            "form": form,
            "back_url": back,
            "submit_label": gettext("Request the amendment"),
        }
        return TemplateResponse(request, "admin/grants/amendment/form.html", context)

    def targets_view(self, request, application_id):
        app = self._application(request, application_id)
        if not roles.is_officer(request.user):
            raise PermissionDenied
        back = reverse("admin:grants_application_change", args=[app.pk])
        current = {r.code: r.target for r in indicator_services.indicator_rows(app)}
        form = IndicatorTargetsForm(request.POST or None, current=current)
        if request.method == "POST" and form.is_valid():
            try:
                for code in Indicator.values:
                    if form.cleaned_data.get(code) is not None:
                        indicator_services.indicator_target_set(
                            application=app,
                            code=code,
                            target=form.cleaned_data[code],
                            actor=request.user,
                            channel=Channel.ADMIN,
                        )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, gettext("The indicators' targets were saved."))
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Indicator targets: %(a)s") % {"a": app},
            "form": form,
            "back_url": back,
            "submit_label": gettext("Save"),
        }
        return TemplateResponse(request, "admin/grants/amendment/form.html", context)
