"""The municipality's side after inclusion (issue 14): the operation page (the versions of the
decision with the inclusion and current budget, its amendments, the progress of each project and the
indicators), requesting an amendment, recording a project's stage and reporting an indicator's value.
Thin: scoped lookups (grants.portal.access), writes through grants.delivery, refusals on the form."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from grants.amounts import AmountField, parse_typed_amount, typed_form
from grants.delivery import amendments as amendment_services
from grants.delivery import indicators as indicator_services
from grants.delivery import progress as progress_services
from grants.models import Amendment, AmendmentState, Channel, DecisionVersion, Indicator, ProgressStage
from grants.models import ApplicationStatus as S

from .access import municipality_required, own_application
from .forms import SelectionForm

# An operation has this page once it has been decided (included, completed, or de-included later).
DECIDED = (S.INCLUDED, S.COMPLETED, S.DEINCLUDED)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmendmentForm(forms.Form):
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        help_text=gettext_lazy("Why the decision should change (up to 5,000 characters)."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    budget = AmountField(
        label=gettext_lazy("New budget (€)"),
        required=False,
        help_text=gettext_lazy("Leave empty to keep it, or to make it the total of the new projects."),
    )
    selections = forms.CharField(
        label=gettext_lazy("Projects and amounts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One project a line: its catalogue code, a space, its amount (e.g. T01 12.500,00). "
            "Change an amount, delete a line to remove a project, add a line to add one."
        ),
    )
    end_date = forms.DateField(
        label=gettext_lazy("New expected end date"), required=False, widget=DATE_WIDGET
    )

    add_service_error = SelectionForm.add_service_error

    def selection_rows(self):
        """The lines as [{"project", "amount"}], amounts read as people of the page's language type
        them; one that does not read is passed on as typed, for the service to name its row."""
        rows = []
        for line in (self.cleaned_data.get("selections") or "").splitlines():
            if line.strip():
                code, _sep, amount = line.strip().partition(" ")
                try:
                    value = parse_typed_amount(amount.strip())
                except (ValueError, ArithmeticError):
                    value = amount.strip()
                rows.append({"project": code.strip(), "amount": value})
        return rows


class ProgressForm(forms.Form):
    project = forms.CharField(widget=forms.HiddenInput, max_length=20)
    stage = forms.ChoiceField(label=gettext_lazy("Stage"), choices=ProgressStage.choices)
    date = forms.DateField(label=gettext_lazy("Date reached"), required=False, widget=DATE_WIDGET)


class IndicatorForm(forms.Form):
    code = forms.ChoiceField(label=gettext_lazy("Indicator"), choices=Indicator.choices)
    achieved = forms.IntegerField(label=gettext_lazy("Achieved value"), min_value=0)
    measured_on = forms.DateField(label=gettext_lazy("Measured on"), widget=DATE_WIDGET)
    evidence = forms.CharField(
        label=gettext_lazy("Evidence"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What the value rests on: a report, a system's statistics."),
    )
    add_service_error = SelectionForm.add_service_error


@municipality_required
def operation(request, pk):
    application = own_application(request, pk)
    versions = list(DecisionVersion.objects.filter(application=application).order_by("version"))
    amendments = list(Amendment.objects.filter(application=application).order_by("-requested_at", "-id"))
    rows = progress_services.progress_rows(application)
    included = application.status == S.INCLUDED
    return render(
        request,
        "portal/operation.html",
        {
            "application": application,
            "versions": versions,
            "inclusion_budget": versions[0].budget if versions else None,
            "amendments": amendments,
            "open_amendment": any(
                a.state in (AmendmentState.REQUESTED, AmendmentState.PROPOSED) for a in amendments
            ),
            "progress": [
                (row, ProgressForm(initial={"project": row.project, "stage": row.stage}, prefix=row.project))
                for row in rows
            ],
            "indicators": indicator_services.indicator_rows(application),
            "may_change": included,
            "may_report": application.status in indicator_services.REPORT_STATUSES,
        },
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def amendment_new(request, pk):
    application = own_application(request, pk)
    back = reverse("portal:operation", args=[application.pk])
    current = [
        (s.project.code, s.amount)
        for s in application.selections.select_related("project").order_by("project__code")
    ]
    current_text = "\n".join(f"{code} {typed_form(amount)}" for code, amount in current)
    form = AmendmentForm(request.POST or None, initial={"selections": current_text})
    error = ""
    if application.status != S.INCLUDED:
        error = _("Only an included operation can be amended (now: %(s)s).") % {
            "s": application.get_status_display()
        }
    elif request.method == "POST" and form.is_valid():
        rows = form.selection_rows()
        unchanged = rows == [{"project": c, "amount": a} for c, a in current]
        try:
            amendment_services.amendment_request(
                application=application,
                actor=request.user,
                justification=form.cleaned_data["justification"],
                budget=form.cleaned_data.get("budget"),
                selections=None if unchanged else rows,
                end_date=form.cleaned_data.get("end_date"),
                channel=Channel.PORTAL,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your request for an amendment was sent to the managing authority."))
            return redirect(back + "#amendments")
    return render(
        request,
        "portal/amendment_form.html",
        {"application": application, "form": form, "error": error, "back": back},
        status=400 if form.is_bound and form.errors else 200,
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def progress_set(request, pk):
    """GET: each selected project with a form to record the stage it reached. POST: one project's."""
    application = own_application(request, pk)
    here = reverse("portal:progress_set", args=[application.pk])
    if request.method == "POST":
        project = request.POST.get("project", "")[:20]
        form = ProgressForm(request.POST, prefix=project)
        if not form.is_valid():
            messages.error(
                request, " ".join(f"{form[f].label}: {' '.join(e)}" for f, e in form.errors.items())
            )
            return redirect(here)
        try:
            progress_services.progress_set(
                application=application,
                project=form.cleaned_data["project"],
                stage=form.cleaned_data["stage"],
                date=form.cleaned_data.get("date"),
                actor=request.user,
                channel=Channel.PORTAL,
            )
        except ValidationError as exc:
            messages.error(request, f"{form.cleaned_data['project']}: {' '.join(exc.messages)}")
        else:
            messages.success(
                request, _("The progress of %(p)s was recorded.") % {"p": form.cleaned_data["project"]}
            )
        return redirect(here)
    rows = progress_services.progress_rows(application)
    return render(
        request,
        "portal/progress.html",
        {
            "application": application,
            "may_change": application.status == S.INCLUDED,
            "progress": [
                (row, ProgressForm(initial={"project": row.project, "stage": row.stage}, prefix=row.project))
                for row in rows
            ],
            "back": reverse("portal:operation", args=[application.pk]),
        },
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def indicator_report(request, pk):
    application = own_application(request, pk)
    back = reverse("portal:operation", args=[application.pk])
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            indicator_services.indicator_report(
                application=application, actor=request.user, channel=Channel.PORTAL, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The value was recorded."))
            return redirect(back + "#indicators")
    return render(
        request,
        "portal/indicator_form.html",
        {"application": application, "form": form, "back": back},
        status=400 if form.is_bound and form.errors else 200,
    )
