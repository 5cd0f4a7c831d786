"""The documents, document types and messages endpoints: their shapes, refusals with the reason, and
the return's requested items and deadline over the API."""

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.models import AuditEvent, Document, Message
from tests import files


@pytest.fixture(autouse=True)
def _private(private_root):
    return private_root


@pytest.fixture(autouse=True)
def _english(clients):
    # Reasons are asserted in English, the catalogues' source; Greek is the API's default.
    for client in clients.values():
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def docs_url(app):
    return reverse("api:document-list", kwargs={"application_pk": app.pk})


def upload(client, app, **data):
    payload = {"kind": "council-decision", "file": files.upload(), **data}
    return client.post(docs_url(app), payload, format="multipart")


def test_document_types_by_programme(clients, application_a, document_types):
    from grants.models import DocumentType, Programme

    other = Programme.objects.create(code="OTHER", title="Άλλο", managing_authority="Α", total_budget=1)
    DocumentType.objects.create(programme=other, code="else", title_el="Χ", title_en="X")
    url = reverse("api:document-type-list")
    response = clients["municipality_a"].get(url, {"programme": "SMART-CITIES"})
    assert response.status_code == 200
    rows = response.data["results"]
    assert [r["code"] for r in rows] == ["council-decision", "technical-sheet", "project-documentation"]
    assert rows[0] == {
        "code": "council-decision",
        "title_el": "Απόφαση Δημοτικού Συμβουλίου",
        "title_en": "Municipal council decision",
        "required": True,
        "scope": "application",
        "formats": ["pdf"],
        "max_size": 20 * 1024 * 1024,
    }
    assert rows[2]["scope"] == "project" and rows[2]["required"] is False
    assert response.data["count"] == 3
    assert clients["municipality_a"].get(url).data["count"] == 4


def test_upload_list_read_download_delete(clients, application_a, document_types, kalamata_user):
    client = clients["municipality_a"]
    response = upload(client, application_a)
    assert response.status_code == 201, response.data
    body = response.data
    assert set(body) == {"id", "kind", "project", "filename", "size", "sha256", "uploaded_by", "uploaded_at"}
    assert body["kind"] == "council-decision" and body["project"] is None
    assert body["filename"] == "απόφαση.pdf" and body["size"] == len(files.PDF)
    assert body["sha256"] == hashlib.sha256(files.PDF).hexdigest()
    assert body["uploaded_by"] == "kalamata"
    listed = client.get(docs_url(application_a)).data["results"]
    assert [d["id"] for d in listed] == [body["id"]]
    detail = reverse("api:document-detail", kwargs={"application_pk": application_a.pk, "pk": body["id"]})
    assert clients["auditor"].get(detail).data == body
    download = reverse("api:document-download", kwargs={"application_pk": application_a.pk, "pk": body["id"]})
    response = clients["officer"].get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == files.PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="document.download", channel="api").count() == 1
    assert clients["officer"].head(download).status_code == 405
    assert client.delete(detail).status_code == 204
    assert not Document.objects.exists()


def test_per_project_document_names_the_catalogue_code(clients, application_a, document_types):
    response = upload(clients["municipality_a"], application_a, kind="project-documentation", project="T01")
    assert response.status_code == 201, response.data
    assert response.data["project"] == "T01"
    response = upload(clients["municipality_a"], application_a, kind="project-documentation", project="T05")
    assert response.status_code == 400 and "project" in response.data
    response = upload(clients["municipality_a"], application_a, kind="project-documentation", project="NOPE")
    assert response.status_code == 400 and "project" in response.data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"file": files.upload("απόφαση.pdf", files.TEXT)}, "file", "whatever its name"),
        ({"file": files.upload("x.png", files.PNG)}, "file", "PNG"),
        ({"kind": "nope"}, "kind", "not a document type"),
    ],
)
def test_refused_files_answer_400_with_the_reason(clients, application_a, document_types, data, field, words):
    response = upload(clients["municipality_a"], application_a, **data)
    assert response.status_code == 400, response.data
    assert words in str(response.data[field])
    assert not Document.objects.exists()


def test_too_large_answers_400_and_stores_nothing(clients, application_a, document_types, private_root):
    kind = document_types["council-decision"]
    kind.max_size = 10
    kind.save()
    response = upload(clients["municipality_a"], application_a)
    assert response.status_code == 400 and "at most" in str(response.data["file"])
    assert not any(p.is_file() for p in private_root.rglob("*"))


def test_json_upload_is_415(clients, application_a, document_types):
    response = clients["municipality_a"].post(docs_url(application_a), {"kind": "x"}, format="json")
    assert response.status_code == 415


def test_no_change_once_submitted_is_409(clients, application_a, conversation_a):
    url = reverse("api:application-transitions", kwargs={"application_pk": application_a.pk})
    assert clients["municipality_a"].post(url, {"action": "submit"}, format="json").status_code == 200
    assert upload(clients["municipality_a"], application_a).status_code == 409
    detail = reverse(
        "api:document-detail",
        kwargs={"application_pk": application_a.pk, "pk": conversation_a["document"].pk},
    )
    response = clients["municipality_a"].delete(detail)
    assert response.status_code == 409 and "draft or returned" in response.data["detail"]


def test_submit_refused_names_missing_documents(clients, application_a, document_types):
    url = reverse("api:application-transitions", kwargs={"application_pk": application_a.pk})
    response = clients["municipality_a"].post(url, {"action": "submit"}, format="json")
    assert response.status_code == 409
    assert "Municipal council decision" in response.data["detail"]
    assert "Technical sheet of the operation" in response.data["detail"]
    # In Greek, the types' Greek titles.
    response = clients["municipality_a"].post(
        url, {"action": "submit"}, format="json", HTTP_ACCEPT_LANGUAGE="el"
    )
    assert (
        "Λείπουν υποχρεωτικά έγγραφα: Απόφαση Δημοτικού Συμβουλίου; Τεχνικό Δελτίο Πράξης."
        in response.data["detail"]
    )


def test_thread_over_the_api_and_the_return(clients, application_a, conversation_a):
    messages_url = reverse("api:message-list", kwargs={"application_pk": application_a.pk})
    transitions = reverse("api:application-transitions", kwargs={"application_pk": application_a.pk})
    assert clients["municipality_a"].post(transitions, {"action": "submit"}, format="json").status_code == 200
    due = timezone.localdate() + datetime.timedelta(days=10)
    response = clients["officer"].post(
        transitions,
        {
            "action": "return",
            "note": "Χρειαζόμαστε διευκρινίσεις.",
            "requested_items": ["Υπογεγραμμένο ΤΔΠ", "Προσφορές"],
            "response_due": due.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.data["response_due"] == due.isoformat() and response.data["status"] == "returned"
    thread = clients["municipality_a"].get(messages_url).data["results"]
    assert [m["side"] for m in thread] == ["municipality", "authority"]
    first, ret = thread
    assert first["attachments"][0]["filename"] == "β.pdf"
    assert first["attachments"][0]["download_url"].startswith("http")
    assert ret["kind"] == "return" and ret["requested_items"] == ["Υπογεγραμμένο ΤΔΠ", "Προσφορές"]
    assert ret["response_due"] == due.isoformat() and ret["body"] == "Χρειαζόμαστε διευκρινίσεις."
    response = clients["municipality_a"].post(messages_url, {"body": "Απαντάμε."}, format="json")
    assert response.status_code == 201 and response.data["side"] == "municipality"
    attachment = clients["auditor"].get(first["attachments"][0]["download_url"])
    assert attachment.status_code == 200 and b"".join(attachment.streaming_content) == files.PDF
    assert clients["municipality_a"].post(messages_url, {"body": " "}, format="json").status_code == 400


def test_messages_are_never_changed(clients, application_a, conversation_a):
    url = reverse("api:message-list", kwargs={"application_pk": application_a.pk})
    # There is no message detail: nothing to PUT, PATCH or DELETE.
    assert clients["municipality_a"].put(url, {"body": "x"}, format="json").status_code == 405
    assert clients["municipality_a"].delete(url).status_code == 405
    assert Message.objects.get().body == "Ερώτηση;"


def test_closed_thread_is_409(clients, application_a, conversation_a):
    transitions = reverse("api:application-transitions", kwargs={"application_pk": application_a.pk})
    assert (
        clients["municipality_a"].post(transitions, {"action": "withdraw"}, format="json").status_code == 200
    )
    url = reverse("api:message-list", kwargs={"application_pk": application_a.pk})
    response = clients["officer"].post(url, {"body": "Α"}, format="json")
    assert response.status_code == 409 and "closed" in response.data["detail"]
