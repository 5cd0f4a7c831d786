"""The officers' and auditors' daily screens (issue 16), as the server renders them: the application
page's workflow forms, the audit trail newest first and in words, in the admin and the HTML report."""

import datetime
import re

import pytest
from django.urls import reverse

from grants import services
from grants.models import AuditEvent, Channel
from grants.workflow import transition
from projects import services as project_services


def _to_be_included(programme, kalamata, catalogue, officer):
    app = services.application_get_or_create(programme=programme, municipality=kalamata, actor=officer)[0]
    project_services.selection_add(application=app, project=catalogue[0], amount="1234567.89", actor=officer)
    transition(app, "submit", actor=officer, channel=Channel.ADMIN)
    transition(app, "start_review", actor=officer, channel=Channel.ADMIN)
    transition(app, "propose_inclusion", actor=officer, channel=Channel.ADMIN)
    return app


def _results(body: str) -> str:
    """The list's table alone (the filters name actions too)."""
    return re.search(r'<table id="result_list">.*?</table>', body, re.S).group(0)


def test_application_page_shows_actions_as_forms_and_folds_the_reasons(
    client, approver, officer, programme, kalamata, catalogue
):
    app = _to_be_included(programme, kalamata, catalogue, officer)
    client.force_login(approver)
    body = client.get(reverse("admin:grants_application_change", args=[app.pk])).content.decode()
    # The include action is a visible form (no disclosure triangle around it) with a date picker.
    form = re.search(r'<form[^>]*id="sc-action-include".*?</form>', body, re.S).group(0)
    assert 'type="date"' in form and 'name="include-inclusion_date"' in form
    assert "<details" not in body.split('id="sc-action-include"')[0].split('id="sc-workflow"')[1]
    # The reasons for the others are folded inside one <details>.
    folded = re.search(r'<details class="sc-unavailable-details">.*?</details>', body, re.S).group(0)
    assert 'id="sc-unavailable-submit"' in folded
    # No «save and add another» on an application; no collapsible (triangle) history fieldset.
    assert 'name="_addanother"' not in body
    assert 'id="fieldset-0-4-heading"' in body
    assert "<details><summary>" not in body


def test_include_form_accepts_the_date_pickers_iso_date(
    client, approver, officer, programme, kalamata, catalogue
):
    app = _to_be_included(programme, kalamata, catalogue, officer)
    client.force_login(approver)
    url = reverse("admin:grants_application_transition", args=[app.pk, "include"])
    page = client.get(url).content.decode()
    assert "Πίσω στην αίτηση, χωρίς αλλαγές" in page and ">Επιστροφή<" not in page
    response = client.post(
        url,
        {
            "include-inclusion_date": "2024-03-07",
            "include-decision_ada": "ΨΛ9Ξ46ΜΤΛΡ-ΑΒΓ",
            "include-note": "",
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.inclusion_date == datetime.date(2024, 3, 7)


def test_audit_list_is_newest_first_with_labels_objects_and_a_short_summary(
    client, officer, programme, kalamata, catalogue
):
    app = _to_be_included(programme, kalamata, catalogue, officer)
    client.force_login(officer)
    body = _results(client.get(reverse("admin:grants_auditevent_changelist")).content.decode())
    newest = body.index("Ροή εργασιών: Πρόταση για ένταξη")
    oldest = body.index("Δημιουργία αίτησης")
    assert newest < oldest
    assert "workflow.propose_inclusion" not in body
    assert str(app) in body and "Αίτηση" in body  # the object and its kind
    # No empty «— → —» rows: a justification left empty before and after says nothing.
    assert "— → —" not in body


def test_audit_list_filters_by_object_type_and_application(
    client, officer, programme, kalamata, pyli, catalogue
):
    app = _to_be_included(programme, kalamata, catalogue, officer)
    other = services.application_get_or_create(programme=programme, municipality=pyli, actor=officer)[0]
    client.force_login(officer)
    url = reverse("admin:grants_auditevent_changelist")
    body = _results(client.get(url, {"application__id__exact": app.pk}).content.decode())
    assert str(app) in body and str(other) not in body
    from django.contrib.contenttypes.models import ContentType

    from projects.models import Selection

    ct = ContentType.objects.get_for_model(Selection)
    body = _results(client.get(url, {"content_type": ct.pk}).content.decode())
    assert "Προσθήκη έργου" in body and "Δημιουργία αίτησης" not in body


def test_audit_event_page_is_titled_in_words(client, officer, programme, kalamata, catalogue):
    _to_be_included(programme, kalamata, catalogue, officer)
    event = AuditEvent.objects.get(action="workflow.submit")
    client.force_login(officer)
    body = client.get(reverse("admin:grants_auditevent_change", args=[event.pk])).content.decode()
    title = re.search(r"<h2>(.*?)</h2>", body).group(1)
    assert "Ροή εργασιών: Υποβολή" in title and "workflow.submit" not in title
    assert " μμ" not in body and " πμ" not in body  # 24-hour times


def test_html_audit_trail_report_reads_in_words_newest_first(
    client, auditor, officer, programme, kalamata, catalogue
):
    _to_be_included(programme, kalamata, catalogue, officer)
    client.force_login(auditor)
    page = client.get("/reports/audit-trail/").content.decode()
    body = page[page.index("<table") :]  # the filters' drop-down names the actions too
    assert "Κατάσταση: Σε αξιολόγηση → Προς ένταξη" in body
    assert "\\u" not in body and '{"status"' not in body and "&quot;status&quot;" not in body
    assert body.index("Ροή εργασιών: Πρόταση για ένταξη") < body.index("Δημιουργία αίτησης")
    assert "workflow.submit" not in body


def test_report_filters_offer_codes_as_named_choices(client, auditor, programme, kalamata, catalogue):
    client.force_login(auditor)
    page = client.get("/reports/selections/").content.decode()
    assert '<select name="region" id="id_region">' in page
    assert f'<option value="{kalamata.elstat_code}">{kalamata.name} ({kalamata.elstat_code})</option>' in page
    assert f'<option value="{catalogue[0].code}">{catalogue[0]}</option>' in page
    # Labels say what the filter is, not the path it follows.
    assert "Αίτηση δήμος" not in page and "Περιφέρεια (NUTS2)" in page
    # A code typed by hand in a bookmarked address is kept, and filters as before.
    page = client.get("/reports/operations/", {"municipality": "9999"}).content.decode()
    assert '<option value="9999" selected>9999</option>' in page


def test_a_list_longer_than_a_drop_down_holds_is_typed_and_named(
    client, auditor, programme, kalamata, pyli, catalogue, monkeypatch
):
    """100,000 municipalities are no drop-down (30 s to draw, megabytes to send): past MAX_OPTIONS the
    code is typed, the one typed is named, and the page reads the same number of rows for any size."""
    from grants.reports import filter_widgets

    monkeypatch.setattr(filter_widgets, "MAX_OPTIONS", 1)
    client.force_login(auditor)
    page = client.get("/reports/operations/").content.decode()
    assert '<input type="text" name="municipality"' in page
    assert f'<option value="{kalamata.elstat_code}">' not in page
    # The short lists stay drop-downs.
    assert '<select name="region" id="id_region">' in page
    page = client.get("/reports/operations/", {"municipality": kalamata.elstat_code}).content.decode()
    assert f'value="{kalamata.elstat_code}"' in page
    assert f"{kalamata.name} ({kalamata.elstat_code})" in page
    page = client.get("/reports/operations/", {"municipality": "9999"}).content.decode()
    assert "«9999»" in page


@pytest.mark.parametrize("lang,expect", [(None, "Δε βρέθηκε."), ("el", "Δε βρέθηκε."), ("en", "Not found.")])
def test_api_404_in_the_requests_language_on_every_path(client, kalamata_user, lang, expect):
    headers = {"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}
    assert client.get("/api/v1/nonexistent/", **headers).json()["detail"] == expect
    client.force_login(kalamata_user)
    answer = client.get("/api/v1/applications/999999/", **headers)
    assert answer.status_code == 404
    assert answer.json() == {"detail": expect, "code": "not_found"}


def test_the_api_requires_the_justification_the_portal_form_asks_for(
    client, kalamata_user, programme, catalogue
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(kalamata_user)
    app = services.application_get_or_create(
        programme=programme, municipality=kalamata_user.municipality_account.municipality
    )[0]
    url = reverse("api:selection-list", kwargs={"application_pk": app.pk})
    refused = api.post(url, {"project": catalogue[0].code, "amount": "1000.00"}, format="json")
    assert refused.status_code == 400 and "justification" in refused.data
    blank = api.post(
        url, {"project": catalogue[0].code, "amount": "1000.00", "justification": "  "}, format="json"
    )
    assert blank.status_code == 400 and "justification" in blank.data
    made = api.post(
        url, {"project": catalogue[0].code, "amount": "1000.00", "justification": "Ανάγκη"}, format="json"
    )
    assert made.status_code == 201
    detail = reverse("api:selection-detail", kwargs={"application_pk": app.pk, "pk": made.data["id"]})
    version = api.get(reverse("api:application-detail", args=[app.pk])).data["version"]
    wiped = api.patch(detail, {"justification": ""}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert wiped.status_code == 400 and "justification" in wiped.data


NOTE = "Ενδεικτική καταχώριση, όχι επίσημος τίτλος της πρόσκλησης."


def test_officers_notes_in_the_catalogue_are_not_shown_to_municipalities(
    client, kalamata_user, officer, programme, catalogue
):
    from rest_framework.test import APIClient

    from projects.catalogue_text import for_municipalities

    project = catalogue[0]
    project.description = f"{NOTE} Αισθητήρες κατάληψης θέσεων."
    project.save()
    assert for_municipalities(project.description) == "Αισθητήρες κατάληψης θέσεων."
    api = APIClient()
    api.force_authenticate(kalamata_user)
    entry = api.get(reverse("api:catalogue-detail", args=[project.pk])).data
    assert entry["description"] == "Αισθητήρες κατάληψης θέσεων."
    api.force_authenticate(officer)
    assert api.get(reverse("api:catalogue-detail", args=[project.pk])).data["description"].startswith(NOTE)
    client.force_login(kalamata_user)
    app = services.application_get_or_create(
        programme=programme, municipality=kalamata_user.municipality_account.municipality
    )[0]
    page = client.get(reverse("portal:selection_add", args=[app.pk, project.pk])).content.decode()
    assert "Αισθητήρες κατάληψης θέσεων." in page and NOTE not in page
    assert app.pk


def test_global_search_groups_by_kind_and_follows_the_role(
    client, officer, auditor, kalamata_user, programme, kalamata, pyli, catalogue
):
    app = _to_be_included(programme, kalamata, catalogue, officer)
    client.force_login(auditor)
    page = client.get("/reports/search/", {"q": "καλαματα"}).content.decode()  # accents and case ignored
    assert f'href="/admin/grants/application/{app.pk}/change/"' in page
    assert 'id="sc-results-municipalities"' in page and kalamata.name in page and pyli.name not in page
    page = client.get("/reports/search/", {"q": app.tracking_number}).content.decode()
    assert 'id="sc-results-applications"' in page and app.tracking_number in page
    page = client.get("/reports/search/", {"q": catalogue[0].code}).content.decode()
    assert 'id="sc-results-catalogue"' in page
    page = client.get("/reports/search/", {"q": officer.username}).content.decode()
    assert 'id="sc-results-users"' in page
    # In the admin's header too.
    assert 'id="sc-admin-search"' in client.get("/admin/").content.decode()
    # Municipalities never reach it.
    client.force_login(kalamata_user)
    assert client.get("/reports/search/", {"q": "καλαματα"}).status_code == 403
    client.logout()
    assert client.get("/reports/search/", {"q": "x"}).status_code == 302
