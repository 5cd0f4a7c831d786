"""The security review's headers: a Content-Security-Policy on every kind of page (no inline script
allowed but by this response's nonce), and `Cache-Control: no-store` on whatever a signed-in user is
answered, by session or by API token, but not on static files. That the pages really run under the
policy is tested in a browser (tests/portal/test_browser.py)."""

import re

import pytest
from django.urls import include, path

from grants import services

SELF_ONLY = {
    "default-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _boom(request):
    raise RuntimeError("a failure the 500 page must answer")


urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in header.split(";") if d.strip()}


def assert_strict(response):
    directives = policy(response)
    for name, value in SELF_ONLY.items():
        assert directives[name] == value, (name, directives)
    script = directives["script-src"].split()
    assert script[0] == "'self'" and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert all(s == "'self'" or s.startswith("'nonce-") for s in script), script
    return directives


@pytest.fixture
def world(kalamata, kalamata_user, auditor, officer, programme, catalogue):
    application, _ = services.application_get_or_create(
        programme=programme, municipality=kalamata, actor=kalamata_user
    )
    return application


PAGES = [
    # (who, path, status)
    (None, "/accounts/login/", 200),
    (None, "/accounts/password_reset/", 200),
    (None, "/admin/login/", 200),
    (None, "/api/v1/docs/", 200),
    (None, "/api/v1/schema/", 200),
    (None, "/api/v1/applications/", 401),
    (None, "/no-such-page/", 404),
    (None, "/static/portal/portal.css", 200),
    ("kalamata_user", "/portal/", 200),
    ("kalamata_user", "/portal/accessibility/", 200),
    ("kalamata_user", "/reports/", 403),
    ("kalamata_user", "/api/v1/applications/", 200),
    ("officer", "/admin/", 200),
    ("officer", "/admin/grants/application/", 200),
    ("officer", "/admin/grants/application/{pk}/change/", 200),
    ("auditor", "/reports/", 200),
    ("auditor", "/reports/operations/", 200),
]


@pytest.mark.parametrize("who,url,status", PAGES)
def test_every_kind_of_page_carries_the_strict_policy(client, request, world, who, url, status):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(url.format(pk=world.pk))
    assert response.status_code == status
    assert_strict(response)


def test_the_500_page_carries_the_policy(client, settings, db):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert_strict(response)


def test_swagger_uis_inline_script_is_the_only_one_and_carries_the_nonce(client, db):
    response = client.get("/api/v1/docs/")
    nonce = re.search(r"'nonce-([^']+)'", policy(response)["script-src"]).group(1)
    body = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
    assert inline == [f' nonce="{nonce}"'], inline
    assert "<style" not in body and " style=" not in body
    # A new nonce for every response: one seen once is worth nothing to an attacker.
    assert nonce not in client.get("/api/v1/docs/")["Content-Security-Policy"]


def test_pages_without_an_inline_script_send_no_nonce(client, world, kalamata_user):
    client.force_login(kalamata_user)
    response = client.get("/portal/")
    assert "nonce-" not in response["Content-Security-Policy"]
    body = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", body) and "<style" not in body and " style=" not in body


# -- Cache-Control: no-store ---------------------------------------------------------------------------


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "who,url",
    [
        ("kalamata_user", "/portal/"),
        ("kalamata_user", "/portal/applications/{pk}/"),
        ("kalamata_user", "/api/v1/applications/"),
        ("kalamata_user", "/api/v1/docs/"),
        ("officer", "/admin/grants/application/"),
        ("auditor", "/reports/operations/"),
        ("auditor", "/reports/operations.csv"),
        ("kalamata_user", "/no-such-page/"),
    ],
)
def test_a_signed_in_users_answers_are_never_stored(client, request, world, who, url):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url.format(pk=world.pk))
    assert response.status_code in (200, 404)
    assert no_store(response), response.get("Cache-Control")


def test_an_api_token_request_is_never_stored_even_when_refused(client, world, kalamata_user):
    token = services.api_token_get_or_create(user=kalamata_user)
    response = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and no_store(response)
    refused = client.get("/api/v1/applications/", HTTP_AUTHORIZATION="Token not-a-token")
    assert refused.status_code == 401 and no_store(refused)


def test_the_api_token_issued_for_a_password_is_never_stored(client, world, kalamata_user):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "kalamata", "password": "pw-secret-123"},
        content_type="application/json",
    )
    assert response.status_code == 200 and "token" in response.json()
    assert no_store(response)


def test_anonymous_pages_and_static_files_keep_their_caching(client, world, kalamata_user):
    assert not no_store(client.get("/api/v1/docs/"))
    client.force_login(kalamata_user)
    static = client.get("/static/portal/portal.css")
    assert static.status_code == 200 and not no_store(static)
