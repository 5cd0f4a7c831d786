"""The inbox through the API, the portal and the admin: own notifications only (anyone else's is a
404), the unread filter and badge, marking read, the preferences pages, for every role; and the
number of queries of each inbox list does not grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import inbox
from grants.models import Notification, NotificationKind, UserPreferences
from tests.api.conftest import client_for

K = NotificationKind


def _note(user, app=None, kind=K.STATUS, n=1):
    params = {"m": "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "p": "Έξυπνες Πόλεις", "s": "submitted"}
    return [
        Notification.objects.create(recipient=user, kind=kind, application=app, params=params)
        for _ in range(n)
    ]


def test_api_lists_only_ones_own_with_the_unread_filter(app, kalamata_user, pyli_user, officer):
    mine = _note(kalamata_user, app, n=2)
    _note(pyli_user, n=3)
    mine[0].read_at = mine[0].created_at
    mine[0].save()
    client = client_for(kalamata_user)
    url = reverse("api:notification-list")
    data = client.get(url).data
    assert data["count"] == 2 and {r["id"] for r in data["results"]} == {n.pk for n in mine}
    unread = client.get(url, {"unread": "true"}).data["results"]
    assert [r["id"] for r in unread] == [mine[1].pk] and unread[0]["read"] is False
    assert unread[0]["text"] and unread[0]["kind"] == "status" and unread[0]["application"] == app.pk
    assert client_for(officer).get(url).data["count"] == 0


def test_api_marks_read_and_refuses_anyone_elses(app, kalamata_user, pyli_user, officer):
    (mine,) = _note(kalamata_user, app)
    url = reverse("api:notification-read", args=[mine.pk])
    for other in (pyli_user, officer):
        assert client_for(other).post(url).status_code == 404
    assert Notification.objects.get(pk=mine.pk).read_at is None
    response = client_for(kalamata_user).post(url)
    assert response.status_code == 200 and response.data["read"] is True
    assert inbox.unread_count(kalamata_user) == 0


def test_portal_inbox_badge_and_mark_read(client, app, kalamata_user, pyli_user):
    (mine,) = _note(kalamata_user, app)
    (theirs,) = _note(pyli_user)
    client.force_login(kalamata_user)
    page = client.get(reverse("portal:home")).content.decode()
    assert 'class="badge">1<' in page
    page = client.get(reverse("portal:inbox")).content.decode()
    assert reverse("portal:application", args=[app.pk]) in page
    assert client.post(reverse("portal:notification", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("portal:notification", args=[mine.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("portal:inbox")
    assert inbox.unread_count(kalamata_user) == 0
    assert 'class="badge"' not in client.get(reverse("portal:inbox")).content.decode()


def test_admin_inbox_for_staff(client, app, officer, kalamata_user):
    (mine,) = _note(officer, app, kind=K.OVERDUE, n=1)
    _note(kalamata_user, app)
    client.force_login(officer)
    page = client.get(reverse("admin-inbox")).content.decode()
    assert reverse("admin:grants_application_change", args=[app.pk]) in page
    assert 'class="badge">1<' in client.get(reverse("admin:index")).content.decode()
    theirs = Notification.objects.get(recipient=kalamata_user)
    assert client.post(reverse("admin-notification-read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("admin-notification-read", args=[mine.pk])).status_code == 302
    assert client.get(reverse("admin-notification-read", args=[mine.pk])).status_code == 405
    client.post(reverse("admin-notifications-read-all"))
    assert inbox.unread_count(officer) == 0 and inbox.unread_count(kalamata_user) == 1


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_preferences_pages_save_language_and_optional_emails(client, where, kalamata_user, officer):
    user = kalamata_user if where == "portal" else officer
    url = reverse("portal:preferences") if where == "portal" else reverse("admin-preferences")
    client.force_login(user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"language": "en", "email_on": ["message"]})
    assert response.status_code == 302
    prefs = UserPreferences.objects.get(user=user)
    assert prefs.language == "en" and "message" not in prefs.email_off
    offered = {"status"} if where == "portal" else {"overdue"}
    assert set(prefs.email_off) == {"proposed", "export_ready"} | offered
    assert not set(prefs.email_off) & {"returned", "included", "rejected", "deadline"}
    response = client.post(url, {"language": "xx"})
    assert response.status_code == 200 and UserPreferences.objects.get(user=user).language == "en"


PAGES = ["portal:inbox", "portal:preferences", "admin-inbox", "admin-preferences"]
# anonymous, municipality, officer, approver, auditor: 200 or where they are sent instead.
EXPECTED = {
    "portal:inbox": ("login", 200, "admin", "admin", "admin"),
    "portal:preferences": ("login", 200, "admin", "admin", "admin"),
    "admin-inbox": ("admin-login", "admin-login", 200, 200, 200),
    "admin-preferences": ("admin-login", "admin-login", 200, 200, 200),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_role_on_the_inbox_pages(client, name, kalamata_user, officer, approver, auditor):
    for user, expected in zip((None, kalamata_user, officer, approver, auditor), EXPECTED[name], strict=True):
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(reverse(name))
        if expected == 200:
            assert response.status_code == 200, (name, user)
        elif expected == "admin":
            assert response.status_code == 302 and response.url == reverse("admin:index"), (name, user)
        elif expected == "admin-login":
            assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), (
                name,
                user,
            )
        else:
            assert response.status_code == 302 and "/accounts/login/" in response.url, (name, user)


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("who", "url"),
    [("kalamata", "portal:inbox"), ("officer", "admin-inbox"), ("kalamata", "api:notification-list")],
)
def test_inbox_lists_run_the_same_queries_whatever_the_rows(client, who, url, app, kalamata_user, officer):
    user = kalamata_user if who == "kalamata" else officer
    http = client_for(user) if url.startswith("api:") else client
    if not url.startswith("api:"):
        client.force_login(user)
    _note(user, app)
    _count(http, reverse(url))  # warm the session and the content types
    few = _count(http, reverse(url))
    _note(user, app, n=5)
    _note(user, None, kind=K.EXPORT_READY, n=5)
    _note(user, app, kind=K.DEADLINE, n=5)
    assert _count(http, reverse(url)) == few
