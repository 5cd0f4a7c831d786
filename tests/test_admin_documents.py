"""Documents, document types and the clarifications thread in the admin: read-only lists with
checked, audited downloads on the application page, the thread's page where officers write, the
return's requested items and deadline, and who may reach each new URL."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants import conversation, documents, workflow
from grants.models import AuditEvent, Channel, DocumentType, Message, MessageAttachment
from grants.services import application_get_or_create
from projects.services import selection_add
from tests import files


@pytest.fixture(autouse=True)
def _private(private_root):
    return private_root


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def app(programme, kalamata, kalamata_user, catalogue, document_types):
    application, _ = application_get_or_create(
        programme=programme, municipality=kalamata, actor=kalamata_user
    )
    selection_add(
        application=application, project=catalogue[0], amount=Decimal("1000.00"), actor=kalamata_user
    )
    documents.document_upload(
        application=application,
        document_type=document_types["council-decision"],
        file=files.upload(),
        actor=kalamata_user,
    )
    conversation.post_message(
        application=application,
        author=kalamata_user,
        body="Ερώτηση δήμου;",
        attachments=[files.upload("σ.pdf")],
    )
    application.refresh_from_db()
    return application


def urls(app):
    document = app.documents.order_by("pk").first()
    attachment = MessageAttachment.objects.filter(message__application=app).order_by("pk").first()
    return {
        "change": reverse("admin:grants_application_change", args=[app.pk]),
        "document": reverse("admin:grants_application_document_download", args=[app.pk, document.pk]),
        "attachment": reverse("admin:grants_application_attachment_download", args=[app.pk, attachment.pk]),
        "thread": reverse("admin:grants_application_thread", args=[app.pk]),
    }


@pytest.mark.parametrize("who", ["officer", "approver", "auditor"])
def test_staff_read_documents_and_thread_and_download(who, client, app, request):
    user = request.getfixturevalue(who)
    login(client, user)
    u = urls(app)
    page = client.get(u["change"]).content.decode()
    assert "απόφαση.pdf" in page and "Ερώτηση δήμου;" in page
    assert u["document"] in page and u["attachment"] in page
    assert "Required documents missing:" in page and "Technical sheet of the operation" in page
    for name in ("document", "attachment"):
        response = client.get(u[name])
        assert response.status_code == 200 and b"".join(response.streaming_content) == files.PDF
    downloads = AuditEvent.objects.filter(actor=user, channel=Channel.ADMIN)
    assert set(downloads.values_list("action", flat=True)) == {
        "document.download",
        "message.attachment_download",
    }
    assert client.get(u["thread"]).status_code == 200


@pytest.mark.parametrize("who", ["kalamata_user", "pyli_user", None])
def test_non_staff_never_reach_the_admin_urls(who, client, app, request):
    if who:
        client.force_login(request.getfixturevalue(who))
    for name, url in urls(app).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name
        assert client.post(url, {"body": "x"}).status_code == 302, name
    assert Message.objects.count() == 1
    assert not AuditEvent.objects.filter(action__endswith="download").exists()


def test_unknown_document_is_404(client, app, officer):
    login(client, officer)
    url = reverse("admin:grants_application_document_download", args=[app.pk, 999999])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("who", ["officer", "approver"])
def test_officers_and_approvers_write_in_the_thread(who, client, app, request):
    user = request.getfixturevalue(who)
    login(client, user)
    url = urls(app)["thread"]
    response = client.post(url, {"body": "Απάντηση ΕΥΔ.", "attachment": files.upload("οδηγία.pdf")})
    assert response.status_code == 302
    message = Message.objects.get(side="authority")
    assert message.author == user and message.attachments.get().filename == "οδηγία.pdf"
    assert AuditEvent.objects.filter(action="message.post", actor=user, channel=Channel.ADMIN).exists()
    response = client.post(url, {"body": "x", "attachment": files.upload("x.pdf", files.TEXT)})
    assert response.status_code == 400 and "whatever its name" in response.content.decode()


def test_auditors_read_the_thread_but_do_not_write(client, app, auditor):
    login(client, auditor)
    url = urls(app)["thread"]
    page = client.get(url).content.decode()
    assert "Ερώτηση δήμου;" in page and "Only the municipality and the managing authority" in page
    assert client.post(url, {"body": "Α"}).status_code == 403
    assert Message.objects.count() == 1


def test_return_in_the_admin_takes_items_and_a_deadline(client, app, kalamata_user, officer, document_types):
    documents.document_upload(
        application=app,
        document_type=document_types["technical-sheet"],
        file=files.upload(),
        actor=kalamata_user,
    )
    workflow.transition(app, "submit", actor=kalamata_user)
    login(client, officer)
    due = timezone.localdate() + datetime.timedelta(days=20)
    response = client.post(
        reverse("admin:grants_application_transition", args=[app.pk, "return"]),
        {
            "return-note": "Λείπουν υπογραφές.",
            "return-requested_items": "Υπογραφή δημάρχου\nΣφραγίδα",
            "return-response_due": due.strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "returned" and app.response_due == due
    message = Message.objects.get(kind="return")
    assert message.requested_items == ["Υπογραφή δημάρχου", "Σφραγίδα"] and message.response_due == due
    page = client.get(urls(app)["change"]).content.decode()
    assert "Υπογραφή δημάρχου" in page and due.strftime("%d/%m/%Y") in page


def test_officer_sets_document_types_in_the_admin(client, programme, officer, auditor):
    login(client, officer)
    url = reverse("admin:grants_documenttype_add")
    response = client.post(
        url,
        {
            "programme": programme.pk,
            "code": "budget-sheet",
            "title_el": "Φύλλο προϋπολογισμού",
            "title_en": "Budget sheet",
            "required": "on",
            "scope": "application",
            "formats": ["xlsx", "pdf"],
            "max_size": 5 * 1024 * 1024,
            "order": 4,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    kind = DocumentType.objects.get(code="budget-sheet")
    assert kind.formats == ["pdf", "xlsx"] and kind.required
    assert AuditEvent.objects.filter(action="document_type.create", actor=officer).exists()
    listing = client.get(reverse("admin:grants_documenttype_changelist")).content.decode()
    assert "PDF, XLSX" in listing and "5 MB" in listing
    login(client, auditor)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:grants_documenttype_changelist")).status_code in (200, 403)


def test_change_page_queries_do_not_grow_with_documents_and_messages(client, app, kalamata_user, officer):
    login(client, officer)
    url = urls(app)["change"]

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    kind = DocumentType.objects.get(code="project-documentation")
    for i in range(5):
        documents.document_upload(
            application=app,
            document_type=kind,
            project=app.selections.get().project,
            file=files.upload(f"{i}.pdf"),
            actor=kalamata_user,
        )
        conversation.post_message(application=app, author=officer, body=f"{i}", attachments=[files.upload()])
    many = count()
    print("admin application page: queries", few, many)
    assert many == few
