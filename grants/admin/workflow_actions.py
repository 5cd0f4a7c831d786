"""The workflow in the admin: on the application page, a button and a small form for each action the
user may take now (and the reason for the others); on the list, bulk actions that apply the same
rules item by item. Every change goes through grants.workflow.transition — nothing here writes a
status or re-implements a guard."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grants import workflow
from grants.amounts import AmountField
from grants.models import Channel

DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_widget():
    """The browser's own date picker (it shows dd/mm/yyyy in a Greek browser and sends ISO dates);
    a date typed as «02/07/2024» is still understood."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


FIELDS = {
    # Typed as people type amounts («695.800,00» in Greek), read by the portal's and the importer's parser.
    "budget": lambda required: AmountField(label=_("budget (€)"), required=required),
    "inclusion_date": lambda required: forms.DateField(
        label=_("inclusion date"),
        required=required,
        input_formats=DATE_INPUTS,
        widget=date_widget(),
    ),
    "end_date": lambda required: forms.DateField(
        label=_("expected end date"),
        required=required,
        input_formats=DATE_INPUTS,
        widget=date_widget(),
    ),
    "decision_ada": lambda required: forms.CharField(
        label=_("decision ΑΔΑ"),
        required=required,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "ΕΨΚ446ΜΤΛ6-ΡΞΥ"}),
    ),
    "mis_code": lambda required: forms.CharField(label=_("MIS code"), required=required, max_length=20),
    # A return's list for the municipality, one item a line, and the date it answers by (empty: the
    # programme's default number of days from today).
    "requested_items": lambda required: forms.CharField(
        label=_("requested items (one a line)"),
        required=required,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    ),
    "response_due": lambda required: forms.DateField(
        label=_("response deadline"),
        required=required,
        input_formats=DATE_INPUTS,
        help_text=_("Empty: the programme's number of days from today."),
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "size": 10}),
    ),
    "decision_date": lambda required: forms.DateField(
        label=_("decision date"),
        required=required,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "size": 10}),
    ),
}
# Values that belong to one application, not to a batch: a bulk form never asks for them.
PER_APPLICATION = {"budget", "mis_code", "end_date", "requested_items"}


def action_form_class(action, *, bulk=False) -> type[forms.Form]:
    """A form with the action's note and fields; `action` is a workflow Action or ActionOption."""
    attrs = {
        "note": forms.CharField(
            label=_("note (required)") if action.note_required else _("note"),
            required=action.note_required,
            widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        )
    }
    for name in action.fields:
        attrs[name] = FIELDS[name](True)
    for name in action.optional_fields:
        if not (bulk and name in PER_APPLICATION):
            attrs[name] = FIELDS[name](False)
    for field in attrs.values():
        field.label = capfirst(field.label)  # «Σημείωση», not «σημείωση»: labels in sentence case
    return type(f"{action.name.title()}Form", (forms.Form,), attrs)


def transition_kwargs(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k != "note" and v not in (None, "")}


def add_transition_errors(form, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, msgs in errors.items():
        form.add_error(field if field in form.fields else None, msgs)


def reason_of(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def bulk_actions():
    """One admin action per workflow action that staff take (withdrawing is the municipality's)."""
    made = []
    for spec in workflow.ACTIONS.values():
        if not spec.listed or not {workflow.OFFICER, workflow.APPROVER} & set(spec.roles):
            continue

        def bulk(modeladmin, request, queryset, _name=spec.name):
            return modeladmin.bulk_transition(request, queryset, _name)

        bulk.__name__ = f"workflow_{spec.name}"
        made.append(admin.action(description=spec.label, permissions=["change"])(bulk))
    return made


class WorkflowAdminMixin:
    """For ApplicationAdmin: the per-application transition view and the bulk actions."""

    transition_template = "admin/grants/application/transition.html"
    bulk_template = "admin/grants/application/bulk_transition.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        extra = [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            )
        ]
        return extra + super().get_urls()

    # -- the application page -----------------------------------------------------------------

    def workflow_panel(self, request, obj):
        """What the change page shows: each listed action, allowed (with its form) or not (why)."""
        may_change = self.has_change_permission(request, obj)
        panel = []
        for option in workflow.available_actions(obj, request.user, channel=Channel.ADMIN):
            allowed = option.allowed and may_change
            reason = option.reason or ("" if may_change else gettext("You may only view applications."))
            panel.append(
                {
                    "option": option,
                    "allowed": allowed,
                    "reason": reason,
                    "form": action_form_class(option)(prefix=option.name) if allowed else None,
                    "url": reverse(
                        "admin:grants_application_transition",
                        args=[obj.pk, option.name],
                        current_app=self.admin_site.name,
                    ),
                }
            )
        return panel

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            panel = self.workflow_panel(request, obj)
            extra_context["workflow_panel"] = panel
            extra_context["workflow_unavailable"] = [item for item in panel if not item["allowed"]]
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, action):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        option = next((o for o in workflow.available_actions(obj, request.user) if o.name == action), None)
        if option is None:
            raise Http404
        form_class = action_form_class(option)
        change_url = reverse(
            "admin:grants_application_change", args=[obj.pk], current_app=self.admin_site.name
        )
        if request.method == "POST":
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
            form = form_class(request.POST, prefix=option.name)
            if form.is_valid():
                try:
                    workflow.transition(
                        obj,
                        action,
                        actor=request.user,
                        note=form.cleaned_data["note"],
                        channel=Channel.ADMIN,
                        **transition_kwargs(form),
                    )
                except workflow.TransitionError as exc:
                    add_transition_errors(form, exc)
                    messages.error(request, reason_of(exc))
                else:
                    messages.success(
                        request,
                        gettext("«%(action)s»: the application is now «%(status)s».")
                        % {"action": option.label, "status": obj.get_status_display()},
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = form_class(prefix=option.name)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{option.label}: {obj}",
            "original": obj,
            "option": option,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, self.transition_template, context)

    # -- bulk actions on the list -------------------------------------------------------------

    def bulk_transition(self, request, queryset, action):
        spec = workflow.ACTIONS[action]
        form_class = action_form_class(spec, bulk=True)
        needs_form = spec.note_required or bool(spec.fields)
        if needs_form and "apply" not in request.POST:
            form = form_class()
        elif needs_form:
            form = form_class(request.POST)
        else:
            form = None
        if form is not None and not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": spec.label,
                "spec": spec,
                "form": form,
                "queryset": queryset.select_related("municipality"),
                "action_name": f"workflow_{action}",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(request, self.bulk_template, context)

        note = form.cleaned_data["note"] if form is not None else ""
        fields = transition_kwargs(form) if form is not None else {}
        done, refused = 0, []
        # Item by item through the one entry point: each is locked, checked and audited on its own,
        # so one refusal (four eyes, a cap, a status) never blocks or undoes the others.
        for app in queryset.select_related("municipality", "programme"):
            try:
                workflow.transition(
                    app, action, actor=request.user, note=note, channel=Channel.ADMIN, **fields
                )
                done += 1
            except workflow.TransitionError as exc:
                refused.append(f"{app.municipality}: {reason_of(exc)}")
        self.report_bulk(request, spec, done, refused)
        return None

    def report_bulk(self, request, spec, done, refused):
        text = gettext("«%(action)s»: %(done)d now «%(status)s», %(refused)d refused") % {
            "action": spec.label,
            "done": done,
            "status": workflow.S(spec.target).label,
            "refused": len(refused),
        }
        if refused:
            text += ": " + "; ".join(refused)
        level = messages.SUCCESS if not refused else (messages.WARNING if done else messages.ERROR)
        self.message_user(request, text, level=level)
