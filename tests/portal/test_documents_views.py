"""The portal's documents and clarifications pages: upload (refusals on the field), remove, download,
the thread and its attachments, query counts that do not grow with rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import conversation, documents
from grants.models import AuditEvent, Channel, Document, Message
from grants.workflow import transition
from tests import files


@pytest.fixture(autouse=True)
def _private(private_root):
    return private_root


@pytest.fixture
def draft(kalamata, kalamata_user, catalogue, make_application, document_types):
    return make_application(kalamata, kalamata_user, 2)


def test_upload_list_download_remove(client, draft, kalamata_user, document_types):
    client.force_login(kalamata_user)
    url = reverse("portal:documents", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "Still missing before you can submit" in page and "Municipal council decision" in page
    response = client.post(url, {"kind": "council-decision", "project": "", "file": files.upload()})
    assert response.status_code == 302
    document = Document.objects.get()
    page = client.get(url).content.decode()
    assert "απόφαση.pdf" in page and document.sha256 in page
    download = client.get(reverse("portal:document_download", args=[draft.pk, document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == files.PDF
    assert AuditEvent.objects.filter(action="document.download", channel=Channel.PORTAL).exists()
    remove = reverse("portal:document_delete", args=[draft.pk, document.pk])
    assert "Remove «απόφαση.pdf»" in client.get(remove).content.decode()
    assert client.post(remove).status_code == 302
    assert not Document.objects.exists()


def test_a_text_file_named_pdf_is_refused_on_the_field(client, draft, kalamata_user, document_types):
    client.force_login(kalamata_user)
    url = reverse("portal:documents", args=[draft.pk])
    response = client.post(url, {"kind": "council-decision", "file": files.upload("απόφαση.pdf", files.TEXT)})
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split('id="id_file_error"', 1)[1].split("</p>", 1)[0]
    assert "whatever its name" in error
    assert not Document.objects.exists()


def test_a_per_project_document_without_its_project_is_refused(client, draft, kalamata_user, document_types):
    client.force_login(kalamata_user)
    url = reverse("portal:documents", args=[draft.pk])
    response = client.post(url, {"kind": "project-documentation", "file": files.upload()})
    assert response.status_code == 400
    assert 'id="id_project_error"' in response.content.decode()
    response = client.post(url, {"kind": "project-documentation", "project": "T01", "file": files.upload()})
    assert response.status_code == 302
    assert Document.objects.get().project.code == "T01"


def test_read_only_once_submitted(client, draft, kalamata_user, document_types):
    for code in ("council-decision", "technical-sheet"):
        documents.document_upload(
            application=draft, document_type=document_types[code], file=files.upload(), actor=kalamata_user
        )
    transition(draft, "submit", actor=kalamata_user)
    client.force_login(kalamata_user)
    url = reverse("portal:documents", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "Attach a document" not in page and "only while the application is a draft or returned" in page
    response = client.post(url, {"kind": "council-decision", "file": files.upload()})
    assert response.status_code == 400 and Document.objects.count() == 2
    remove = reverse("portal:document_delete", args=[draft.pk, Document.objects.first().pk])
    assert client.post(remove).status_code == 400 and Document.objects.count() == 2


def test_submit_page_names_the_missing_documents(client, draft, kalamata_user, document_types):
    client.force_login(kalamata_user)
    page = client.get(reverse("portal:submit", args=[draft.pk])).content.decode()
    assert "Municipal council decision" in page and "Technical sheet of the operation" in page


def test_thread_question_answer_and_attachment(client, draft, kalamata_user, officer):
    client.force_login(kalamata_user)
    url = reverse("portal:messages", args=[draft.pk])
    assert "No message yet." in client.get(url).content.decode()
    response = client.post(
        url, {"body": "Ερώτηση για το έργο T01;", "attachment": files.upload("σχέδιο.pdf")}
    )
    assert response.status_code == 302
    conversation.post_message(application=draft, author=officer, body="Απάντηση της ΕΥΔ.")
    page = client.get(url).content.decode()
    assert "Ερώτηση για το έργο T01;" in page and "Απάντηση της ΕΥΔ." in page
    attachment = Message.objects.get(side="municipality").attachments.get()
    download = client.get(reverse("portal:attachment_download", args=[draft.pk, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == files.PDF
    assert (
        client.post(reverse("portal:attachment_download", args=[draft.pk, attachment.pk])).status_code == 405
    )
    response = client.post(url, {"body": "x", "attachment": files.upload("a.pdf", files.TEXT)})
    assert response.status_code == 400 and 'id="id_attachment_error"' in response.content.decode()
    assert Message.objects.count() == 2


def test_return_shows_items_and_deadline(client, draft, kalamata_user, officer, document_types):
    for code in ("council-decision", "technical-sheet"):
        documents.document_upload(
            application=draft, document_type=document_types[code], file=files.upload(), actor=kalamata_user
        )
    transition(draft, "submit", actor=kalamata_user)
    transition(draft, "return", actor=officer, note="Διορθώσεις.", requested_items=["Νέο ΤΔΠ"])
    draft.refresh_from_db()
    client.force_login(kalamata_user)
    page = client.get(reverse("portal:messages", args=[draft.pk])).content.decode()
    assert "Νέο ΤΔΠ" in page and draft.response_due.strftime("%d/%m/%Y") in page
    detail = client.get(reverse("portal:application", args=[draft.pk])).content.decode()
    assert draft.response_due.strftime("%d/%m/%Y") in detail


def test_closed_thread_says_why(client, draft, kalamata_user):
    transition(draft, "withdraw", actor=kalamata_user)
    client.force_login(kalamata_user)
    url = reverse("portal:messages", args=[draft.pk])
    assert "takes no more messages" in client.get(url).content.decode()
    assert client.post(url, {"body": "Α"}).status_code == 400
    assert not Message.objects.exists()


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_documents_and_messages(
    client, draft, kalamata_user, officer, document_types
):
    client.force_login(kalamata_user)
    pages = [reverse("portal:documents", args=[draft.pk]), reverse("portal:messages", args=[draft.pk])]

    def add(n):
        for i in range(n):
            documents.document_upload(
                application=draft,
                document_type=document_types["project-documentation"],
                project=draft.selections.first().project,
                file=files.upload(f"{i}.pdf"),
                actor=kalamata_user,
            )
            conversation.post_message(
                application=draft, author=officer, body=f"{i}", attachments=[files.upload(f"{i}.pdf")]
            )

    add(1)
    few = [_count(client, url) for url in pages]
    add(6)
    many = [_count(client, url) for url in pages]
    print("documents, messages pages: queries", few, many)
    assert few == many, (few, many)


def test_receipt_and_its_pdf_list_the_documents_with_their_hashes(
    client, draft, kalamata_user, document_types
):
    import io

    from pypdf import PdfReader

    for code in ("council-decision", "technical-sheet"):
        documents.document_upload(
            application=draft, document_type=document_types[code], file=files.upload(), actor=kalamata_user
        )
    transition(draft, "submit", actor=kalamata_user)
    sha = Document.objects.first().sha256
    client.force_login(kalamata_user)
    page = client.get(reverse("portal:receipt", args=[draft.pk])).content.decode()
    assert sha in page and "justifications and documents" in page
    pdf = client.get(reverse("portal:receipt_pdf", args=[draft.pk])).content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert sha[:32] in text and "Τεχνικό Δελτίο Πράξης" in text


@pytest.mark.parametrize("who", ["officer", "approver", "auditor"])
def test_staff_are_sent_to_the_admin_from_every_new_portal_url(who, client, draft, kalamata_user, request):
    document = documents.document_upload(
        application=draft,
        document_type=draft.programme.document_types.get(code="council-decision"),
        file=files.upload(),
        actor=kalamata_user,
    )
    message = conversation.post_message(
        application=draft, author=kalamata_user, body="Α", attachments=[files.upload()]
    )
    urls = [
        reverse("portal:documents", args=[draft.pk]),
        reverse("portal:document_download", args=[draft.pk, document.pk]),
        reverse("portal:document_delete", args=[draft.pk, document.pk]),
        reverse("portal:messages", args=[draft.pk]),
        reverse("portal:attachment_download", args=[draft.pk, message.attachments.get().pk]),
    ]
    client.force_login(request.getfixturevalue(who))
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and response["Location"] == reverse("admin:index"), url
    assert Document.objects.count() == 1 and Message.objects.count() == 1
    assert not AuditEvent.objects.filter(action__endswith="download").exists()
