"""What the API promises beyond who may call it: the workflow through the API, 409 for refusals and
stale versions, 400 with every field error, 415, tokens, throttling, locally served docs."""

from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants.models import ApplicationStatus, AuditEvent
from projects.models import Selection
from tests.conftest import PASSWORD


def urls(app):
    return {
        "detail": reverse("api:application-detail", kwargs={"pk": app.pk}),
        "selections": reverse("api:selection-list", kwargs={"application_pk": app.pk}),
        "transitions": reverse("api:application-transitions", kwargs={"application_pk": app.pk}),
        "history": reverse("api:application-history", kwargs={"application_pk": app.pk}),
    }


def test_transitions_through_the_api(clients, application_a):
    u = urls(application_a)
    listing = clients["municipality_a"].get(u["transitions"]).data
    by_name = {a["name"]: a for a in listing["actions"]}
    assert by_name["submit"]["allowed"] and not by_name["start_review"]["allowed"]
    assert by_name["start_review"]["reason"]  # says why, not just "no"

    submitted = clients["municipality_a"].post(u["transitions"], {"action": "submit"}, format="json")
    assert submitted.status_code == 200, submitted.data
    assert submitted.data["status"] == ApplicationStatus.SUBMITTED
    assert submitted.data["budget"] == "10000.00"

    again = clients["municipality_a"].post(u["transitions"], {"action": "submit"}, format="json")
    assert again.status_code == 409 and again.data["code"] == "transition_refused" and again.data["detail"]

    refused = clients["approver"].post(u["transitions"], {"action": "start_review"}, format="json")
    assert refused.status_code == 409
    assert (
        clients["officer"].post(u["transitions"], {"action": "start_review"}, format="json").status_code
        == 200
    )

    # A missing note is a field error of the input (400), not a refusal of the state.
    no_note = clients["officer"].post(u["transitions"], {"action": "return"}, format="json")
    assert no_note.status_code == 400 and "note" in no_note.data

    event = AuditEvent.objects.filter(application=application_a, action="workflow.submit").get()
    assert event.channel == "api"
    history = clients["municipality_a"].get(u["history"]).data["results"]
    assert [e["action"] for e in history][-2:] == ["workflow.submit", "workflow.start_review"]


def test_selection_edits_after_submission_are_a_conflict(clients, application_a):
    u = urls(application_a)
    clients["municipality_a"].post(u["transitions"], {"action": "submit"}, format="json")
    response = clients["municipality_a"].post(
        u["selections"], {"project": "T02", "amount": "100.00"}, format="json"
    )
    assert response.status_code == 409 and response.data["detail"]


def test_stale_version_is_a_conflict(clients, application_a):
    u = urls(application_a)
    read = clients["municipality_a"].get(u["detail"])
    version = read.data["version"]
    assert read["ETag"] == f'"{version}"'
    selection = Selection.objects.get(application=application_a)
    detail = reverse("api:selection-detail", kwargs={"application_pk": application_a.pk, "pk": selection.pk})

    ok = clients["officer"].patch(detail, {"amount": "12000.00"}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert ok.status_code == 200 and ok["ETag"] == f'"{version + 1}"'

    # The municipality still holds the old version: both the header and the field are refused.
    stale = clients["municipality_a"].patch(
        detail, {"amount": "1.00"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert stale.status_code == 409 and stale.data["version"] == version + 1
    stale = clients["municipality_a"].post(
        u["transitions"], {"action": "submit", "version": version}, format="json"
    )
    assert stale.status_code == 409 and stale.data["code"] == "stale_version"
    assert Selection.objects.get(pk=selection.pk).amount == Decimal("12000.00")

    garbage = clients["municipality_a"].delete(detail, HTTP_IF_MATCH="yesterday")
    assert garbage.status_code == 400 and "If-Match" in garbage.data


def test_every_field_error_at_once(clients, application_a):
    u = urls(application_a)
    response = clients["municipality_a"].post(
        u["selections"], {"project": "NOPE", "amount": "12.345", "justification": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert {"project", "amount", "justification"} <= set(response.data)

    # A service's refusal about a field is a field error too.
    over_cap = clients["municipality_a"].post(
        u["selections"], {"project": "T02", "amount": "999999999.00"}, format="json"
    )
    assert over_cap.status_code == 400 and "amount" in over_cap.data

    duplicate = clients["officer"].post(
        reverse("api:category-list"), {"order": 1, "title_el": "Α", "title_en": "A"}, format="json"
    )
    assert duplicate.status_code == 400 and "order" in duplicate.data


def test_a_nul_character_in_a_code_is_that_fields_error(clients, application_a):
    response = clients["municipality_a"].post(
        urls(application_a)["selections"], {"project": "T0\u00002", "amount": "5"}, format="json"
    )
    assert response.status_code == 400 and list(response.data) == ["project"]


def test_wrong_content_type_is_415(clients, application_a):
    u = urls(application_a)
    response = clients["municipality_a"].post(
        u["selections"], "project=T02&amount=5", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    response = clients["municipality_a"].post(u["selections"], "<x/>", content_type="application/xml")
    assert response.status_code == 415
    assert not Selection.objects.filter(project__code="T02").exists()


def test_malformed_json_is_400(clients, application_a):
    response = clients["municipality_a"].post(
        urls(application_a)["selections"], "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_token_obtain_and_revoke(kalamata_user, application_a):
    client = APIClient()
    url = reverse("api:auth-token")
    token = client.post(url, {"username": "kalamata", "password": PASSWORD}, format="json").data["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:application-list")).status_code == 200
    assert client.delete(url).status_code == 204
    assert not Token.objects.filter(user=kalamata_user).exists()
    assert client.get(reverse("api:application-list")).status_code == 401


def test_login_is_throttled(kalamata_user):
    client = APIClient()
    url = reverse("api:auth-token")
    codes = [
        client.post(url, {"username": "kalamata", "password": "wrong"}, format="json").status_code
        for _ in range(11)
    ]
    assert codes[:10] == [400] * 10 and codes[10] == 429


def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle(kalamata_user):
    client = APIClient()
    url = reverse("api:auth-token")
    codes = [
        client.post(
            url,
            {"username": "kalamata", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}",
        ).status_code
        for i in range(11)
    ]
    assert codes[10] == 429


def test_municipality_creates_its_own_draft(clients, programme, pyli):
    response = clients["municipality_b"].post(
        reverse("api:application-list"), {"programme": programme.code}, format="json"
    )
    assert response.status_code == 201
    assert response.data["municipality"] == pyli.elstat_code and response.data["status"] == "draft"
    event = AuditEvent.objects.get(action="application.create", municipality=pyli)
    assert event.channel == "api"


def test_filters_and_accent_insensitive_search(clients, application_a, programme, pyli):
    clients["municipality_b"].post(
        reverse("api:application-list"), {"programme": programme.code}, format="json"
    )
    officer = clients["officer"]
    found = officer.get(reverse("api:application-list"), {"q": "καλαματα"}).data["results"]
    assert [a["municipality"] for a in found] == ["4401"]
    found = officer.get(reverse("api:application-list"), {"project": "T01"}).data["results"]
    assert [a["municipality"] for a in found] == ["4401"]
    ordered = officer.get(reverse("api:application-list"), {"ordering": "-municipality__name"}).data
    assert [a["municipality"] for a in ordered["results"]] == ["2603", "4401"]
    assert officer.get(reverse("api:application-list"), {"status": "nonsense"}).status_code == 400


def test_aggregates_are_scoped(clients, application_a, programme):
    clients["municipality_b"].post(
        reverse("api:application-list"), {"programme": programme.code}, format="json"
    )
    officer_rows = clients["officer"].get(reverse("api:report-budgets")).data["results"]
    assert sum(r["applications"] for r in officer_rows) == 2
    b_rows = clients["municipality_b"].get(reverse("api:report-budgets")).data["results"]
    assert sum(r["applications"] for r in b_rows) == 1 and b_rows[0]["total_budget"] == "0.00"
    # The popularity report lists every active project, chosen or not (as /reports/popularity/ does).
    b_popular = clients["municipality_b"].get(reverse("api:report-popularity")).data["results"]
    assert b_popular and {(r["applications"], r["total_amount"]) for r in b_popular} == {(0, "0.00")}
    popular = clients["municipality_a"].get(reverse("api:report-popularity")).data["results"]
    assert popular[0] == {
        "project": "T01",
        "title_el": "Έργο 1",
        "title_en": "Project 1",
        "category": 1,
        "applications": 1,
        "total_amount": "10000.00",
    }
    assert {r["applications"] for r in popular[1:]} == {0}


@pytest.mark.parametrize("role", ["municipality_b", "auditor"])
def test_history_is_scoped(role, clients, application_a):
    response = clients[role].get(urls(application_a)["history"])
    assert response.status_code == (404 if role == "municipality_b" else 200)


def test_docs_are_served_locally(client):
    html = client.get("/api/v1/docs/").content.decode()
    for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["openapi"].startswith("3.")


def test_the_schema_kept_per_language_and_format_is_the_one_generated(client):
    """The schema is generated and rendered once per process and language (grants.api.views_schema):
    a second answer is the same document, each language keeps its own, each format its own rendering,
    and what a caller does to an answer's data reaches no later one."""
    from grants.api import views_schema

    views_schema._forget_schemas()
    first = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    first.data["info"]["title"] = "changed by a caller"
    again = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert again.content == first.content and again.json()["info"]["title"] == "Smart Cities Grants API"
    assert again["Content-Type"] == first["Content-Type"]
    yaml = client.get("/api/v1/schema/")
    assert yaml["Content-Type"].startswith("application/vnd.oai.openapi") and yaml.content.startswith(
        b"openapi:"
    )
    greek = client.get("/api/v1/schema/?lang=el", HTTP_ACCEPT="application/json").json()
    english = client.get("/api/v1/schema/?lang=en", HTTP_ACCEPT="application/json").json()
    assert greek != english and greek["paths"].keys() == english["paths"].keys()
    assert client.get("/api/v1/schema/?lang=el", HTTP_ACCEPT="application/json").json() == greek


def test_an_ineligible_municipality_is_refused_with_the_reason(clients, application_a, officer):
    from grants.services import municipality_update

    municipality_update(
        municipality=application_a.municipality,
        actor=officer,
        eligibility_override=False,
        eligibility_override_reason="Κρίση",
    )
    u = urls(application_a)
    listing = clients["municipality_a"].get(u["transitions"]).data
    submit = {a["name"]: a for a in listing["actions"]}["submit"]
    # The API answers in Greek unless asked otherwise.
    assert not submit["allowed"] and "δεν είναι επιλέξιμος για αυτό το πρόγραμμα" in submit["reason"]
    refused = clients["municipality_a"].post(u["transitions"], {"action": "submit"}, format="json")
    assert refused.status_code == 409 and "δεν είναι επιλέξιμος" in str(refused.data["detail"])


def test_an_unknown_api_address_answers_json_in_the_api_language(client, db):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Δε βρέθηκε.", "code": "not_found"}
    page = client.get("/portal/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("amount", ["1234.567", 1234.567])
def test_a_third_decimal_is_refused_in_the_words_of_the_portal(clients, application_a, amount):
    u = urls(application_a)
    before = list(Selection.objects.values_list("amount", flat=True))
    client = clients["municipality_a"]
    for language, words in [
        ("el", "Ένα ποσό έχει το πολύ δύο δεκαδικά ψηφία"),
        ("en", "at most two decimals"),
    ]:
        response = client.post(
            u["selections"],
            {"project": "T02", "amount": amount},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400
        assert words in str(response.data["amount"][0]) and "1234.567" in str(response.data["amount"][0])
    assert list(Selection.objects.values_list("amount", flat=True)) == before  # refused, not rounded
