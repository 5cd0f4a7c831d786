"""Documents and the clarifications thread through the services and the workflow: the file checks
(content, not name; size before storing), who may change what and when, the submission guard and
receipt, the return's requested items and deadline, and the thread's immutability."""

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from grants import conversation, documents, file_checks
from grants.models import (
    Application,
    AuditEvent,
    Channel,
    Document,
    DocumentType,
    Message,
    MessageAttachment,
    MessageKind,
    MessageSide,
)
from grants.services import application_get_or_create
from grants.workflow import (
    TransitionError,
    available_actions,
    submission_hash,
    submission_is_current,
    transition,
)
from projects.services import selection_add
from tests import files


@pytest.fixture(autouse=True)
def _private(private_root):
    return private_root


@pytest.fixture(autouse=True)
def _english():
    # Refusals are asserted in English, the catalogues' source language; titles stay Greek (data).
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def app(programme, kalamata, kalamata_user, catalogue, document_types):
    application, _ = application_get_or_create(
        programme=programme, municipality=kalamata, actor=kalamata_user
    )
    selection_add(
        application=application, project=catalogue[0], amount=Decimal("1000.00"), actor=kalamata_user
    )
    application.refresh_from_db()
    return application


def attach(app, user, kind, *, name="απόφαση.pdf", content=files.PDF, project=None):
    return documents.document_upload(
        application=app,
        document_type=kind,
        file=files.upload(name, content),
        project=project,
        actor=user,
        channel=Channel.PORTAL,
    )


def attach_required(app, user, document_types):
    attach(app, user, document_types["council-decision"])
    attach(app, user, document_types["technical-sheet"], name="τδπ.pdf")


def stored_files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- what a file is -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (files.PDF, "pdf"),
        (files.PNG, "png"),
        (files.JPEG, "jpeg"),
        (files.DOCX, "docx"),
        (files.XLSX, "xlsx"),
        (files.ODT, "odt"),
        (files.PLAIN_ZIP, ""),
        (files.TEXT, ""),
        (b"PK\x03\x04 not really a zip", ""),
        (b"", ""),
    ],
)
def test_format_is_read_from_content(content, expected):
    handle = BytesIO(content)
    assert file_checks.detect(handle) == expected
    assert handle.tell() == 0


# --- uploading ------------------------------------------------------------------------------------


def test_upload_keeps_hash_size_uploader_time_and_is_audited(
    app, kalamata_user, document_types, private_root
):
    version = app.version
    document = attach(app, kalamata_user, document_types["council-decision"])
    document.refresh_from_db()
    import hashlib

    assert document.sha256 == hashlib.sha256(files.PDF).hexdigest()
    assert document.size == len(files.PDF)
    assert document.format == "pdf"
    assert document.filename == "απόφαση.pdf"
    assert document.uploaded_by == kalamata_user
    assert abs(document.uploaded_at - timezone.now()) < datetime.timedelta(minutes=1)
    # Stored under a name of ours in the private root, with the content sent.
    assert document.file.startswith(f"documents/{app.pk}/") and "απόφαση" not in document.file
    assert (private_root / document.file).read_bytes() == files.PDF
    event = AuditEvent.objects.get(action="document.upload")
    assert event.application_id == app.pk and event.after["sha256"] == document.sha256
    assert event.channel == Channel.PORTAL
    assert Application.objects.get(pk=app.pk).version == version + 1


def test_text_named_pdf_is_refused_and_nothing_is_stored(app, kalamata_user, document_types, private_root):
    with pytest.raises(documents.DocumentError) as refused:
        attach(app, kalamata_user, document_types["council-decision"], name="απόφαση.pdf", content=files.TEXT)
    assert "whatever its name" in refused.value.message_dict["file"][0]
    assert not Document.objects.exists()
    assert stored_files(private_root) == []
    assert not AuditEvent.objects.filter(action="document.upload").exists()


def test_a_format_the_type_does_not_take_is_refused_by_name(app, kalamata_user, document_types):
    with pytest.raises(documents.DocumentError) as refused:
        attach(app, kalamata_user, document_types["council-decision"], name="x.png", content=files.PNG)
    assert "is PNG; accepted here: PDF" in refused.value.message_dict["file"][0]


def test_office_formats_where_chosen(app, kalamata_user, document_types, catalogue):
    kind = document_types["project-documentation"]
    for name, content in (("a.docx", files.DOCX), ("b.xlsx", files.XLSX), ("c.odt", files.ODT)):
        attach(app, kalamata_user, kind, name=name, content=content, project=catalogue[0])
    assert sorted(Document.objects.values_list("format", flat=True)) == ["docx", "odt", "xlsx"]
    with pytest.raises(documents.DocumentError):
        attach(app, kalamata_user, kind, name="d.docx", content=files.PLAIN_ZIP, project=catalogue[0])


def test_size_is_checked_before_storing(app, kalamata_user, document_types, private_root):
    kind = document_types["council-decision"]
    kind.max_size = len(files.PDF) - 1
    kind.save()
    with pytest.raises(documents.DocumentError) as refused:
        attach(app, kalamata_user, kind)
    assert "at most" in refused.value.message_dict["file"][0]
    assert refused.value.error_dict["file"][0].code == "too_large"
    assert stored_files(private_root) == []


def test_empty_file_refused(app, kalamata_user, document_types):
    with pytest.raises(documents.DocumentError, match="empty"):
        attach(app, kalamata_user, document_types["council-decision"], content=b"")


def test_default_max_size_is_20_mb(programme):
    kind = DocumentType.objects.create(programme=programme, code="x", title_el="Χ", title_en="X")
    assert kind.max_size == 20 * 1024 * 1024 and kind.formats == ["pdf"]


def test_project_scope_rules(app, kalamata_user, document_types, catalogue):
    per_project = document_types["project-documentation"]
    with pytest.raises(documents.DocumentError) as refused:
        attach(app, kalamata_user, per_project)
    assert "project" in refused.value.message_dict
    with pytest.raises(documents.DocumentError, match="not selected"):
        attach(app, kalamata_user, per_project, project=catalogue[5])
    with pytest.raises(documents.DocumentError) as refused:
        attach(app, kalamata_user, document_types["council-decision"], project=catalogue[0])
    assert "project" in refused.value.message_dict


def test_another_programmes_type_is_refused(app, kalamata_user):
    from grants.models import Programme

    other = Programme.objects.create(code="OTHER", title="Άλλο", managing_authority="Α", total_budget=1)
    kind = DocumentType.objects.create(programme=other, code="x", title_el="Χ", title_en="X")
    with pytest.raises(documents.DocumentError) as refused:
        attach(app, kalamata_user, kind)
    assert "kind" in refused.value.message_dict


@pytest.mark.parametrize("who", ["pyli_user", "officer", "approver", "auditor"])
def test_only_the_municipality_uploads(who, app, document_types, request):
    user = request.getfixturevalue(who)
    with pytest.raises(documents.DocumentError, match="Only the municipality"):
        attach(app, user, document_types["council-decision"])
    assert not Document.objects.exists()


def test_no_change_after_submission(app, kalamata_user, document_types):
    attach_required(app, kalamata_user, document_types)
    transition(app, "submit", actor=kalamata_user)
    with pytest.raises(documents.DocumentError, match="draft or returned"):
        attach(app, kalamata_user, document_types["council-decision"])
    with pytest.raises(documents.DocumentError, match="draft or returned"):
        documents.document_delete(document=Document.objects.first(), actor=kalamata_user)


def test_delete_removes_the_file_after_commit_and_is_audited(
    app, kalamata_user, document_types, private_root, django_capture_on_commit_callbacks
):
    document = attach(app, kalamata_user, document_types["council-decision"])
    path = private_root / document.file
    with django_capture_on_commit_callbacks(execute=True):
        documents.document_delete(document=document, actor=kalamata_user, channel=Channel.API)
    assert not Document.objects.exists()
    assert not path.exists()
    event = AuditEvent.objects.get(action="document.delete")
    assert event.before["sha256"] == document.sha256 and event.channel == Channel.API


def test_download_is_audited(app, kalamata_user, auditor, document_types):
    document = attach(app, kalamata_user, document_types["council-decision"])
    with documents.document_open(document=document, actor=auditor, channel=Channel.ADMIN) as handle:
        assert handle.read() == files.PDF
    event = AuditEvent.objects.get(action="document.download")
    assert event.actor == auditor and event.after["sha256"] == document.sha256


# --- submission ---------------------------------------------------------------------------------


def test_submit_refused_naming_the_missing_types(app, kalamata_user, document_types):
    with pytest.raises(TransitionError) as refused:
        transition(app, "submit", actor=kalamata_user)
    message = " ".join(refused.value.messages)
    assert "Municipal council decision" in message and "Technical sheet of the operation" in message
    option = next(o for o in available_actions(app, kalamata_user) if o.name == "submit")
    assert not option.allowed and "Municipal council decision" in option.reason
    attach(app, kalamata_user, document_types["council-decision"])
    with pytest.raises(TransitionError) as refused:
        transition(app, "submit", actor=kalamata_user)
    assert "Municipal council decision" not in " ".join(refused.value.messages)
    attach(app, kalamata_user, document_types["technical-sheet"])
    transition(app, "submit", actor=kalamata_user)
    assert Application.objects.get(pk=app.pk).status == "submitted"


def test_a_required_per_project_type_names_each_project(app, kalamata_user, document_types, catalogue):
    kind = document_types["project-documentation"]
    kind.required = True
    kind.save()
    selection_add(application=app, project=catalogue[1], amount=Decimal("10.00"), actor=kalamata_user)
    attach_required(app, kalamata_user, document_types)
    attach(app, kalamata_user, kind, project=catalogue[0])
    assert documents.missing_documents(app) == ["Project documentation (T02)"]


def test_the_receipt_covers_the_documents(app, kalamata_user, document_types):
    without = submission_hash(app)
    attach_required(app, kalamata_user, document_types)
    with_documents = submission_hash(app)
    assert with_documents != without
    transition(app, "submit", actor=kalamata_user)
    app.refresh_from_db()
    assert app.submission_hash == with_documents and submission_is_current(app)
    # A document changed after the submission (here behind the services' back) voids the receipt.
    Document.objects.filter(document_type__code="technical-sheet").update(sha256="0" * 64)
    assert not submission_is_current(app)


def test_a_receipt_issued_before_documents_existed_still_verifies(
    programme, kalamata, kalamata_user, catalogue
):
    import hashlib
    import json

    application, _ = application_get_or_create(
        programme=programme, municipality=kalamata, actor=kalamata_user
    )
    selection_add(application=application, project=catalogue[0], amount=Decimal("5.00"), actor=kalamata_user)
    payload = json.dumps(
        {"application": application.pk, "selections": [["T01", "5.00", ""]]}, sort_keys=True
    ).encode()
    assert submission_hash(application) == hashlib.sha256(payload).hexdigest()


# --- return and the thread ------------------------------------------------------------------------


def submitted(app, user, document_types):
    attach_required(app, user, document_types)
    transition(app, "submit", actor=user)
    app.refresh_from_db()
    return app


def test_return_posts_the_requested_items_with_the_default_deadline(
    app, kalamata_user, officer, document_types
):
    submitted(app, kalamata_user, document_types)
    transition(
        app,
        "return",
        actor=officer,
        note="Λείπουν στοιχεία.",
        channel=Channel.ADMIN,
        requested_items="Υπογεγραμμένη απόφαση\n\n  Προϋπολογισμός ανά έργο ",
    )
    app.refresh_from_db()
    due = timezone.localdate() + datetime.timedelta(days=15)
    assert app.status == "returned" and app.response_due == due
    message = Message.objects.get()
    assert message.kind == MessageKind.RETURN and message.side == MessageSide.AUTHORITY
    assert message.body == "Λείπουν στοιχεία."
    assert message.requested_items == ["Υπογεγραμμένη απόφαση", "Προϋπολογισμός ανά έργο"]
    assert message.response_due == due and message.author == officer
    event = AuditEvent.objects.get(action="workflow.return")
    assert event.after["response_due"] == due.isoformat()
    assert event.after["requested_items"] == message.requested_items
    assert AuditEvent.objects.filter(action="message.post", channel=Channel.ADMIN).count() == 1


def test_return_takes_the_programmes_days_or_a_given_date(
    app, kalamata_user, officer, document_types, programme
):
    programme.response_days = 7
    programme.save()
    submitted(app, kalamata_user, document_types)
    transition(app, "return", actor=officer, note="Α", requested_items=["x"])
    app.refresh_from_db()
    assert app.response_due == timezone.localdate() + datetime.timedelta(days=7)
    transition(app, "submit", actor=kalamata_user)
    app.refresh_from_db()
    assert app.response_due is None  # answered
    given = timezone.localdate() + datetime.timedelta(days=30)
    transition(app, "return", actor=officer, note="Β", response_due=given.isoformat())
    app.refresh_from_db()
    assert app.response_due == given


def test_return_refuses_a_past_deadline_and_changes_nothing(app, kalamata_user, officer, document_types):
    submitted(app, kalamata_user, document_types)
    with pytest.raises(TransitionError) as refused:
        transition(
            app,
            "return",
            actor=officer,
            note="Α",
            response_due=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert "response_due" in refused.value.message_dict
    app.refresh_from_db()
    assert app.status == "submitted" and not Message.objects.exists()


def test_the_municipality_answers_in_the_thread_and_resubmits(app, kalamata_user, officer, document_types):
    submitted(app, kalamata_user, document_types)
    transition(app, "return", actor=officer, note="Στείλτε το ΤΔΠ υπογεγραμμένο.", requested_items=["ΤΔΠ"])
    conversation.post_message(
        application=app,
        author=kalamata_user,
        body="Επισυνάπτεται.",
        attachments=[files.upload("τδπ-υπογεγραμμένο.pdf")],
        channel=Channel.PORTAL,
    )
    transition(app, "submit", actor=kalamata_user)
    thread = list(Message.objects.order_by("created_at", "id"))
    assert [m.side for m in thread] == ["authority", "municipality"]
    assert thread[1].attachments.get().filename == "τδπ-υπογεγραμμένο.pdf"
    event = AuditEvent.objects.filter(action="message.post").order_by("id").last()
    assert event.after["attachments"][0]["sha256"] == thread[1].attachments.get().sha256


@pytest.mark.parametrize("who", ["kalamata_user", "officer", "approver"])
def test_who_writes(who, app, request):
    user = request.getfixturevalue(who)
    message = conversation.post_message(application=app, author=user, body="Ερώτηση;")
    assert message.side == ("municipality" if who == "kalamata_user" else "authority")


@pytest.mark.parametrize("who", ["pyli_user", "auditor"])
def test_who_may_not_write(who, app, request):
    user = request.getfixturevalue(who)
    with pytest.raises(conversation.MessageError, match="Only the municipality"):
        conversation.post_message(application=app, author=user, body="Ερώτηση;")
    assert not Message.objects.exists()


def test_open_in_every_status_until_the_operation_is_closed(app, kalamata_user, officer, document_types):
    submitted(app, kalamata_user, document_types)
    for action, actor in (("start_review", officer), ("propose_inclusion", officer)):
        transition(app, action, actor=actor)
        conversation.post_message(application=app, author=kalamata_user, body=f"μετά το {action}")
    transition(app, "withdraw", actor=kalamata_user)
    app.refresh_from_db()
    with pytest.raises(conversation.MessageError, match="closed"):
        conversation.post_message(application=app, author=officer, body="Και τώρα;")
    assert Message.objects.count() == 2


def test_message_checks(app, kalamata_user, private_root):
    with pytest.raises(conversation.MessageError) as refused:
        conversation.post_message(application=app, author=kalamata_user, body="   ")
    assert "body" in refused.value.message_dict
    with pytest.raises(documents.DocumentError) as refused:
        conversation.post_message(
            application=app, author=kalamata_user, body="Α", attachments=[files.upload("a.pdf", files.TEXT)]
        )
    assert "attachments" in refused.value.message_dict
    assert not Message.objects.exists() and stored_files(private_root) == []


def test_messages_are_never_changed_or_deleted_even_in_sql(app, kalamata_user):
    message = conversation.post_message(
        application=app, author=kalamata_user, body="Α", attachments=[files.upload("a.pdf")]
    )
    for sql in (
        "UPDATE grants_message SET body = 'changed'",
        "DELETE FROM grants_message",
        "DELETE FROM grants_messageattachment",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql)
    message.refresh_from_db()
    assert message.body == "Α" and MessageAttachment.objects.count() == 1


# --- the seeded types ---------------------------------------------------------------------------


def test_reference_data_seeds_illustrative_types_once(programme):
    from grants.reference import LoadReport, _seed_document_types

    _seed_document_types(programme, actor=None, channel=Channel.COMMAND, report=LoadReport())
    _seed_document_types(programme, actor=None, channel=Channel.COMMAND, report=LoadReport())
    kinds = {k.code: k for k in DocumentType.objects.filter(programme=programme)}
    assert set(kinds) == {"council-decision", "technical-sheet", "project-documentation"}
    assert (
        kinds["council-decision"].title_el == "Απόφαση Δημοτικού Συμβουλίου"
        and kinds["council-decision"].required
    )
    assert kinds["technical-sheet"].title_el == "Τεχνικό Δελτίο Πράξης" and kinds[
        "technical-sheet"
    ].formats == ["pdf"]
    assert kinds["project-documentation"].scope == "project" and not kinds["project-documentation"].required
    assert not any(k.official for k in kinds.values())
    assert AuditEvent.objects.filter(action="document_type.create").count() == 3


def test_document_type_save_is_audited_and_checks_formats(programme, officer):
    kind = DocumentType(
        programme=programme, code="plans", title_el="Σχέδια", title_en="Plans", formats=["png", "pdf"]
    )
    documents.document_type_save(document_type=kind, actor=officer, channel=Channel.ADMIN)
    assert kind.formats == ["pdf", "png"]
    assert AuditEvent.objects.filter(action="document_type.create", actor=officer).exists()
    kind.formats = ["exe"]
    with pytest.raises(documents.DocumentError):
        documents.document_type_save(document_type=kind, actor=officer)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\δήμος\\απόφαση.pdf", "απόφαση.pdf"),
        ("a\x00b\nc.pdf", "abc.pdf"),
        ("", "file"),
        ("α" * 300 + ".pdf", "α" * 251 + ".pdf"),
    ],
)
def test_the_senders_file_name_is_made_safe(sent, kept):
    assert documents.clean_filename(sent) == kept
