"""One JSON line per request, the request id in X-Request-ID and on the 500 page, the 403 page in both
languages, and the API's JSON for 500 and 503 (database down), inside DRF views and outside them."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants.request_log import SANE_ID

pytestmark = pytest.mark.urls("tests.ops.urls_failing")


def request_lines(capsys):
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if "status" in line]


def test_each_request_writes_one_json_line_with_its_id(client, kalamata_user, capsys):
    client.force_login(kalamata_user)
    response = client.get("/portal/")
    (line,) = request_lines(capsys)
    assert set(line) == {"time", "request_id", "user_id", "method", "path", "status", "duration_ms"}
    assert line["request_id"] == response["X-Request-ID"] and SANE_ID.fullmatch(line["request_id"])
    assert line["user_id"] == kalamata_user.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/portal/", response.status_code)
    assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")


def test_an_anonymous_request_logs_no_user_and_the_query_string_is_left_out(client, db, capsys):
    client.get("/accounts/login/?next=/portal/&token=abc")
    (line,) = request_lines(capsys)
    assert line["user_id"] is None and line["path"] == "/accounts/login/" and line["status"] == 200


def test_an_api_request_logs_the_token_user(kalamata_user, capsys):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=kalamata_user).key}")
    response = api.get("/api/v1/applications/")
    (line,) = request_lines(capsys)
    assert response.status_code == 200 and line["user_id"] == kalamata_user.pk


def test_every_request_gets_a_fresh_id(client, db):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_clients_request_id_is_ignored_without_a_trusted_proxy(client, db, settings):
    settings.NUM_PROXIES = 0
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef0123456789abcdef0123456789")
    assert response["X-Request-ID"] != "abcdef0123456789abcdef0123456789"


@pytest.mark.parametrize(
    "offered, kept",
    [
        ("abcdef0123456789abcdef0123456789", True),  # nginx's $request_id
        ("0c7a2b1e-5f0e-4a8e-9d55-2b8f5b0e1c3d", True),
        ("short", False),
        ("x" * 129, False),
        ('abc"><script>alert(1)</script>', False),
        ("abcdefgh\nfake log line", False),
        ("", False),
    ],
)
def test_a_trusted_proxys_request_id_is_kept_only_when_sane(client, db, settings, offered, kept, capsys):
    settings.NUM_PROXIES = 1
    response = client.get("/healthz", HTTP_X_REQUEST_ID=offered)
    (line,) = request_lines(capsys)
    assert (response["X-Request-ID"] == offered) is kept
    assert line["request_id"] == response["X-Request-ID"] and SANE_ID.fullmatch(line["request_id"])


def test_the_500_page_shows_the_request_id_in_greek_and_english(db, capsys):
    response = Client(raise_request_exception=False).get("/boom/")
    body = response.content.decode()
    request_id = response["X-Request-ID"]
    assert response.status_code == 500
    assert "Κάτι πήγε στραβά" in body and "Something went wrong" in body
    assert f"Κωδικός αιτήματος: <code>{request_id}</code>" in body
    assert f"Request id: <code>{request_id}</code>" in body
    assert "RuntimeError" not in body and "Traceback" not in body
    (line,) = request_lines(capsys)
    assert line["status"] == 500 and line["request_id"] == request_id


@pytest.mark.parametrize(
    "language, title, text",
    [
        ("el", "Δεν επιτρέπεται η πρόσβαση", "Ο λογαριασμός σας δεν μπορεί"),
        ("en", "Access denied", "Your account may not see this page"),
    ],
)
def test_the_403_page_speaks_greek_and_english(client, kalamata_user, language, title, text):
    client.force_login(kalamata_user)  # a municipality may not read the programme's reports
    response = client.get("/reports/", HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in body and text in body


def assert_json_failure(response, status, code):
    assert response.status_code == status and response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "request_id"} and body["detail"]
    assert body["code"] == code and body["request_id"] == response["X-Request-ID"]
    assert "Error" not in body["detail"] and "Traceback" not in response.content.decode()


def test_an_api_error_outside_drf_answers_json_with_the_request_id(db, capsys):
    response = Client(raise_request_exception=False).get("/api/boom/")
    assert_json_failure(response, 500, "server_error")
    (line,) = request_lines(capsys)
    assert line["status"] == 500 and line["request_id"] == response["X-Request-ID"]


def test_an_api_error_inside_a_drf_view_answers_json_with_the_request_id(db):
    response = Client(raise_request_exception=False).get("/api/drf-boom/")
    assert_json_failure(response, 500, "server_error")


def test_the_api_answers_503_json_when_the_database_is_down(kalamata_token, database_down):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {kalamata_token}")
    response = api.get("/api/v1/applications/", HTTP_ACCEPT_LANGUAGE="en")
    assert_json_failure(response, 503, "service_unavailable")
    assert response.json()["detail"] == "The service is temporarily unavailable; try again in a moment."
    assert response["Retry-After"] == "30"


def test_an_api_path_outside_drf_answers_503_json_when_the_database_is_down(database_down):
    response = Client(raise_request_exception=False).get("/api/plain-db/")
    assert_json_failure(response, 503, "service_unavailable")


def test_a_page_answers_503_with_the_error_page_when_the_database_is_down(database_down):
    response = Client(raise_request_exception=False).get("/plain-db/")
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert response["X-Request-ID"] in response.content.decode()


@pytest.fixture
def kalamata_token(kalamata_user):
    return Token.objects.create(user=kalamata_user).key
