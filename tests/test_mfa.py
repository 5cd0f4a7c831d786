"""The second factor for staff (django-otp): enforced on every URL of the URL configuration for a
session that signed in with a password only, passed by real TOTP codes computed here with the
library's own functions, one-time recovery codes, the API token, the officer's reset, and the audit."""

import functools
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admindocs.views import simplify_regex
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants.mfa import services as mfa
from grants.models import AuditEvent
from tests.api.conftest import application_a  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

PASSWORD = "pw-secret-123"
SETUP, VERIFY = "/accounts/mfa/setup/", "/accounts/mfa/verify/"

# What a session that has not passed the second factor may still reach. Everything else in the URL
# configuration — the admin, the reports, the portal, the API, password change — is closed to it.
OPEN = {
    # Health checks answer load balancers, which hold no session.
    "/healthz",
    "/readyz",
    "/i18n/setlang/",
    "/admin/login/",
    "/admin/logout/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/mfa/setup/",
    "/accounts/mfa/verify/",
    "/api/v1/auth/token/",
    "/api/v1/schema/",
    "/api/v1/docs/",
}
SAMPLES = {
    "app_label": "grants",
    "name": "popularity",
    "fmt": "csv",
    "action": "start_review",
    "url": "nothing/",
    "uidb64": "MQ",
    "token": "set-password",
}


@pytest.fixture(autouse=True)
def mfa_on(settings, mfa_off):
    settings.MFA_REQUIRED = True


@functools.cache
def every_path():
    """Every route of the URL configuration as a concrete path (placeholders filled with samples).
    Walked once per run: six tests ask, and no test here changes the URL configuration."""

    def walk(patterns, prefix):
        for p in patterns:
            regex = prefix + p.pattern.regex.pattern.lstrip("^")
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, regex.rstrip("$"))
            else:
                yield simplify_regex(regex).replace("\\", "")

    paths = set()
    for path in walk(get_resolver().url_patterns, ""):
        paths.add(re.sub(r"<(\w+)>", lambda m: SAMPLES.get(m.group(1), "1"), path))
    return tuple(sorted(paths))


def enrol(user):
    """Enrol `user` through the service, with a code computed from the device's key."""
    device = mfa.mfa_device_pending(user=user)
    device, codes = mfa.mfa_enrol(user=user, device_id=device.pk, code=str(totp(device.bin_key)).zfill(6))
    return device, codes


def next_code(device):
    """The app's code of the next 30 s step: the current one was spent (django-otp refuses replays),
    and the device accepts one step of drift."""
    device.refresh_from_db()
    return str(totp(device.bin_key, drift=device.drift + 1)).zfill(6)


def signed_in(user, *, verified_by=None, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    if verified_by is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = verified_by.persistent_id
        session.save()
    return client


def is_mfa_refusal(response):
    if response.status_code in (301, 302):
        return response["Location"].startswith((SETUP, VERIFY))
    return response.status_code == 403 and b"mfa_required" in response.content


# --- who is forced, and where --------------------------------------------------------------------


def test_the_url_configuration_is_walked():
    paths = every_path()
    assert "/admin/grants/application/1/change/" in paths and "/reports/popularity.csv" in paths
    assert "/api/v1/applications/1/selections/1/" in paths and set(paths) >= OPEN


@pytest.mark.parametrize("role", ["officer", "approver", "auditor", "superuser"])
def test_a_password_only_staff_session_reaches_nothing_but_the_mfa_pages(role, request, django_user_model):
    user = (
        django_user_model.objects.create_superuser("root", "root@example.gr", PASSWORD)
        if role == "superuser"
        else request.getfixturevalue(role)
    )
    client = signed_in(user)
    wrong = []
    for path in every_path():
        if path in OPEN:
            continue
        response = client.get(path)
        expected_api = path.startswith("/api/")
        ok = (
            response.status_code == 403 and response.json()["code"] == "mfa_required"
            if expected_api
            else response.status_code == 302 and response["Location"] == f"{SETUP}?next={_quoted(path)}"
        )
        if not ok:
            wrong.append((path, response.status_code, response.get("Location")))
    assert not wrong


def _quoted(path):
    from urllib.parse import quote

    return quote(path, safe="")


def test_an_enrolled_staff_member_is_sent_to_verification_with_next_kept(officer):
    enrol(officer)
    response = signed_in(officer).get("/admin/grants/application/?status__exact=submitted")
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{VERIFY}?next=%2Fadmin%2Fgrants%2Fapplication%2F%3Fstatus__exact%3Dsubmitted"
    )


def test_the_open_pages_stay_reachable(officer):
    client = signed_in(officer)
    for path in ("/accounts/login/", "/admin/login/", SETUP, "/api/v1/schema/", "/static/portal/portal.css"):
        assert not is_mfa_refusal(client.get(path)), path
    assert client.post("/i18n/setlang/", {"language": "en", "next": SETUP})["Location"] == SETUP
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_a_verified_staff_session_passes_every_url(officer, auditor, kalamata_user, programme):
    device, _codes = enrol(officer)
    client = signed_in(officer, verified_by=device)
    refused = [p for p in every_path() if p not in OPEN and is_mfa_refusal(client.get(p))]
    assert not refused
    for path in ("/admin/", "/admin/grants/application/", "/admin/auth/user/", "/reports/"):
        assert client.get(path).status_code == 200, path
    assert b'href="/accounts/mfa/recovery-codes/?next=%2Fadmin%2F"' in client.get("/admin/").content
    device, _codes = enrol(auditor)
    auditor_client = signed_in(auditor, verified_by=device)
    assert auditor_client.get("/reports/").status_code == 200
    assert auditor_client.get("/reports/popularity/").status_code == 200


def test_another_users_device_does_not_verify_a_session(officer, officer2):
    device, _codes = enrol(officer2)
    enrol(officer)
    client = signed_in(officer, verified_by=device)
    assert client.get("/admin/")["Location"].startswith(VERIFY)


# --- the API ---------------------------------------------------------------------------------------


def test_token_authenticated_staff_requests_are_left_to_the_token(officer, category):
    enrol(officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=officer).key}")
    response = client.post(
        reverse("api:category-list"), {"order": 7, "title_el": "Νέα", "title_en": "New"}, format="json"
    )
    assert response.status_code == 201
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(reverse("api:category-list")).status_code == 401


def test_another_authorization_scheme_does_not_skip_the_session_check(officer):
    client = signed_in(officer, api=True)
    client.credentials(HTTP_AUTHORIZATION="Basic b2ZmaWNlcjpwdw==")
    response = client.post(reverse("api:category-list"), {"order": 7}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"


@pytest.mark.parametrize("separator", ["\xa0", "\x85", "\x1c", "\x1f"])
def test_a_header_that_only_looks_like_a_token_does_not_skip_the_session_check(officer, separator):
    # Python's str.split() splits on these, DRF (on bytes) does not: DRF sees no token and falls back
    # to the password-only session, which the middleware must then have checked.
    client = signed_in(officer, api=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token{separator}abc")
    response = client.get(reverse("api:application-list"))
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"


def test_a_staff_token_from_before_the_second_factor_is_refused_then_revoked_at_enrolment(
    officer, kalamata_user
):
    old = Token.objects.create(user=officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old.key}")
    refused = client.get(reverse("api:category-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 401 and "without a one-time code" in refused.json()["detail"]
    enrol(officer)
    assert not Token.objects.filter(user=officer).exists()
    assert AuditEvent.objects.get(action="account.mfa_enrol").note
    # A municipality's token is not touched by its own choice to enrol.
    municipal = Token.objects.create(user=kalamata_user)
    enrol(kalamata_user)
    assert Token.objects.filter(pk=municipal.pk).exists()


def _token(username, otp=None):
    data = {"username": username, "password": PASSWORD}
    if otp is not None:
        data["otp"] = otp
    return APIClient().post(reverse("api:auth-token"), data, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_password_only_session_cannot_revoke_the_accounts_token(officer):
    """Whoever holds only the password must not cut the owner's integrations off: revoking the
    token is a staff API write like any other."""
    device, _codes = enrol(officer)
    token = Token.objects.create(user=officer)
    response = signed_in(officer, api=True).delete("/api/v1/auth/token/")
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"
    assert Token.objects.filter(pk=token.pk).exists()
    assert signed_in(officer, verified_by=device, api=True).delete("/api/v1/auth/token/").status_code == 204
    assert not Token.objects.filter(user=officer).exists()


def test_a_staff_token_is_issued_only_with_a_one_time_code(officer):
    from django.core.cache import cache

    cache.clear()  # the login throttle counts in the cache
    not_enrolled = _token("officer")
    assert not_enrolled.status_code == 400 and "otp" in not_enrolled.json()
    assert SETUP in not_enrolled.json()["otp"][0]
    device, codes = enrol(officer)
    missing = _token("officer")
    assert missing.status_code == 400 and list(missing.json()) == ["otp"]
    wrong = _token("officer", "000000" if next_code(device) != "000000" else "111111")
    assert wrong.status_code == 400 and "not valid" in wrong.json()["otp"][0]
    assert not Token.objects.filter(user=officer).exists()
    device.throttle_reset()
    issued = _token("officer", next_code(device))
    assert issued.status_code == 200 and issued.json()["token"] == Token.objects.get(user=officer).key
    assert _token("officer", codes[0]).status_code == 200  # a recovery code, spent
    cache.clear()
    assert _token("officer", codes[0]).status_code == 400
    assert (
        AuditEvent.objects.filter(action="account.mfa_recovery_used", object_id=str(officer.pk)).count() == 1
    )


# --- municipalities ----------------------------------------------------------------------------------


def test_municipalities_are_not_forced(kalamata_user, application_a):  # noqa: F811
    from django.core.cache import cache

    cache.clear()
    client = signed_in(kalamata_user)
    assert client.get("/portal/").status_code == 200
    assert client.get(f"/portal/applications/{application_a.pk}/").status_code == 200
    api = signed_in(kalamata_user, api=True)
    url = reverse("api:selection-list", kwargs={"application_pk": application_a.pk})
    body = {"project": "T02", "amount": "1000.00", "justification": "Τεκμηρίωση του έργου"}
    assert api.post(url, body, format="json").status_code == 201
    assert _token("kalamata").status_code == 200
    assert not mfa.mfa_forced(kalamata_user)


def test_a_municipality_may_enrol_and_then_verifies_like_staff(kalamata_user, kalamata):
    client = signed_in(kalamata_user)
    page = client.get(SETUP)
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=kalamata_user, confirmed=False)
    assert client.post(SETUP, {"code": str(totp(device.bin_key)).zfill(6)}).status_code == 200
    assert signed_in(kalamata_user).get("/portal/")["Location"] == f"{VERIFY}?next=%2Fportal%2F"


# --- enrolment, verification, recovery codes -----------------------------------------------------


def test_enrolment_with_a_real_code_after_a_wrong_one(officer):
    client = Client()
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert mfa.secret_display(device).encode() in page.content
    assert b"<svg" in page.content and b'role="img"' in page.content
    assert client.get(SETUP).context["secret"] == mfa.secret_display(device)  # same secret on reload

    good = str(totp(device.bin_key)).zfill(6)
    wrong = client.post(SETUP, {"code": "123456" if good != "123456" else "654321", "next": "/admin/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert b'id="id_code_error"' in wrong.content
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/admin/").status_code == 302
    failed = AuditEvent.objects.get(action="account.mfa_failed")
    assert failed.after["step"] == "enrol" and failed.actor == officer

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    done = client.post(SETUP, {"code": good, "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code.encode() in done.content
    assert client.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(action="account.mfa_enrol")
    assert event.actor == officer and event.after == {"mfa": True, "recovery_codes": 10}
    assert client.get("/accounts/mfa/recovery-codes/").context.get("codes") is None  # shown once


def test_a_secret_shown_to_another_session_is_never_the_one_confirmed(officer):
    def session():
        client = Client()
        assert client.post(reverse("login"), {"username": "officer", "password": PASSWORD}).status_code == 302
        return client

    snooper, owner = session(), session()
    seen = snooper.get(SETUP).context["secret"]
    page = owner.get(SETUP)
    assert page.context["secret"] != seen
    device = TOTPDevice.objects.get(user=officer, confirmed=False, pk=owner.session["mfa_pending_device"])
    assert owner.post(SETUP, {"code": str(totp(device.bin_key)).zfill(6)}).status_code == 200
    confirmed = TOTPDevice.objects.get(user=officer, confirmed=True)
    assert mfa.secret_display(confirmed) != seen
    assert not TOTPDevice.objects.filter(user=officer, confirmed=False).exists()
    # The snooper's secret does not enrol either: the account is set up already.
    assert snooper.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)


def test_verification_then_a_recovery_code_works_once(officer):
    device, codes = enrol(officer)
    client = Client()
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert client.get("/reports/")["Location"] == f"{VERIFY}?next=%2Freports%2F"
    response = client.post(VERIFY, {"code": codes[0].upper().replace("-", " "), "next": "/reports/"})
    assert response.status_code == 302 and response["Location"] == "/reports/"
    assert client.get("/reports/").status_code == 200
    used = AuditEvent.objects.get(action="account.mfa_recovery_used")
    assert used.after == {"recovery_codes_left": 9} and used.actor == officer

    again = Client()
    again.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    refused = again.post(VERIFY, {"code": codes[0], "next": "/reports/"})
    assert refused.status_code == 200 and refused.context["form"].errors["code"]
    assert again.get("/reports/").status_code == 302
    assert AuditEvent.objects.filter(action="account.mfa_failed", after__step="recovery").count() == 1
    # The app's code still works: a wrong recovery code throttles the recovery codes, not the app.
    response = again.post(VERIFY, {"code": next_code(device), "next": "/reports/"})
    assert response["Location"] == "/reports/"


def test_wrong_codes_are_throttled_even_before_the_right_one(officer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a slow machine must not outwait the first delay
    device, _codes = enrol(officer)
    client = signed_in(officer)
    good = next_code(device)
    wrong = "000000" if good != "000000" else "111111"
    assert client.post(VERIFY, {"code": wrong}).status_code == 200
    throttled = client.post(VERIFY, {"code": good}, HTTP_ACCEPT_LANGUAGE="en")
    assert throttled.status_code == 200
    assert "Too many wrong codes" in throttled.context["form"].errors["code"][0]
    assert client.get("/admin/").status_code == 302
    # One record for the wrong code; refusals while throttled write nothing (no flood of events).
    assert AuditEvent.objects.filter(action="account.mfa_failed").count() == 1


def test_next_is_never_another_site(officer):
    device, _codes = enrol(officer)
    client = signed_in(officer)
    response = client.post(VERIFY, {"code": next_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_regenerating_recovery_codes_is_recorded_and_cancels_the_old(officer):
    device, old = enrol(officer)
    client = signed_in(officer, verified_by=device)
    page = client.get("/accounts/mfa/recovery-codes/", HTTP_ACCEPT_LANGUAGE="en")
    assert b"10 unused recovery codes" in page.content
    new = client.post("/accounts/mfa/recovery-codes/").context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    event = AuditEvent.objects.get(action="account.mfa_recovery_regenerate")
    assert event.before == {"recovery_codes": 10} and event.after == {"recovery_codes": 10}
    with translation.override("en"), pytest.raises(ValidationError, match="not valid"):
        mfa.mfa_verify(user=officer, code=old[0])


def test_the_recovery_codes_page_of_an_unverified_session_asks_for_the_code(officer):
    enrol(officer)
    response = signed_in(officer).post("/accounts/mfa/recovery-codes/")
    assert response["Location"].startswith(VERIFY)
    assert not AuditEvent.objects.filter(action="account.mfa_recovery_regenerate").exists()


# --- reset by an officer -------------------------------------------------------------------------


def _reset(client, user):
    return client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "mfa_reset", "_selected_action": [user.pk]},
    )


def test_an_officer_resets_a_lost_phone_audited_and_the_user_enrols_again(officer, officer2):
    device, _codes = enrol(officer)
    Token.objects.create(user=officer)
    victim_session = signed_in(officer, verified_by=device)
    assert victim_session.get("/admin/").status_code == 200
    admin_device, _ = enrol(officer2)
    response = _reset(signed_in(officer2, verified_by=admin_device), officer)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticDevice.objects.filter(user=officer).exists()
    assert not Token.objects.filter(user=officer).exists()
    event = AuditEvent.objects.get(action="account.mfa_reset")
    assert event.actor == officer2 and event.object_id == str(officer.pk)
    assert event.before == {"mfa": True} and event.after == {"mfa": False} and event.note
    # The session verified by the removed device is not verified any more: enrol again.
    assert victim_session.get("/admin/")["Location"] == f"{SETUP}?next=%2Fadmin%2F"


def test_only_officers_reset(officer, auditor, django_user_model):
    from django.contrib.auth.models import Permission

    device, _codes = enrol(officer)
    # Even with the permission to change users, an auditor may not take a second factor away.
    auditor.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    auditor_device, _ = enrol(auditor)
    client = signed_in(django_user_model.objects.get(pk=auditor.pk), verified_by=auditor_device)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    _reset(client, officer)
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="account.mfa_reset").exists()


def test_an_officer_does_not_reset_a_superusers_second_factor(officer, superuser):
    # An officer may not edit accounts; taking a superuser back to «password alone» would let whoever
    # has that password enrol their own phone as the superuser.
    enrol(superuser)
    officer_device, _ = enrol(officer)
    response = _reset(signed_in(officer, verified_by=officer_device), superuser)
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=superuser, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="account.mfa_reset").exists()
    with pytest.raises(PermissionDenied):
        mfa.mfa_reset(user=superuser, actor=officer)


def test_a_superuser_resets_another_superusers_second_factor(superuser, django_user_model):
    other = django_user_model.objects.create_superuser("root2", "root2@example.gr", "pw-root2-long-enough")
    enrol(other)
    device, _ = enrol(superuser)
    _reset(signed_in(superuser, verified_by=device), other)
    assert not TOTPDevice.objects.filter(user=other).exists()


def test_the_accounts_list_says_who_has_set_it_up(officer, officer2):
    device, _codes = enrol(officer)
    page = signed_in(officer, verified_by=device).get(reverse("admin:auth_user_changelist"))
    rows = {u.username: u.mfa_enrolled for u in page.context["cl"].result_list}
    assert rows == {"officer": True, "officer2": False}


def test_the_admin_does_not_show_device_secrets():
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice) and not admin.site.is_registered(StaticDevice)


# --- login throttling still works ---------------------------------------------------------------


def test_axes_still_locks_the_password_step(officer):
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": "officer", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    locked = client.post(
        reverse("login"), {"username": "officer", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert locked.status_code == 429


# --- the setting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "1"}, "False"),
        ({}, "True"),
        ({"MFA_REQUIRED": "0"}, "False"),
        ({"DEBUG": "1", "MFA_REQUIRED": "1"}, "True"),
    ],
)
def test_mfa_required_defaults_to_on_unless_debug(env, expected):
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "MFA_REQUIRED")}
    base.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": secrets.token_urlsafe(50), **env})
    # The settings module alone decides the default: reading it without django.setup() spares the
    # subprocess loading every app (a second of CPU each).
    code = "from django.conf import settings; print(settings.MFA_REQUIRED)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=base,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == expected


# --- the pages themselves, for every role -------------------------------------------------------------

RECOVERY = "/accounts/mfa/recovery-codes/"


@pytest.mark.parametrize("role", ["kalamata_user", "pyli_user", "officer", "approver", "auditor"])
def test_every_role_on_the_mfa_pages(role, request):
    user = request.getfixturevalue(role)
    client = signed_in(user)
    # Not enrolled: the set-up page for everyone (forced or not); the others lead there.
    setup = client.get(SETUP)
    assert setup.status_code == 200 and setup.context["forced"] == (
        role not in ("kalamata_user", "pyli_user")
    )
    assert client.get(VERIFY)["Location"].startswith(SETUP)
    assert client.get(RECOVERY)["Location"].startswith(SETUP)
    # Enrolled and verified (by the set-up itself): verification sends on, the codes page answers.
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(SETUP, {"code": str(totp(device.bin_key)).zfill(6)}).status_code == 200
    assert client.get(SETUP)["Location"].startswith(RECOVERY)
    home = "/portal/" if role in ("kalamata_user", "pyli_user") else "/admin/"
    assert client.get(VERIFY)["Location"] == home
    assert client.get(RECOVERY).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in (SETUP, VERIFY, RECOVERY):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert not TOTPDevice.objects.exists()
