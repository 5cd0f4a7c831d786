"""Accounts are audited like everything else: groups are the roles, so who gave whom a role is part
of history. Password hashes never reach the trail, only the fact that a password was set."""

import io
import json
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants import roles, services
from grants.models import AuditEvent, Channel
from tests.conftest import PASSWORD
from tests.test_admin import login, new_app


def user_post(user, **extra):
    """The POST body of the admin's user change form, as the page would send it unchanged."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v != ""}


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def no_hash_in_the_trail():
    text = json.dumps(list(AuditEvent.objects.values("before", "after", "note")))
    return not any(user.password and user.password in text for user in User.objects.all())


def test_creating_an_account_in_the_admin_is_recorded_with_its_password_set(client, superuser):
    response = login(client, superuser).post(
        reverse("admin:auth_user_add"),
        {
            "username": "newclerk",
            "usable_password": "true",
            "password1": "Xy-9876-secret",
            "password2": "Xy-9876-secret",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newclerk")

    [created] = events("account.create")
    [password] = events("account.password")
    assert (created.actor, created.channel, created.object_id) == (superuser, Channel.ADMIN, str(user.pk))
    assert created.after["username"] == "newclerk" and created.after["groups"] == []
    assert (password.actor, password.object_id, password.before, password.after) == (
        superuser,
        str(user.pk),
        {},
        {},
    )
    assert no_hash_in_the_trail()


def test_giving_a_role_is_recorded_with_before_and_after(client, superuser, officer):
    approvers = Group.objects.get(name=roles.APPROVERS)
    url = reverse("admin:auth_user_change", args=[officer.pk])

    response = login(client, superuser).post(
        url, user_post(officer, groups=[approvers.pk], email="o@example.gr")
    )

    assert response.status_code == 302
    [event] = events("account.change")
    assert event.before == {"email": "officer@example.gr", "groups": [roles.OFFICERS]}
    assert event.after == {"email": "o@example.gr", "groups": [roles.APPROVERS]}
    assert (event.actor, event.channel) == (superuser, Channel.ADMIN)


def test_saving_an_account_unchanged_records_nothing(client, superuser, officer):
    url = reverse("admin:auth_user_change", args=[officer.pk])
    assert login(client, superuser).post(url, user_post(officer)).status_code == 302
    assert not AuditEvent.objects.exists()


def test_deactivating_in_the_form_is_recorded_once_as_deactivation(client, superuser, officer):
    url = reverse("admin:auth_user_change", args=[officer.pk])
    assert login(client, superuser).post(url, user_post(officer, is_active="")).status_code == 302
    assert [e.action for e in AuditEvent.objects.all()] == ["account.deactivate"]


def test_an_administrator_setting_a_password_is_recorded_a_refused_one_is_not(client, superuser, officer):
    url = reverse("admin:auth_user_password_change", args=[officer.pk])
    login(client, superuser)

    refused = client.post(url, {"password1": "Xy-9876-secret", "password2": "something-else-1"})
    assert refused.status_code == 200 and not AuditEvent.objects.exists()

    assert client.post(url, {"password1": "Xy-9876-secret", "password2": "Xy-9876-secret"}).status_code == 302
    [event] = events("account.password")
    assert (event.actor, event.object_id, event.channel) == (superuser, str(officer.pk), Channel.ADMIN)
    assert no_hash_in_the_trail()


def test_changing_ones_own_password_in_the_admin_is_recorded(client, officer):
    response = login(client, officer).post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "Xy-9876-secret", "new_password2": "Xy-9876-secret"},
    )
    assert response.status_code == 302
    [event] = events("account.password")
    assert (event.actor, event.object_id, event.channel) == (officer, str(officer.pk), Channel.ADMIN)
    officer.refresh_from_db()
    assert officer.check_password("Xy-9876-secret")


def test_a_password_reset_by_e_mail_link_is_recorded(client, kalamata_user):
    client.post(reverse("password_reset"), {"email": kalamata_user.email})
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": "Xy-9876-secret", "new_password2": "Xy-9876-secret"})

    assert response.status_code == 302
    [event] = events("account.password")
    assert (event.actor, event.object_id, event.channel) == (
        kalamata_user,
        str(kalamata_user.pk),
        Channel.PORTAL,
    )
    assert no_hash_in_the_trail()


def test_deleting_an_account_without_history_is_recorded_one_with_history_is_refused(
    client, superuser, officer, officer2, programme, kalamata
):
    new_app(programme, kalamata, actor=officer)
    login(client, superuser)
    assert (
        client.post(reverse("admin:auth_user_delete", args=[officer.pk]), {"post": "yes"}).status_code == 403
    )

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [officer2.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert User.objects.filter(pk=officer.pk).exists() and not User.objects.filter(pk=officer2.pk).exists()
    [deleted] = events("account.delete")
    assert (deleted.actor, deleted.object_id) == (superuser, str(officer2.pk))
    assert deleted.before["username"] == "officer2" and deleted.before["groups"] == [roles.OFFICERS]


def test_the_service_refuses_to_delete_an_account_with_history(officer, programme, kalamata):
    new_app(programme, kalamata, actor=officer)
    with pytest.raises(ValidationError, match="has history"):
        services.account_delete(user=officer)
    assert User.objects.filter(pk=officer.pk).exists() and not events("account.delete")


def token_client(username):
    """An API client authenticated by the token the account obtains with its password."""
    api = APIClient()
    response = api.post(
        reverse("api:auth-token"), {"username": username, "password": PASSWORD}, format="json"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    return api


def test_setting_a_password_revokes_the_api_token(client, superuser, kalamata_user):
    api = token_client("kalamata")
    assert api.get(reverse("api:application-list")).status_code == 200
    [issued] = events("account.token_issue")
    assert (issued.actor, issued.channel) == (kalamata_user, Channel.API)

    url = reverse("admin:auth_user_password_change", args=[kalamata_user.pk])
    login(client, superuser).post(url, {"password1": "Xy-9876-secret", "password2": "Xy-9876-secret"})

    assert api.get(reverse("api:application-list")).status_code == 401
    [password] = events("account.password")
    assert password.note == "Το διακριτικό πρόσβασης (token) του API ανακλήθηκε."  # in the site's language


def test_revoking_a_token_is_recorded(kalamata_user):
    api = token_client("kalamata")
    assert api.delete(reverse("api:auth-token")).status_code == 204
    [revoked] = events("account.token_revoke")
    assert (revoked.actor, revoked.object_id) == (kalamata_user, str(kalamata_user.pk))


def test_the_reset_link_points_at_the_public_site_whatever_host_was_asked(client, kalamata_user, settings):
    settings.SITE_URL = "https://smartcities.example.gov.gr/"
    settings.ALLOWED_HOSTS = ["*"]
    client.post(reverse("password_reset"), {"email": kalamata_user.email}, HTTP_HOST="attacker.example")
    assert "https://smartcities.example.gov.gr/accounts/reset/" in mail.outbox[0].body
    assert "attacker.example" not in mail.outbox[0].body


def test_a_user_with_a_very_long_name_can_still_act(programme, kalamata, kalamata_user):
    from grants.services import application_get_or_create

    kalamata_user.first_name, kalamata_user.last_name = "Α" * 150, "Β" * 150
    kalamata_user.save()
    app, _ = application_get_or_create(programme=programme, municipality=kalamata, actor=kalamata_user)
    event = AuditEvent.objects.get(application=app)
    assert event.actor == kalamata_user and event.actor_name.endswith("… (kalamata)")
    assert len(event.actor_name) == 200


def test_changing_a_role_groups_permissions_is_recorded(client, superuser):
    from django.contrib.auth.models import Permission

    auditors = Group.objects.get(name=roles.AUDITORS)
    change_application = Permission.objects.get(codename="change_application")
    data = {
        "name": auditors.name,
        "permissions": [*auditors.permissions.values_list("pk", flat=True), change_application.pk],
    }

    response = login(client, superuser).post(reverse("admin:auth_group_change", args=[auditors.pk]), data)

    assert response.status_code == 302
    [event] = events("group.change")
    assert (event.actor, event.channel, event.object_id) == (superuser, Channel.ADMIN, str(auditors.pk))
    assert "grants.change_application" in event.after["permissions"]
    assert "grants.change_application" not in event.before["permissions"]

    client.post(reverse("admin:auth_group_delete", args=[auditors.pk]), {"post": "yes"})
    [deleted] = events("group.delete")
    assert deleted.before["name"] == roles.AUDITORS and not Group.objects.filter(pk=auditors.pk).exists()


def test_no_admin_page_mints_tokens_or_lifts_lock_outs_unrecorded(client, superuser, kalamata_user):
    from axes.models import AccessAttempt

    login(client, superuser)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    attempt = AccessAttempt.objects.create(username="kalamata", ip_address="10.0.0.1", failures_since_start=6)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_djangos_password_commands_are_recorded(kalamata_user, monkeypatch):
    import getpass

    from django.core.management import call_command

    token_client("kalamata")
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "Xy-9876-secret")
    call_command("changepassword", "kalamata", stdout=io.StringIO())
    [password] = events("account.password")
    assert (password.channel, password.object_id, password.actor) == (
        Channel.COMMAND,
        str(kalamata_user.pk),
        None,
    )
    assert not Token.objects.filter(user=kalamata_user).exists()

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Xy-9876-secret")
    call_command(
        "createsuperuser", "--noinput", "--username", "chief", "--email", "c@example.gr", stdout=io.StringIO()
    )
    [created] = events("account.create")
    assert created.channel == Channel.COMMAND and created.after["is_superuser"] is True
    assert created.after["username"] == "chief"
