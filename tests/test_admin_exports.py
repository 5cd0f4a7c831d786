"""“Export what I see” from the admin lists: the same exporter, scope and audit as the reports."""

import pytest
from django.urls import reverse

from grants.models import AuditEvent
from grants.services import application_get_or_create


@pytest.fixture
def two_apps(programme, kalamata, pyli):
    return [application_get_or_create(programme=programme, municipality=m)[0] for m in (kalamata, pyli)]


@pytest.mark.parametrize("who", ["officer", "auditor"])
def test_export_selected_applications_as_csv(client, request, two_apps, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.post(
        reverse("admin:grants_application_changelist"),
        {"action": "export_operations_csv", "_selected_action": [two_apps[0].pk]},
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in text and "ΔΗΜΟΣ ΠΥΛΗΣ" not in text
    event = AuditEvent.objects.filter(action="report.export").latest("id")
    assert event.actor == user and event.after["rows"] == 1 and event.after["report"] == "operations"


def test_export_caps_from_the_municipality_list(client, officer, kalamata, pyli, programme):
    client.force_login(officer)
    response = client.post(
        reverse("admin:grants_municipality_changelist"),
        {"action": "export_caps_xlsx", "_selected_action": [kalamata.pk, pyli.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="report.export").latest("id").after["rows"] == 2


def test_import_link_shown_to_officers_only(client, officer, auditor, two_apps):
    url = reverse("admin:grants_application_changelist")
    link = reverse("admin-grants-import-inclusions")
    client.force_login(officer)
    assert link in client.get(url).content.decode()
    client.force_login(auditor)
    assert link not in client.get(url).content.decode()
