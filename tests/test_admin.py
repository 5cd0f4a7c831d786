"""The officers' admin: search, the cap on the selections inline, the read-only audit trail,
constant query counts on every list, Greek formatting and who may see or change what."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import services
from grants.admin.application import list_totals
from grants.formatting import date_gr, datetime_gr, eur
from grants.models import Application, AuditEvent, Channel, Region, RegionalUnit, RegionCategory
from grants.workflow import transition
from projects import services as project_services
from projects.models import CatalogueProject, Selection
from tests.conftest import make_municipality

CHANGELISTS = [
    "admin:grants_municipality_changelist",
    "admin:grants_application_changelist",
    "admin:projects_selection_changelist",
    "admin:projects_catalogueproject_changelist",
    "admin:grants_auditevent_changelist",
]


@pytest.fixture
def pavlou_mela(regional_unit):
    return make_municipality(regional_unit, "1912", "ΔΗΜΟΣ ΠΑΥΛΟΥ ΜΕΛΑ", 99245)


def login(client, user):
    client.force_login(user)
    # Messages are asserted in English, the catalogues' source language, whatever the default is.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def new_app(programme, municipality, actor=None):
    return services.application_get_or_create(programme=programme, municipality=municipality, actor=actor)[0]


def inline_post(app, rows, extra_rows=()):
    """The POST body of the application change form: `rows` are (selection, amount, delete) for
    existing selections, `extra_rows` (project, amount) for new ones."""
    rows, extra_rows = list(rows), list(extra_rows)
    data = {
        "selections-TOTAL_FORMS": str(len(rows) + len(extra_rows)),
        "selections-INITIAL_FORMS": str(len(rows)),
        "selections-MIN_NUM_FORMS": "0",
        "selections-MAX_NUM_FORMS": "1000",
        "_continue": "1",
    }
    for i, (sel, amount, delete) in enumerate(rows):
        data[f"selections-{i}-id"] = str(sel.pk)
        data[f"selections-{i}-application"] = str(app.pk)
        data[f"selections-{i}-amount"] = str(amount)
        data[f"selections-{i}-justification"] = sel.justification
        if delete:
            data[f"selections-{i}-DELETE"] = "on"
    for j, (project, amount) in enumerate(extra_rows, start=len(rows)):
        data[f"selections-{j}-application"] = str(app.pk)
        data[f"selections-{j}-project"] = str(project.pk)
        data[f"selections-{j}-amount"] = str(amount)
        data[f"selections-{j}-justification"] = ""
    return data


def municipality_post(m, **extra):
    data = {
        "name": m.name,
        "regional_unit": m.regional_unit_id,
        "population_2011": m.population_2011,
        "population_2021": m.population_2021,
        "eligible": "on" if m.eligible else "",
        "eligibility_override": "unknown",
        "eligibility_override_reason": "",
        "contact_emails": m.contact_emails,
        "cap_override_amount": "",
        "cap_override_reason": "",
        "_continue": "1",
    }
    data.update(extra)
    return data


# -- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term, found, not_found",
    [
        ("καλαματα", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "ΔΗΜΟΣ ΠΑΥΛΟΥ ΜΕΛΑ"),
        ("Καλαμάτα", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "ΔΗΜΟΣ ΠΑΥΛΟΥ ΜΕΛΑ"),
        ("Παύλου Μελά", "ΔΗΜΟΣ ΠΑΥΛΟΥ ΜΕΛΑ", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"),
    ],
)
@pytest.mark.parametrize(
    "url", ["admin:grants_municipality_changelist", "admin:grants_application_changelist"]
)
def test_search_ignores_case_and_accents(
    client, officer, programme, kalamata, pyli, pavlou_mela, url, term, found, not_found
):
    for m in (kalamata, pyli, pavlou_mela):
        new_app(programme, m)
    response = login(client, officer).get(reverse(url), {"q": term})
    assert response.status_code == 200
    body = response.content.decode()
    assert found in body
    assert not_found not in body
    assert "ΔΗΜΟΣ ΠΥΛΗΣ" not in body


def test_search_by_elstat_code(client, officer, programme, kalamata, pyli):
    body = login(client, officer).get(reverse(CHANGELISTS[0]), {"q": "2603"}).content.decode()
    assert "ΔΗΜΟΣ ΠΥΛΗΣ" in body and "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" not in body


# -- the selections inline and the cap -----------------------------------------------------------


def test_over_cap_inline_save_is_refused_with_its_message_and_nothing_saved(
    client, officer, programme, pyli, catalogue
):
    app = new_app(programme, pyli)
    first = project_services.selection_add(
        application=app, project=catalogue[0], amount="400000", actor=officer
    )
    events_before = AuditEvent.objects.count()
    url = reverse("admin:grants_application_change", args=[app.pk])
    # Raising the first row and adding a second: each step would be the officer's to make, but the
    # total (440.000,00) is over the cap of ΠΥΛΗΣ (410.000,00).
    data = inline_post(app, [(first, "405000.00", False)], [(catalogue[1], "35000.00")])

    response = login(client, officer).post(url, data)

    assert response.status_code == 200  # the form again, with its error: no error page, no redirect
    body = response.content.decode()
    assert "The total 440.000,00 € exceeds the cap 410.000,00 € by 30.000,00 €." in body
    assert list(Selection.objects.filter(application=app).values_list("amount", flat=True)) == [
        Decimal("400000.00")
    ]
    app.refresh_from_db()
    assert app.budget == Decimal("400000.00")
    assert AuditEvent.objects.count() == events_before


def test_inline_save_goes_through_the_services_in_an_order_that_fits(
    client, officer, programme, pyli, catalogue
):
    app = new_app(programme, pyli)
    a = project_services.selection_add(application=app, project=catalogue[0], amount="300000", actor=officer)
    b = project_services.selection_add(application=app, project=catalogue[1], amount="100000", actor=officer)
    url = reverse("admin:grants_application_change", args=[app.pk])
    # Shown top to bottom, raising `a` first would break the cap; the final state fits.
    data = inline_post(app, [(a, "390000", False), (b, "10000", False)], [(catalogue[2], "10000")])

    response = login(client, officer).post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    amounts = dict(Selection.objects.filter(application=app).values_list("project__code", "amount"))
    assert amounts == {"T01": Decimal("390000.00"), "T02": Decimal("10000.00"), "T03": Decimal("10000.00")}
    app.refresh_from_db()
    assert app.budget == Decimal("410000.00")
    admin_events = AuditEvent.objects.filter(application=app, channel=Channel.ADMIN)
    assert sorted(admin_events.values_list("action", flat=True)) == [
        "selection.add",
        "selection.change",
        "selection.change",
    ]
    assert set(admin_events.values_list("actor", flat=True)) == {officer.pk}

    # Removing goes through the service too.
    data = inline_post(app, [(a, "390000", False), (b, "10000", True)])
    response = client.post(url, data)
    assert response.status_code == 302
    assert not Selection.objects.filter(pk=b.pk).exists()
    assert (
        AuditEvent.objects.filter(application=app, action="selection.remove", channel=Channel.ADMIN).count()
        == 1
    )


def test_application_page_shows_cap_history_and_read_only_status(
    client, officer, programme, kalamata, catalogue
):
    app = new_app(programme, kalamata, actor=officer)
    project_services.selection_add(application=app, project=catalogue[0], amount="1234567.89", actor=officer)
    response = login(client, officer).get(reverse("admin:grants_application_change", args=[app.pk]))
    body = response.content.decode()
    assert "1.234.567,89 €" in body  # the running total
    assert "1.950.000,00 €" in body  # the cap
    assert "715.432,11 €" in body  # remaining
    assert "Project added" in body and "Application created" in body  # the history, by action labels
    assert "selection.add" not in body
    assert 'name="status"' not in body  # read-only: only the workflow writes it


def test_selections_read_as_money_on_a_read_only_application(client, officer, programme, kalamata, catalogue):
    app = new_app(programme, kalamata, actor=officer)
    selection = project_services.selection_add(
        application=app, project=catalogue[0], amount="20400", actor=officer
    )
    assert str(selection) == "T01: 20.400,00 €"
    transition(app, "submit", actor=officer, channel=Channel.ADMIN)
    body = login(client, officer).get(reverse("admin:grants_application_change", args=[app.pk])).content
    inline = body.decode().split('id="selections-group"')[1].split("</fieldset>")[0]
    assert "T01: 20.400,00 €" in inline  # the row's title
    assert re.search(r'field-amount_eur">\s*<p>20\.400,00 €</p>', inline)
    assert "20400" not in inline


def test_submission_time_reads_day_first_in_24_hours(client, officer, programme, kalamata, catalogue):
    app = new_app(programme, kalamata, actor=officer)
    project_services.selection_add(application=app, project=catalogue[0], amount="1000", actor=officer)
    transition(app, "submit", actor=officer, channel=Channel.ADMIN)
    app.refresh_from_db()
    body = login(client, officer).get(reverse("admin:grants_application_change", args=[app.pk])).content
    row = body.decode().split("field-submitted_at")[1].split("form-row")[0]
    assert re.search(r'<div class="readonly">\s*' + datetime_gr(app.submitted_at) + r"\s*</div>", row)


def test_status_cannot_be_posted(client, officer, programme, kalamata):
    app = new_app(programme, kalamata)
    data = inline_post(app, [])
    data["status"] = "included"
    response = login(client, officer).post(reverse("admin:grants_application_change", args=[app.pk]), data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "draft"


def test_adding_an_application_in_the_admin_is_audited(client, officer, programme, kalamata):
    response = login(client, officer).post(
        reverse("admin:grants_application_add"), {"programme": programme.pk, "municipality": kalamata.pk}
    )
    assert response.status_code == 302
    app = Application.objects.get(municipality=kalamata)
    event = AuditEvent.objects.get(application=app, action="application.create")
    assert (event.channel, event.actor) == (Channel.ADMIN, officer)


# -- the audit trail is read-only ----------------------------------------------------------------


def test_audit_events_cannot_be_changed_or_deleted_in_the_admin_even_by_a_superuser(
    client, superuser, programme, kalamata
):
    new_app(programme, kalamata, actor=superuser)
    event = AuditEvent.objects.get()
    login(client, superuser)
    change = reverse("admin:grants_auditevent_change", args=[event.pk])
    body = client.get(change).content.decode()
    assert 'name="_save"' not in body
    assert client.post(change, {"action": "forged", "note": "x"}).status_code == 403
    assert client.get(reverse("admin:grants_auditevent_delete", args=[event.pk])).status_code == 403
    assert (
        client.post(reverse("admin:grants_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:grants_auditevent_add")).status_code == 403
    response = client.post(
        reverse("admin:grants_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    # The admin offers no delete action for events: the request is sent back to the list, unchanged.
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:grants_auditevent_changelist")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["No action selected."]
    event.refresh_from_db()
    assert event.action == "application.create"
    assert AuditEvent.objects.count() == 1


def test_audit_events_are_append_only_in_the_model(programme, kalamata, officer):
    new_app(programme, kalamata, actor=officer)
    event = AuditEvent.objects.get()
    event.note = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get().note == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_audit_events_are_append_only_in_the_database(programme, kalamata, officer):
    new_app(programme, kalamata, actor=officer)
    event = AuditEvent.objects.get()
    for sql in (
        "UPDATE grants_auditevent SET note = 'x' WHERE id = %s",
        "DELETE FROM grants_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get().note == ""


# -- constant query counts -----------------------------------------------------------------------


def _world(programme, regional_unit, catalogue, actor, start, count):
    """`count` more municipalities, each with an application, two selections and (every third) a
    cap override: every kind of row a list page shows."""
    for i in range(start, start + count):
        m = make_municipality(regional_unit, f"{9000 + i}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {i}", 20000 + i)
        if i % 3 == 0:
            services.cap_override_set(
                programme=programme, municipality=m, amount="500000", reason="test", actor=actor
            )
        app = new_app(programme, m, actor=actor)
        for project in catalogue[:2]:
            project_services.selection_add(application=app, project=project, amount="1000", actor=actor)
        CatalogueProject.objects.create(
            code=f"X{i:03d}", title_el=f"Δοκιμή {i}", title_en=f"Test {i}", category=catalogue[0].category
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_changelists_run_the_same_number_of_queries_for_few_and_many_rows(
    client, officer, programme, regional_unit, catalogue
):
    # Every changelist on the same few and then many rows, which take most of the test's time to build.
    urls = {name: reverse(name) for name in CHANGELISTS}
    login(client, officer)
    _world(programme, regional_unit, catalogue, officer, 0, 3)
    few = {}
    for name, url in urls.items():
        client.get(url)  # warm the session and content-type caches
        few[name] = _queries(client, url)[0]
    _world(programme, regional_unit, catalogue, officer, 3, 37)
    many = {}
    for name, url in urls.items():
        many[name], many_response = _queries(client, url)
        assert len(many_response.context["cl"].result_list) >= 40, name
    assert few == many, f"queries for few rows {few}, for many {many}"


# -- formatting ----------------------------------------------------------------------------------


def test_greek_formatting_helpers():
    assert eur(Decimal("1234567.89")) == "1.234.567,89 €"
    assert eur(Decimal("0")) == "0,00 €"
    assert eur(None) == "—"
    assert date_gr(date(2024, 3, 7)) == "07/03/2024"


def test_application_list_shows_greek_amounts_and_totals(
    client, officer, programme, kalamata, pyli, catalogue
):
    for m, amount in ((kalamata, "1234567.89"), (pyli, "100000")):
        project_services.selection_add(application=new_app(programme, m), project=catalogue[0], amount=amount)
    response = login(client, officer).get(reverse("admin:grants_application_changelist"))
    body = response.content.decode()
    assert "1.234.567,89 €" in body  # budget
    assert "1.950.000,00 €" in body  # cap
    assert "715.432,11 €" in body  # remaining
    assert response.context["sc_totals"]["budget"] == "1.334.567,89 €"
    assert "1.334.567,89 €" in body
    # The totals follow the filter.
    response = client.get(reverse("admin:grants_application_changelist"), {"q": "πυλη"})
    assert response.context["sc_totals"] == {
        "count": 1,
        "budget": "100.000,00 €",
        "included": "0,00 €",
        "to_be_included": "0,00 €",
    }


def test_the_list_totals_read_from_the_summary_are_the_applications_own(
    client, officer, programme, kalamata, pyli, region, catalogue
):
    """Unfiltered, or filtered by nothing but programme, status, region, regional unit and region
    category, the list's number, whole number and totals come from the application summary (kept by
    PostgreSQL); they equal the applications' own sums, and no aggregate reads the applications."""
    other_region = Region.objects.create(code="EL30", name="ΑΤΤΙΚΗΣ", category=RegionCategory.TRANSITION)
    athens = make_municipality(
        RegionalUnit.objects.create(code="45", name="Αθηνών", region=other_region), "9186", "ΑΘΗΝΑΙΩΝ", 664046
    )
    plan = [
        (kalamata, "1234567.89", "included"),
        (pyli, "100000", "to_be_included"),
        (athens, "2500", "draft"),
    ]
    for municipality, amount, status in plan:
        app = new_app(programme, municipality)
        project_services.selection_add(application=app, project=catalogue[0], amount=amount)
        Application.objects.filter(pk=app.pk).update(status=status)
    login(client, officer)
    unit = kalamata.regional_unit
    cases = [
        {},
        {"status__exact": "included"},
        {"status__exact": "draft", "o": "-3"},
        {"programme__id__exact": str(programme.pk)},
        {"municipality__regional_unit__region__id__exact": str(region.pk)},
        {"municipality__regional_unit__id__exact": str(unit.pk), "status__exact": "to_be_included"},
        {"municipality__regional_unit__region__category__exact": "transition"},
        {"status__exact": "rejected"},
    ]
    for params in cases:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:grants_application_changelist"), params)
        assert response.status_code == 200, params
        cl = response.context["cl"]
        own = list_totals(cl.queryset)
        assert response.context["sc_totals"] == {
            "count": own["n"],
            "budget": eur(own["total_budget"] or 0),
            "included": eur(own["total_included"] or 0),
            "to_be_included": eur(own["total_to_be_included"] or 0),
        }, params
        assert cl.result_count == own["n"] and cl.full_result_count == 3, params
        sqls = [q["sql"] for q in queries.captured_queries]
        assert not [s for s in sqls if "SUM(" in s and 'FROM "grants_application"' in s], params
        assert not [s for s in sqls if 'COUNT(*) AS "__count" FROM "grants_application"' in s], params
    # A filter the summary is not kept by (eligibility) sums the applications themselves.
    response = client.get(
        reverse("admin:grants_application_changelist"), {"municipality__eligible__exact": "1"}
    )
    assert response.context["sc_totals"]["count"] == 3


def test_audit_list_shows_dates_day_first(client, officer, programme, kalamata):
    new_app(programme, kalamata, actor=officer)
    event = AuditEvent.objects.get()
    body = login(client, officer).get(reverse("admin:grants_auditevent_changelist")).content.decode()
    assert datetime_gr(event.created_at) in body
    assert datetime_gr(event.created_at)[2] == "/"


# -- who may see and change what -----------------------------------------------------------------


def test_officer_and_auditor_see_every_list(client, officer, auditor, programme, kalamata):
    new_app(programme, kalamata, actor=officer)
    for user in (officer, auditor):
        login(client, user)
        for name in CHANGELISTS + ["admin:grants_programme_changelist", "admin:auth_user_changelist"]:
            assert client.get(reverse(name)).status_code == 200, (user, name)


def test_auditor_views_but_cannot_change(client, auditor, programme, kalamata, catalogue):
    app = new_app(programme, kalamata)
    login(client, auditor)
    targets = [
        (
            reverse("admin:grants_application_change", args=[app.pk]),
            inline_post(app, [], [(catalogue[0], "10")]),
        ),
        (reverse("admin:grants_municipality_change", args=[kalamata.pk]), municipality_post(kalamata)),
        (reverse("admin:projects_catalogueproject_change", args=[catalogue[0].pk]), {"title_el": "x"}),
        (reverse("admin:grants_programme_change", args=[programme.pk]), {"cap_rate": "1"}),
    ]
    for url, data in targets:
        assert client.get(url).status_code == 200
        assert client.post(url, data).status_code == 403, url
    assert not Selection.objects.exists()
    assert client.get(reverse("admin:grants_application_add")).status_code == 403


def test_municipality_user_has_no_admin_access(client, kalamata_user, programme, kalamata):
    app = new_app(programme, kalamata)
    login(client, kalamata_user)
    for url in [reverse(n) for n in CHANGELISTS] + [
        reverse("admin:grants_application_change", args=[app.pk])
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
