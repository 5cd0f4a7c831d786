"""Portal views: thin. They look objects up through the scoping selectors (grants.portal.access),
call the services and the workflow, and put the refusals back on the form. Each page loads its rows in
a fixed number of queries (select_related / one query per list), whatever the number of selections."""

import json
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from grants import checklist, deadlines, desk, history, selectors
from grants.amounts import parse_typed_amount
from grants.models import ApplicationStatus, Channel, MunicipalityAccount, Programme
from grants.services import application_get_or_create
from grants.text import fold
from grants.version_check import StaleVersion, application_at_version
from grants.workflow import TransitionError, available_actions, submission_is_current, transition
from projects import services as selection_services
from projects.catalogue_text import for_municipalities
from projects.models import CatalogueProject, Category
from projects.services import SelectionError

from . import presenters
from .access import municipality_required, own_application, own_selection
from .forms import CatalogueSearchForm, NoteForm, SelectionForm, SubmitForm
from .pdf import application_pdf


def _actions(application, user) -> dict:
    return {a.name: a for a in available_actions(application, user, channel=Channel.PORTAL)}


def _selections(application):
    return list(application.selections.select_related("project__category"))


def _bar(application, selections) -> presenters.CapBar:
    total = sum((s.amount for s in selections), Decimal("0"))
    return presenters.CapBar(total=total, cap=application.programme.cap_for(application.municipality))


@municipality_required
def home(request):
    municipality = request.municipality
    applications = {a.programme_id: a for a in selectors.applications_for(request.user)}
    programmes = Programme.objects.prefetch_related(
        Prefetch("cap_overrides", queryset=municipality.cap_overrides.all(), to_attr="own_overrides")
    )
    events = list(
        selectors.audit_events_for(request.user)
        .filter(application__in=list(applications.values()))
        .order_by("created_at", "id")
    )
    names = history.names_for(events, presenters.NAMED_KEYS)
    own_users = set(
        MunicipalityAccount.objects.filter(municipality=municipality).values_list("user_id", flat=True)
    )
    todos = desk.municipality_todos(applications.values())
    cards = []
    for programme in programmes:
        override = programme.own_overrides[0] if programme.own_overrides else None
        breakdown = programme.cap_breakdown(municipality, override=override)
        application = applications.get(programme.pk)
        own_events = [e for e in events if application and e.application_id == application.pk]
        actions = _actions(application, request.user) if application else {}
        closed = programme.closed_reason()
        cards.append(
            {
                "programme": programme,
                "breakdown": breakdown,
                "application": application,
                "bar": presenters.CapBar(total=application.budget, cap=breakdown.cap)
                if application
                else None,
                "timeline": presenters.timeline(own_events, names, own_users),
                "return_note": presenters.return_note(own_events),
                "next_step": presenters.next_step(application, actions.get("submit"), closed),
                "closed": closed,
                "withdraw": actions.get("withdraw"),
                "todos": todos.get(application.pk, []) if application else [],
            }
        )
    return render(request, "portal/home.html", {"municipality": municipality, "cards": cards})


@municipality_required
@require_POST
def start(request, programme_id):
    programme = get_object_or_404(Programme, pk=programme_id)
    try:
        application, _created = application_get_or_create(
            programme=programme, municipality=request.municipality, actor=request.user, channel=Channel.PORTAL
        )
    except ValidationError as exc:
        # A call not open (yet or any more), or a municipality not eligible: said on the home page.
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:home")
    return redirect("portal:application", pk=application.pk)


@municipality_required
def application_detail(request, pk):
    application = own_application(request, pk)
    selections = _selections(application)
    categories = list(Category.objects.all())
    search = CatalogueSearchForm(request.GET or None, categories=categories)
    catalogue = CatalogueProject.objects.filter(active=True).select_related("category")
    if search.is_valid():
        for term in fold(search.cleaned_data["q"]).split():
            catalogue = catalogue.filter(search_key__contains=term)
        if search.cleaned_data["category"]:
            catalogue = catalogue.filter(category_id=search.cleaned_data["category"])
    chosen = {s.project_id for s in selections}
    groups: dict = {}
    for project in catalogue:
        groups.setdefault(project.category, []).append(project)
    return_note = ""
    if application.status == ApplicationStatus.RETURNED:
        returns = selectors.audit_events_for(request.user).filter(
            application=application, action="workflow.return"
        )
        return_note = presenters.return_note(returns.order_by("-created_at", "-id")[:1])
    return render(
        request,
        "portal/application.html",
        {
            "return_note": return_note,
            "deadlines": deadlines.deadlines_of(application),
            "found": sum(len(p) for p in groups.values()),
            "application": application,
            "selections": selections,
            "bar": _bar(application, selections),
            "editable": presenters.is_editable(application),
            "search": search,
            "groups": groups,
            "chosen": chosen,
            "actions": _actions(application, request.user),
        },
    )


def _selection_form_page(request, application, form, *, project, selection=None):
    selections = _selections(application)
    # Progressive enhancement: with htmx the bar previews the total as the amount is typed.
    form.fields["amount"].widget.attrs.update(
        {
            "hx-get": reverse("portal:cap_bar", args=[application.pk]),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#cap-bar",
            "hx-vals": json.dumps({"selection": selection.pk if selection else ""}),
        }
    )
    return render(
        request,
        "portal/selection_form.html",
        {
            "application": application,
            "project": project,
            "description": for_municipalities(project.description),
            "selection": selection,
            "form": form,
            "bar": _bar(application, selections),
            "editable": presenters.is_editable(application),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@municipality_required
@require_http_methods(["GET", "POST"])
def selection_add(request, pk, project_id):
    application = own_application(request, pk)
    project = get_object_or_404(
        CatalogueProject.objects.select_related("category"), pk=project_id, active=True
    )
    form = SelectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            selection_services.selection_add(
                application=application,
                project=project,
                amount=form.cleaned_data["amount"],
                justification=form.cleaned_data["justification"],
                actor=request.user,
                channel=Channel.PORTAL,
            )
        except SelectionError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Project «%(p)s» added.") % {"p": project.title})
            return redirect(reverse("portal:application", args=[application.pk]) + "#selections")
    return _selection_form_page(request, application, form, project=project)


@municipality_required
@require_http_methods(["GET", "POST"])
def selection_edit(request, pk):
    selection = own_selection(request, pk)
    application = selection.application
    initial = {"amount": selection.amount, "justification": selection.justification}
    form = SelectionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            selection_services.selection_update(
                selection=selection,
                amount=form.cleaned_data["amount"],
                justification=form.cleaned_data["justification"],
                actor=request.user,
                channel=Channel.PORTAL,
            )
        except SelectionError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Project «%(p)s» saved.") % {"p": selection.project.title})
            return redirect(reverse("portal:application", args=[application.pk]) + "#selections")
    return _selection_form_page(request, application, form, project=selection.project, selection=selection)


@municipality_required
@require_http_methods(["GET", "POST"])
def selection_remove(request, pk):
    selection = own_selection(request, pk)
    application = selection.application
    error = ""
    if request.method == "POST":
        try:
            selection_services.selection_remove(
                selection=selection, actor=request.user, channel=Channel.PORTAL
            )
        except SelectionError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Project «%(p)s» removed.") % {"p": selection.project.title})
            return redirect(reverse("portal:application", args=[application.pk]) + "#selections")
    return render(
        request,
        "portal/selection_remove.html",
        {"application": application, "selection": selection, "error": error},
        status=400 if error else 200,
    )


@municipality_required
def cap_bar(request, pk):
    """The bar as it would be with the amount being typed (htmx fragment; the form works without it)."""
    application = own_application(request, pk)
    selections = _selections(application)
    editing = request.GET.get("selection")
    others = [s for s in selections if str(s.pk) != editing]
    total = sum((s.amount for s in others), Decimal("0"))
    try:
        total += max(parse_typed_amount(request.GET.get("amount", "")), Decimal("0"))
    except ValueError:
        total = sum((s.amount for s in selections), Decimal("0"))
    bar = presenters.CapBar(total=total, cap=application.programme.cap_for(application.municipality))
    return render(request, "portal/_cap_bar.html", {"bar": bar, "preview": True})


@municipality_required
@require_http_methods(["GET", "POST"])
def submit(request, pk):
    application = own_application(request, pk)
    form = SubmitForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    changed = _(
        "The application changed after this page was opened (in another tab or by a colleague). "
        "Nothing was submitted: review it again below and submit if it is right."
    )
    if request.method == "POST" and not form.is_valid():
        error, status = changed, 409
    elif request.method == "POST":
        try:
            with application_at_version(application, form.cleaned_data["version"]):
                transition(application, "submit", actor=request.user, channel=Channel.PORTAL)
        except StaleVersion as exc:
            application.refresh_from_db()
            # Submitting is one write: a submitted application one version past the page is this very
            # page sent twice (a double click, a reload), so the clerk gets the receipt, not an error.
            if application.status == ApplicationStatus.SUBMITTED and exc.current == exc.expected + 1:
                return redirect("portal:receipt", pk=application.pk)
            error, status = changed, 409
        except TransitionError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            messages.success(request, _("Your application was submitted."))
            return redirect("portal:receipt", pk=application.pk)
    selections = _selections(application)
    return render(
        request,
        "portal/submit.html",
        {
            "application": application,
            "selections": selections,
            "bar": _bar(application, selections),
            "submit": _actions(application, request.user)["submit"],
            "error": error,
        },
        status=status,
    )


def _submitted(request, pk):
    application = own_application(request, pk)
    if application.submitted_at is None:
        raise Http404("Not submitted yet.")
    return application


@municipality_required
def receipt(request, pk):
    application = _submitted(request, pk)
    current = submission_is_current(application)
    return render(
        request,
        "portal/receipt.html",
        {
            "application": application,
            "pdf_available": current,
            "documents": _submitted_documents(application),
        },
    )


def _submitted_documents(application):
    return list(
        application.documents.select_related("document_type", "project").order_by(
            "document_type__order", "id"
        )
    )


@municipality_required
def receipt_pdf(request, pk):
    application = _submitted(request, pk)
    selections = _selections(application)
    # The PDF proves what was submitted: once a returned application is edited, its old content is
    # no longer on file, so no PDF is produced until it is submitted again.
    if not submission_is_current(application):
        raise Http404("Changed since submission.")
    pdf = application_pdf(
        application, selections, _submitted_documents(application), checklist.rows(application)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{application.tracking_number}.pdf"'
    return response


@municipality_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk):
    application = own_application(request, pk)
    form = NoteForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            transition(
                application,
                "withdraw",
                actor=request.user,
                note=form.cleaned_data["note"],
                channel=Channel.PORTAL,
            )
        except TransitionError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Your application was withdrawn."))
            return redirect("portal:home")
    return render(
        request,
        "portal/withdraw.html",
        {
            "application": application,
            "form": form,
            "withdraw": _actions(application, request.user)["withdraw"],
            "error": error,
        },
        status=400 if error else 200,
    )


def accessibility(request):
    # Public on purpose: the statement must be readable before signing in.
    return render(request, "portal/accessibility.html")
