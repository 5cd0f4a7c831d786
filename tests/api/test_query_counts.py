"""Every list endpoint runs the same number of queries whatever the rows and the page size. The list
endpoints are found in the URL configuration, so a new one is measured without being named here."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import services
from grants.imports import matching
from grants.models import ExportJob, Notification, Programme, Region, RegionalUnit, RegionCategory
from projects import services as project_services
from projects.models import CatalogueProject, Category
from tests.conftest import (
    make_catalogue,
    make_category,
    make_document_types,
    make_kalamata,
    make_municipality,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    per_test,
)

from .conftest import make_application_a, make_conversation_a, make_role_users
from .test_money_permission_matrix import MONEY_EXPECTED
from .test_permission_matrix import endpoints

LIST_ENDPOINTS = sorted(
    name
    for name, method in endpoints()
    if method == "GET"
    and (name.endswith("-list") or name.startswith("report-") or name.endswith("-history"))
    # The money chain's lists need an included operation: measured in test_money_query_counts.
    and (name, method) not in MONEY_EXPECTED
)


def grow(application, regional_unit, programme, catalogue):
    """More of every row a list shows: municipalities, applications, selections, history, catalogue,
    everyone's export jobs."""
    region = Region.objects.create(code="EL43", name="ΚΡΗΤΗΣ", category=RegionCategory.TRANSITION)
    elsewhere = RegionalUnit.objects.create(code="91", name="Ηρακλείου", region=region)
    for i in range(6):
        unit = regional_unit if i % 2 else elsewhere
        municipality = make_municipality(unit, f"44{50 + i}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {i}", 5000 + i)
        other, _ = services.application_get_or_create(programme=programme, municipality=municipality)
        for project in catalogue[:2]:
            project_services.selection_add(application=other, project=project, amount=Decimal("10.00"))
    for project in catalogue[2:8]:
        project_services.selection_add(application=application, project=project, amount=Decimal("100.00"))
    for i in range(4):
        category = Category.objects.create(order=10 + i, title_el=f"Κ{i}", title_en=f"C{i}")
        CatalogueProject.objects.create(code=f"X{i}", title_el="Χ", title_en="X", category=category)
        Programme.objects.create(
            code=f"P{i}", title="Π", managing_authority="Α", total_budget=Decimal("1.00")
        )
    for user in User.objects.all():
        for fmt in ("csv", "xlsx"):
            ExportJob.objects.create(owner=user, report="operations", format=fmt, channel="api")
        for _i in range(2):
            Notification.objects.create(recipient=user, kind="status", application=application)
    # Documents, messages with attachments, document types: more of each.
    from grants import conversation, documents
    from grants.models import DocumentType, MunicipalityAccount
    from tests import files

    clerk = MunicipalityAccount.objects.get(municipality=application.municipality).user
    kinds = list(DocumentType.objects.filter(programme=programme))
    for i in range(5):
        documents.document_upload(
            application=application, document_type=kinds[0], file=files.upload(f"{i}.pdf"), actor=clerk
        )
        conversation.post_message(
            application=application,
            author=clerk,
            body=f"Μήνυμα {i}",
            attachments=[files.upload(f"{i}.pdf"), files.upload(f"{i}b.pdf")],
        )
        DocumentType.objects.create(programme=programme, code=f"extra-{i}", title_el="Χ", title_en="X")


def measure(client, url, page_size):
    # The published names are kept in this process for the registry's version, which a rollback takes
    # back to the module's (module_db): count with none kept, as when each test had a registry of its own.
    matching._PUBLISHED_NAMES.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.data
    return len(queries), len(response.data["results"])


def an_export_each(users):
    """Like the application of A, a first row before anything grows (an empty page skips a query)."""
    for user in users.values():
        if user is not None:
            ExportJob.objects.create(owner=user, report="operations", format="json", channel="api")
            Notification.objects.create(recipient=user, kind="status")


@pytest.fixture(scope="module")
def built(module_db, module_private_root):
    """The rows before anything grows, built once for the module (tests/conftest.py: module_db) in the
    order the tests' fixtures made them; each test grows them in its own savepoint."""
    with module_db.unblock():
        regional_unit = make_regional_unit(make_region())
        programme = make_programme()
        kalamata, pyli = make_kalamata(regional_unit), make_pyli(regional_unit)
        catalogue = make_catalogue(make_category())
        users = make_role_users(kalamata, pyli)
        application_a = make_application_a(programme, kalamata, catalogue)
        an_export_each(users)
        make_conversation_a(application_a, users["municipality_a"], make_document_types(programme))
    return {
        "users": users,
        "application_a": application_a,
        "regional_unit": regional_unit,
        "programme": programme,
        "catalogue": catalogue,
    }


users, application_a, regional_unit, programme, catalogue = (
    per_test(name, "built") for name in ("users", "application_a", "regional_unit", "programme", "catalogue")
)


@pytest.mark.parametrize("role", ["officer", "municipality_a"])
@pytest.mark.parametrize("name", LIST_ENDPOINTS)
def test_list_queries_do_not_grow_with_rows(
    name, role, clients, application_a, regional_unit, programme, catalogue
):
    kwargs = {"application_pk": application_a.pk} if "application_pk" in _route(name) else {}
    url = reverse(f"api:{name}", kwargs=kwargs)
    few_queries, few_rows = measure(clients[role], url, page_size=1)
    grow(application_a, regional_unit, programme, catalogue)
    many_queries, many_rows = measure(clients[role], url, page_size=100)
    assert many_queries == few_queries, (name, role)
    assert many_rows > few_rows or (role, name) in SCOPED_TO_ONE, (name, role, many_rows)


# A municipality account sees one municipality, however many others exist.
SCOPED_TO_ONE = {
    ("municipality_a", "municipality-list"),
    ("municipality_a", "application-list"),
    ("municipality_a", "report-budgets"),
}


def _route(name):
    from grants.api import urls

    return next(str(p.pattern) for p in urls.urlpatterns if p.name == name)


def test_every_list_endpoint_is_measured():
    assert {"application-list", "selection-list", "application-history", "report-budgets"} <= set(
        LIST_ENDPOINTS
    )
