"""The documents and clarifications pages in a real browser at 1366x768, in Greek and in English:
axe-core clean and no Content-Security-Policy violation at each step (the page fixture and the checks
of test_browser). The flow: a refused file, an upload, submit refused then allowed, a return with
its requested items, the answer in the thread."""

import pytest

from grants.models import Application, ApplicationStatus, Channel, Document
from grants.workflow import transition
from tests import files

from .test_browser import Steps, page, sync_api  # noqa: F401  (the fixture is used by name)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_documents_and_thread_pages(
    page,  # noqa: F811
    live_server,
    kalamata_user,
    officer,
    programme,
    catalogue,
    document_types,
    private_root,
    make_application,
    kalamata,
    tmp_path,
):  # noqa: F811
    expect = sync_api.expect
    steps = Steps(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    app = make_application(kalamata, kalamata_user, 2)
    pdf, text = tmp_path / "apofasi.pdf", tmp_path / "keimeno.pdf"
    pdf.write_bytes(files.PDF)
    text.write_bytes(files.TEXT)

    page.goto("/accounts/login/")
    page.fill("#id_username", "kalamata")
    page.fill("#id_password", "pw-secret-123")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("html")).to_have_attribute("lang", "el")

    # Greek first: the documents page with what is missing.
    page.goto(f"/portal/applications/{app.pk}/documents/")
    expect(page.locator("#missing-documents")).to_contain_text("Απόφαση Δημοτικού Συμβουλίου")
    steps.check("documents-el")

    # A text file named .pdf: refused on the field.
    page.select_option("#id_kind", "council-decision")
    page.set_input_files("#id_file", str(text))
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#id_file_error")).to_be_visible()
    steps.check("documents-refused-el")

    # Both required documents attached.
    for kind in ("council-decision", "technical-sheet"):
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(pdf))
        page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#documents tbody tr")).to_have_count(2)
    assert not page.locator("#missing-documents").count()
    steps.check("documents-attached-el")

    page.locator("#documents .row-actions a").first.click()
    steps.check("document-remove-el")
    page.go_back()

    page.goto(f"/portal/applications/{app.pk}/messages/")
    page.fill("#id_body", "Ερώτηση: ποιο υπόδειγμα ΤΔΠ ισχύει;")
    page.set_input_files("#id_attachment", str(pdf))
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator(".thread")).to_contain_text("ποιο υπόδειγμα ΤΔΠ")
    steps.check("messages-el")

    # Submitted, then returned with requested items and a deadline: the answer in the thread.
    transition(app, "submit", actor=kalamata_user, channel=Channel.PORTAL)
    transition(
        app,
        "return",
        actor=officer,
        note="Χρειάζεται υπογεγραμμένο ΤΔΠ.",
        requested_items=["Υπογεγραμμένο ΤΔΠ"],
    )
    app.refresh_from_db()
    page.goto(f"/portal/applications/{app.pk}/")
    expect(page.locator(".notice--warning")).to_contain_text(app.response_due.strftime("%d/%m/%Y"))
    steps.check("returned-el")

    # English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"/portal/applications/{app.pk}/messages/")
    expect(page.locator(".thread")).to_contain_text("Υπογεγραμμένο ΤΔΠ")
    steps.check("messages-returned-en")
    page.fill("#id_body", "Attached the signed sheet.")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator(".thread li.message-item")).to_have_count(3)
    page.goto(f"/portal/applications/{app.pk}/documents/")
    steps.check("documents-en")

    app.refresh_from_db()
    assert app.status == ApplicationStatus.RETURNED
    assert Document.objects.filter(application=app).count() == 2
    assert Application.objects.get(pk=app.pk).response_due is not None
