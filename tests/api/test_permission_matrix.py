"""Every endpoint × method × role, generated from the API's URL configuration: an endpoint or a
method added without a rule in EXPECTED fails test_every_endpoint_has_a_rule (and its own cases)."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import URLPattern, reverse

from grants.api import urls as api_urls
from grants.models import Application
from projects.models import Selection
from tests import files
from tests.conftest import (
    PASSWORD,
    make_catalogue,
    make_category,
    make_document_types,
    make_kalamata,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    per_test,
)

from .conftest import ROLES, make_application_a, make_conversation_a, make_export_a, make_role_users
from .test_money_permission_matrix import MONEY_EXPECTED

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
    ("document-type-list", "GET"): (everyone(200), None),
    ("document-list", "GET"): (A_ONLY_READ, None),
    # Only the municipality adds and removes its documents; staff read them.
    ("document-list", "POST"): (status(401, 201, 404, 403, 403, 403), "upload"),
    ("document-detail", "GET"): (A_ONLY_READ, None),
    ("document-detail", "DELETE"): (status(401, 204, 404, 403, 403, 403), None),
    ("document-download", "GET"): (A_ONLY_READ, None),
    ("message-list", "GET"): (A_ONLY_READ, None),
    # Both sides write in the thread; auditors read it.
    ("message-list", "POST"): (status(401, 201, 404, 201, 201, 403), {"body": "Ερώτηση;"}),
    ("message-attachment-download", "GET"): (A_ONLY_READ, None),
    # Everyone reads their own inbox; a notification is its recipient's alone (A's here).
    ("notification-list", "GET"): (everyone(200), None),
    ("notification-read", "POST"): (status(401, 200, 404, 404, 404, 404), None),
    ("application-checklist", "GET"): (A_ONLY_READ, None),
    # Officers answer, and only during the review: A's draft is not under review, so the officer passes
    # the role check and meets the 409 (tests/api/test_checklist.py has the officer's 200).
    ("application-checklist", "PUT"): (
        status(401, 403, 404, 409, 403, 403),
        [{"criterion": "eligible_beneficiary", "answer": "yes", "comment": ""}],
    ),
    # Issue 14, the decision side, on A's draft (tests/delivery/test_api.py walks an included operation):
    # the role is checked first (403), then scoping (404), then the state of things (409).
    ("application-decisions", "GET"): (A_ONLY_READ, None),
    ("application-amendments", "GET"): (A_ONLY_READ, None),
    ("application-amendments", "POST"): (
        status(401, 409, 404, 409, 403, 403),
        {"justification": "Αιτιολόγηση", "budget": "20000.00"},
    ),
    ("amendment-detail", "GET"): (A_ONLY_READ, None),
    ("amendment-transitions", "GET"): (A_ONLY_READ, None),
    ("amendment-transitions", "POST"): (status(401, 409, 404, 409, 409, 403), {"action": "propose"}),
    ("application-progress", "GET"): (A_ONLY_READ, None),
    ("application-progress", "POST"): (
        status(401, 409, 404, 403, 403, 403),
        {"project": "T01", "stage": "procurement", "date": "2025-01-01"},
    ),
    ("application-indicators", "GET"): (A_ONLY_READ, None),
    ("application-indicators", "POST"): (
        status(401, 409, 404, 409, 403, 403),
        {"code": "RCO14", "target": 1},
    ),
    ("indicator-totals", "GET"): (everyone(200), None),
    ("report-popularity", "GET"): (everyone(200), None),
    ("report-budgets", "GET"): (everyone(200), None),
    ("schema", "GET"): (everyone(200, anon=200), None),
    ("docs", "GET"): (everyone(200, anon=200), None),
}


def test_every_endpoint_has_a_rule():
    # The money chain's endpoints have their rules, and their world, in test_money_permission_matrix.
    rules = set(EXPECTED) | set(MONEY_EXPECTED)
    assert set(endpoints()) == rules, (
        f"without a rule: {sorted(set(endpoints()) - rules)}; "
        f"rules for nothing: {sorted(rules - set(endpoints()))}"
    )


def _amendment(application):
    """Test set-up: an amendment of A's application (the service wants it included, the matrix a draft)."""
    from grants.models import Amendment

    user = User.objects.get(username="kalamata")
    return Amendment.objects.get_or_create(
        application=application, defaults={"justification": "Αιτιολόγηση", "budget": 1, "requested_by": user}
    )[0]


def _kwargs(name, application, category, export, conversation=None, notification=None):
    selection = Selection.objects.filter(application=application).first()
    conversation = conversation or {}
    document, message, attachment = (conversation.get(k) for k in ("document", "message", "attachment"))
    if name.startswith("amendment-"):
        return {"application_pk": application.pk, "pk": _amendment(application).pk}
    if name in (
        "application-decisions",
        "application-amendments",
        "application-progress",
        "application-indicators",
    ):
        return {"application_pk": application.pk}
    return {
        "document-list": {"application_pk": application.pk},
        "document-detail": {"application_pk": application.pk, "pk": getattr(document, "pk", 0)},
        "document-download": {"application_pk": application.pk, "pk": getattr(document, "pk", 0)},
        "message-list": {"application_pk": application.pk},
        "message-attachment-download": {
            "application_pk": application.pk,
            "message_pk": getattr(message, "pk", 0),
            "pk": getattr(attachment, "pk", 0),
        },
        "municipality-detail": {"pk": application.municipality_id},
        "category-detail": {"pk": category.pk},
        "catalogue-detail": {"pk": selection.project_id},
        "programme-detail": {"pk": application.programme_id},
        "application-detail": {"pk": application.pk},
        "selection-list": {"application_pk": application.pk},
        "selection-detail": {"application_pk": application.pk, "pk": selection.pk},
        "application-transitions": {"application_pk": application.pk},
        "application-history": {"application_pk": application.pk},
        "application-checklist": {"application_pk": application.pk},
        "export-detail": {"pk": export.pk},
        "export-download": {"pk": export.pk},
        "notification-read": {"pk": notification.pk if notification else 0},
    }.get(name, {})


@pytest.fixture(scope="module")
def built(module_db, module_private_root):
    """The matrix's world, built once for the module (tests/conftest.py: module_db): every role meets
    it as built, since each test's writes, and each role's, are rolled back."""
    from grants.models import Notification

    with module_db.unblock():
        regional_unit = make_regional_unit(make_region())
        programme = make_programme()
        kalamata, pyli = make_kalamata(regional_unit), make_pyli(regional_unit)
        category = make_category()
        catalogue = make_catalogue(category)
        users = make_role_users(kalamata, pyli)
        application_a = make_application_a(programme, kalamata, catalogue)
        export_a = make_export_a(users[A])
        conversation_a = make_conversation_a(application_a, users[A], make_document_types(programme))
        notification_a = Notification.objects.create(
            recipient=users[A], kind="status", application=application_a
        )
    return {
        "users": users,
        "application_a": application_a,
        "category": category,
        "export_a": export_a,
        "conversation_a": conversation_a,
        "notification_a": notification_a,
    }


users, application_a, category, export_a, conversation_a, notification_a = (
    per_test(name, "built")
    for name in ("users", "application_a", "category", "export_a", "conversation_a", "notification_a")
)


@pytest.mark.parametrize(("name", "method"), [e for e in endpoints() if e not in MONEY_EXPECTED])
def test_permission_matrix(
    name, method, clients, users, application_a, category, export_a, conversation_a, notification_a
):
    expected, body = EXPECTED[(name, method)]
    kwargs = _kwargs(name, application_a, category, export_a, conversation_a, notification_a)
    url = reverse(f"api:{name}", kwargs=kwargs)
    answered, responses = {}, {}
    for role in ROLES:
        data, fmt = body, "json"
        if body == "credentials":
            user = users[role]
            data = {"username": user.username if user else "nobody", "password": PASSWORD}
        if body == "upload":
            data, fmt = {"kind": "council-decision", "file": files.upload()}, "multipart"
        # Each role meets the same world: its writes are rolled back before the next role asks.
        with transaction.atomic():
            response = getattr(clients[role], method.lower())(url, data, format=fmt)
            transaction.set_rollback(True)
        answered[role] = response.status_code
        responses[role] = response
    # The answers' data only for the message of a failure (the schema's is a copy of a large document).
    assert answered == expected, {role: getattr(r, "data", None) for role, r in responses.items()}


@pytest.mark.parametrize("role", [B, AUD, APP])
def test_refused_writes_change_nothing(role, clients, application_a):
    before = (Application.objects.get(pk=application_a.pk).version, Selection.objects.count())
    url = reverse("api:selection-list", kwargs={"application_pk": application_a.pk})
    clients[role].post(url, {"project": "T02", "amount": "1000.00"}, format="json")
    url = reverse("api:application-transitions", kwargs={"application_pk": application_a.pk})
    clients[role].post(url, {"action": "withdraw"}, format="json")
    assert (Application.objects.get(pk=application_a.pk).version, Selection.objects.count()) == before
