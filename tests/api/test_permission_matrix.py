"""Every endpoint × method × role, generated from the API's URL configuration: an endpoint or a
method added without a rule in EXPECTED fails test_every_endpoint_has_a_rule (and its own cases)."""

import pytest
from django.db import transaction
from django.urls import URLPattern, reverse

from grants.api import urls as api_urls
from grants.models import Application
from projects.models import Selection
from tests.conftest import PASSWORD

from .conftest import ROLES

ANON, A, B, OFF, APP, AUD = ROLES


def endpoints():
    """(url name, HTTP method) for every route in grants.api.urls."""
    found = []
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), "nested includes need walking here"
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        if actions:
            methods = actions.keys()
        else:
            view = callback.view_class
            methods = [m for m in view.http_method_names if hasattr(view, m)]
        # HEAD mirrors GET and OPTIONS describes; neither reaches a rule of its own.
        found += [(pattern.name, m.upper()) for m in methods if m not in ("head", "options")]
    return sorted(found)


def status(anon, a, b, officer, approver, auditor):
    return dict(zip(ROLES, (anon, a, b, officer, approver, auditor), strict=True))


def everyone(code, anon=401):
    return status(anon, code, code, code, code, code)


# Objects of municipality A: B gets a 404 (scoping), staff see them.
A_ONLY_READ = status(401, 200, 404, 200, 200, 200)
OFFICER_WRITES = status(401, 403, 403, 201, 403, 403)
OFFICER_UPDATES = status(401, 403, 403, 200, 403, 403)
SELECTION_WRITE = status(401, 200, 404, 200, 403, 403)

CATEGORY = {"order": 7, "title_el": "Νέα κατηγορία", "title_en": "New category"}
PROJECT = {"code": "N01", "title_el": "Νέο έργο", "title_en": "New project", "category": 1}

# (url name, method): (expected status by role, request body or None)
EXPECTED = {
    ("auth-token", "POST"): (status(400, 200, 200, 200, 200, 200), "credentials"),
    ("auth-token", "DELETE"): (everyone(204), None),
    ("municipality-list", "GET"): (everyone(200), None),
    ("municipality-detail", "GET"): (A_ONLY_READ, None),
    ("category-list", "GET"): (everyone(200), None),
    ("category-list", "POST"): (OFFICER_WRITES, CATEGORY),
    ("category-detail", "GET"): (everyone(200), None),
    ("category-detail", "PUT"): (OFFICER_UPDATES, {**CATEGORY, "order": 1}),
    ("category-detail", "PATCH"): (OFFICER_UPDATES, {"title_en": "Renamed"}),
    ("catalogue-list", "GET"): (everyone(200), None),
    ("catalogue-list", "POST"): (OFFICER_WRITES, PROJECT),
    ("catalogue-detail", "GET"): (everyone(200), None),
    ("catalogue-detail", "PUT"): (OFFICER_UPDATES, {**PROJECT, "code": "T01"}),
    ("catalogue-detail", "PATCH"): (OFFICER_UPDATES, {"active": False}),
    ("programme-list", "GET"): (everyone(200), None),
    ("programme-detail", "GET"): (everyone(200), None),
    ("application-list", "GET"): (everyone(200), None),
    # A already has its draft (200); B opens one (201); staff do not create for a municipality.
    ("application-list", "POST"): (status(401, 200, 201, 403, 403, 403), {"programme": "SMART-CITIES"}),
    ("application-detail", "GET"): (A_ONLY_READ, None),
    ("selection-list", "GET"): (A_ONLY_READ, None),
    ("selection-list", "POST"): (
        status(401, 201, 404, 201, 403, 403),
        {"project": "T02", "amount": "1000.00", "justification": "Αιτιολόγηση"},
    ),
    ("selection-detail", "GET"): (A_ONLY_READ, None),
    ("selection-detail", "PUT"): (SELECTION_WRITE, {"amount": "2000.00", "justification": "Αιτιολόγηση"}),
    ("selection-detail", "PATCH"): (SELECTION_WRITE, {"amount": "2000.00"}),
    ("selection-detail", "DELETE"): (status(401, 204, 404, 204, 403, 403), None),
    ("application-transitions", "GET"): (A_ONLY_READ, None),
    # The approver may act on applications, but submitting is not theirs: the workflow says 409.
    ("application-transitions", "POST"): (status(401, 200, 404, 200, 409, 403), {"action": "submit"}),
    ("application-history", "GET"): (A_ONLY_READ, None),
    ("export-list", "GET"): (everyone(200), None),
    # Every role may ask for the operations (a municipality gets its own rows).
    ("export-list", "POST"): (everyone(202), {"report": "operations", "format": "csv", "filters": {}}),
    # A job is its owner's alone: staff too get a 404 for municipality A's job.
    ("export-detail", "GET"): (status(401, 200, 404, 404, 404, 404), None),
    ("export-download", "GET"): (status(401, 200, 404, 404, 404, 404), None),
    ("report-popularity", "GET"): (everyone(200), None),
    ("report-budgets", "GET"): (everyone(200), None),
    ("schema", "GET"): (everyone(200, anon=200), None),
    ("docs", "GET"): (everyone(200, anon=200), None),
}


def test_every_endpoint_has_a_rule():
    assert set(endpoints()) == set(EXPECTED), (
        f"without a rule: {sorted(set(endpoints()) - set(EXPECTED))}; "
        f"rules for nothing: {sorted(set(EXPECTED) - set(endpoints()))}"
    )


def _kwargs(name, application, category, export):
    selection = Selection.objects.filter(application=application).first()
    return {
        "municipality-detail": {"pk": application.municipality_id},
        "category-detail": {"pk": category.pk},
        "catalogue-detail": {"pk": selection.project_id},
        "programme-detail": {"pk": application.programme_id},
        "application-detail": {"pk": application.pk},
        "selection-list": {"application_pk": application.pk},
        "selection-detail": {"application_pk": application.pk, "pk": selection.pk},
        "application-transitions": {"application_pk": application.pk},
        "application-history": {"application_pk": application.pk},
        "export-detail": {"pk": export.pk},
        "export-download": {"pk": export.pk},
    }.get(name, {})


@pytest.fixture
def export_a(kalamata_user, application_a, private_root):
    """Municipality A's finished export (tasks run in the process without a broker)."""
    from grants.exports import services
    from grants.models import Channel, ExportJob

    job = services.export_job_create(
        owner=kalamata_user, report="operations", fmt="csv", filters={}, channel=Channel.API
    )
    services.export_job_build(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


@pytest.mark.parametrize(("name", "method"), endpoints())
def test_permission_matrix(name, method, clients, users, application_a, category, export_a):
    expected, body = EXPECTED[(name, method)]
    url = reverse(f"api:{name}", kwargs=_kwargs(name, application_a, category, export_a))
    answered, details = {}, {}
    for role in ROLES:
        data = body
        if body == "credentials":
            user = users[role]
            data = {"username": user.username if user else "nobody", "password": PASSWORD}
        # Each role meets the same world: its writes are rolled back before the next role asks.
        with transaction.atomic():
            response = getattr(clients[role], method.lower())(url, data, format="json")
            transaction.set_rollback(True)
        answered[role] = response.status_code
        details[role] = getattr(response, "data", None)
    assert answered == expected, details


@pytest.mark.parametrize("role", [B, AUD, APP])
def test_refused_writes_change_nothing(role, clients, application_a):
    before = (Application.objects.get(pk=application_a.pk).version, Selection.objects.count())
    url = reverse("api:selection-list", kwargs={"application_pk": application_a.pk})
    clients[role].post(url, {"project": "T02", "amount": "1000.00"}, format="json")
    url = reverse("api:application-transitions", kwargs={"application_pk": application_a.pk})
    clients[role].post(url, {"action": "withdraw"}, format="json")
    assert (Application.objects.get(pk=application_a.pk).version, Selection.objects.count()) == before
