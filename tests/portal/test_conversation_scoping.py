"""Tried as an attacker: another municipality's documents, thread and attachments, through its own URLs
and smuggled into one's own application's URLs, in the portal, the API and the admin. Every one answers
404 and changes nothing; a file refused by its content or size stores nothing."""

import pytest
from django.urls import reverse

from grants import conversation, documents
from grants.models import Channel, Document, Message
from tests import files
from tests.api.conftest import client_for


@pytest.fixture(autouse=True)
def _private(private_root):
    return private_root


@pytest.fixture
def world(kalamata, kalamata_user, pyli, pyli_user, catalogue, make_application, officer, document_types):
    """Kalamata's and Pyli's drafts; Pyli has a document and a message with an attachment."""
    mine = make_application(kalamata, kalamata_user, 1)
    theirs = make_application(pyli, pyli_user, 1)
    doc = documents.document_upload(
        application=theirs,
        document_type=document_types["council-decision"],
        file=files.upload(),
        actor=pyli_user,
        channel=Channel.PORTAL,
    )
    message = conversation.post_message(
        application=theirs, author=pyli_user, body="Του άλλου δήμου", attachments=[files.upload("π.pdf")]
    )
    return mine, theirs, doc, message.attachments.get()


def test_the_portal_answers_404_for_another_municipalitys_conversation(client, world, kalamata_user):
    mine, theirs, doc, attachment = world
    client.force_login(kalamata_user)
    urls = [
        reverse("portal:documents", args=[theirs.pk]),
        reverse("portal:messages", args=[theirs.pk]),
        reverse("portal:document_download", args=[theirs.pk, doc.pk]),
        reverse("portal:document_delete", args=[theirs.pk, doc.pk]),
        reverse("portal:attachment_download", args=[theirs.pk, attachment.pk]),
        # Their ids under my own application's URLs.
        reverse("portal:document_download", args=[mine.pk, doc.pk]),
        reverse("portal:document_delete", args=[mine.pk, doc.pk]),
        reverse("portal:attachment_download", args=[mine.pk, attachment.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in (urls[0], urls[1], urls[3], urls[6]):
        data = {"kind": "council-decision", "project": "", "file": files.upload(), "body": "Παρείσφρηση"}
        assert client.post(url, data).status_code == 404, url
    assert Document.objects.filter(application=theirs).count() == 1
    assert not Document.objects.filter(application=mine).exists()
    assert not Message.objects.filter(body="Παρείσφρηση").exists()


def test_the_api_answers_404_for_their_ids_under_my_applications_url(world, kalamata_user):
    mine, theirs, doc, _attachment = world
    api = client_for(kalamata_user)
    base = f"/api/v1/applications/{mine.pk}/documents/{doc.pk}/"
    assert api.get(base).status_code == 404
    assert api.get(base + "download/").status_code == 404
    assert api.delete(base).status_code == 404
    assert (
        api.post(f"/api/v1/applications/{theirs.pk}/messages/", {"body": "x"}, format="json").status_code
        == 404
    )
    assert Document.objects.filter(pk=doc.pk).exists()
    assert Message.objects.filter(application=theirs).count() == 1


def test_a_renamed_or_oversize_file_stores_nothing(world, kalamata_user, document_types):
    mine, *_ = world
    api = client_for(kalamata_user)
    url = f"/api/v1/applications/{mine.pk}/documents/"
    renamed = api.post(url, {"kind": "council-decision", "file": files.upload("a.pdf", files.TEXT)})
    assert renamed.status_code in (400, 415) and "file" in renamed.json()
    kind = document_types["council-decision"]
    kind.max_size = len(files.PDF) - 1
    kind.save()
    big = api.post(url, {"kind": "council-decision", "file": files.upload()})
    assert big.status_code in (400, 413) and "file" in big.json()
    message = api.post(
        f"/api/v1/applications/{mine.pk}/messages/",
        {"body": "Με συνημμένο", "attachments": files.upload("a.pdf", files.TEXT)},
        format="multipart",
    )
    assert message.status_code == 400
    assert not Document.objects.filter(application=mine).exists()
    assert not Message.objects.filter(application=mine).exists()


def test_the_admin_answers_404_for_an_id_of_another_application(client, world, officer):
    mine, _theirs, doc, attachment = world
    client.force_login(officer)
    for name, other in (("document_download", doc.pk), ("attachment_download", attachment.pk)):
        url = reverse(f"admin:grants_application_{name}", args=[mine.pk, other])
        assert client.get(url).status_code == 404, url
