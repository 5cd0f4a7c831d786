"""POST /api/v1/exports/, GET /api/v1/exports/{id}/ and its download_url: 202 with a job to follow,
the owner alone sees and downloads it, a municipality exports only its own rows and only the reports
allowed to it, and bad input is a 400 that names the field."""

import csv
import io

import pytest
from django.urls import reverse

from grants.models import AuditEvent, ExportJob, ExportState

from .conftest import api_client

URL = "/api/v1/exports/"


def _post(client, body, capture):
    with capture(execute=True):
        return client.post(URL, body, format="json")


def test_post_answers_202_and_the_job_is_followed_and_downloaded(
    kalamata_user, two_applications, private_root, django_capture_on_commit_callbacks
):
    client = api_client(kalamata_user)
    response = _post(client, {"report": "operations", "format": "csv"}, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.data
    job = ExportJob.objects.get()
    assert set(response.data) == {"id", "status", "url"} and response.data["id"] == job.pk
    assert response.data["url"].endswith(f"/api/v1/exports/{job.pk}/")

    detail = client.get(response.data["url"])
    assert detail.status_code == 200
    assert detail.data["status"] == ExportState.DONE and detail.data["row_count"] == 1
    download = client.get(detail.data["download_url"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content == (private_root / job.file).read_bytes()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]  # its own, not Pyli's
    event = AuditEvent.objects.get(action="report.export_download")
    assert event.actor == kalamata_user and event.channel == "api"
    assert AuditEvent.objects.get(action="report.export").channel == "api"


def test_a_pending_job_has_no_download_url(auditor, two_applications, private_root):
    client = api_client(auditor)
    response = client.post(URL, {"report": "operations", "format": "xlsx"}, format="json")
    assert response.status_code == 202 and response.data["status"] == "pending"  # not committed yet
    detail = client.get(response.data["url"])
    assert detail.data["status"] == "pending" and detail.data["download_url"] is None
    assert client.get(reverse("api:export-download", args=[response.data["id"]])).status_code == 404


def test_others_jobs_are_404_on_status_and_download(
    kalamata_user,
    pyli_user,
    officer,
    auditor,
    two_applications,
    private_root,
    django_capture_on_commit_callbacks,
):
    body = {"report": "operations", "format": "json"}
    job_id = _post(api_client(kalamata_user), body, django_capture_on_commit_callbacks).data["id"]
    for other in (pyli_user, officer, auditor):
        client = api_client(other)
        assert client.get(f"{URL}{job_id}/").status_code == 404
        assert client.get(f"{URL}{job_id}/download/").status_code == 404
        assert client.get(URL).data["count"] == 0
    assert api_client(kalamata_user).get(URL).data["count"] == 1
    assert not AuditEvent.objects.filter(action="report.export_download").exists()


def test_the_session_of_the_owner_downloads_too(
    client, auditor, two_applications, private_root, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"report": "popularity", "format": "pdf"}, content_type="application/json"
        )
    assert response.status_code == 202
    download = client.get(client.get(response.json()["url"]).json()["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_head_request_does_not_record_a_download(
    kalamata_user, two_applications, private_root, django_capture_on_commit_callbacks
):
    body = {"report": "operations", "format": "json"}
    client = api_client(kalamata_user)
    job_id = _post(client, body, django_capture_on_commit_callbacks).data["id"]
    assert client.head(f"{URL}{job_id}/download/").status_code == 405
    assert not AuditEvent.objects.filter(action="report.export_download").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"report": "nope", "format": "csv"}, "report"),
        ({"report": "operations", "format": "docx"}, "format"),
        ({"report": "inclusions", "format": "zip"}, "format"),
        ({"report": "operations", "format": "csv", "filters": {"colour": "red"}}, "filters"),
        ({"report": "operations", "format": "csv", "filters": {"status": ["bogus"]}}, "filters"),
        ({"report": "operations", "format": "csv", "filters": ["status"]}, "filters"),
        ({"format": "csv"}, "report"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(auditor, body, field, private_root):
    response = api_client(auditor).post(URL, body, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    "filters",
    [
        {"status": ["included"] * 1001},
        {"status": ["included"] * 600, "municipality": ["4401"] * 401},
        {"q": "x" * 1001},
    ],
)
def test_filters_bigger_than_a_report_page_takes_are_a_400(kalamata_user, filters, private_root):
    body = {"report": "operations", "format": "csv", "filters": filters}
    response = api_client(kalamata_user).post(URL, body, format="json")
    assert response.status_code == 400 and "filters" in response.data, response.data
    assert not ExportJob.objects.exists()


def test_the_unknown_filter_is_named(auditor, private_root):
    body = {"report": "operations", "format": "csv", "filters": {"colour": "red"}}
    response = api_client(auditor).post(URL, body, format="json")
    assert "colour" in str(response.data["filters"])


@pytest.mark.parametrize("report", ["audit-trail", "caps", "budgets", "inclusions", "open-data"])
def test_a_municipality_may_not_export_other_reports(kalamata_user, report, private_root):
    response = api_client(kalamata_user).post(URL, {"report": report, "format": "csv"}, format="json")
    assert response.status_code == 403
    assert "operations" in response.data["detail"]  # says what is allowed
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("report", ["operations", "selections", "popularity"])
def test_a_municipality_exports_what_it_may_see(
    kalamata_user, report, two_applications, private_root, django_capture_on_commit_callbacks
):
    client = api_client(kalamata_user)
    response = _post(client, {"report": report, "format": "csv"}, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    content = b"".join(client.get(client.get(response.data["url"]).data["download_url"]).streaming_content)
    assert "ΠΥΛΗΣ".encode() not in content


def test_popularity_of_a_municipality_counts_its_own_application(
    kalamata_user, two_applications, private_root, django_capture_on_commit_callbacks
):
    client = api_client(kalamata_user)
    body = {"report": "popularity", "format": "json"}
    response = _post(client, body, django_capture_on_commit_callbacks)
    rows = client.get(client.get(response.data["url"]).data["download_url"])
    top = __import__("json").loads(b"".join(rows.streaming_content))[0]
    assert top["applicants"] == 1 and top["amount"] == "10000.00"  # Pyli's 20,000 not counted


def test_a_user_without_a_role_exports_nothing(nobody, private_root):
    client = api_client(nobody)
    assert client.post(URL, {"report": "operations", "format": "csv"}, format="json").status_code == 403
    assert client.get(URL).status_code == 403


def test_exports_are_in_the_openapi_schema(auditor):
    schema = api_client(auditor).get("/api/v1/schema/?format=json").json()
    assert {"/api/v1/exports/", "/api/v1/exports/{id}/", "/api/v1/exports/{id}/download/"} <= set(
        schema["paths"]
    )
    assert "202" in schema["paths"]["/api/v1/exports/"]["post"]["responses"]
