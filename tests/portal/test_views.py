import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from grants.amounts import TooManyDecimals
from grants.amounts import parse_typed_amount as parse_amount
from grants.models import Application, ApplicationStatus, Channel
from grants.portal import urls as portal_urls
from grants.workflow import transition
from grants.workflow_batch import Decision, record_decisions
from projects.models import Selection

# Every portal URL, classified. A new URL that is not listed here fails test_every_url_is_classified.
PUBLIC = {"accessibility"}
# URLs without another municipality's object in them: they act on the signed-in account's own data.
OWN_SCOPE = {"home", "start", "inbox", "notifications_read_all", "preferences"}
# The money chain's pages of an included operation: every role on each in tests/delivery/test_money_pages.
MONEY = {"money", "contract_new", "declaration_new"}


def victim_kwargs(app, selection, project, document=None, attachment=None):
    """The kwargs that point each object URL at `app`'s municipality's objects."""
    doc_id, attachment_id = (document.pk if document else 1), (attachment.pk if attachment else 1)
    return {
        "documents": {"pk": app.pk},
        "document_download": {"pk": app.pk, "doc_id": doc_id},
        "document_delete": {"pk": app.pk, "doc_id": doc_id},
        "messages": {"pk": app.pk},
        "attachment_download": {"pk": app.pk, "attachment_id": attachment_id},
        "application": {"pk": app.pk},
        "selection_add": {"pk": app.pk, "project_id": project.pk},
        "cap_bar": {"pk": app.pk},
        "submit": {"pk": app.pk},
        "receipt": {"pk": app.pk},
        "receipt_pdf": {"pk": app.pk},
        "withdraw": {"pk": app.pk},
        "selection_edit": {"pk": selection.pk},
        "selection_remove": {"pk": selection.pk},
        "notification": {"pk": _notification(app).pk if app.pk and app.municipality_id else 0},
        "operation": {"pk": app.pk},
        "amendment_new": {"pk": app.pk},
        "progress_set": {"pk": app.pk},
        "indicator_report": {"pk": app.pk},
    }


def _notification(app):
    """A notification in the inbox of an account of `app`'s municipality."""
    from grants.models import MunicipalityAccount, Notification

    account = MunicipalityAccount.objects.filter(municipality_id=app.municipality_id).first()
    return Notification.objects.create(recipient=account.user, kind="status", application=app)


def all_names():
    return {p.name for p in portal_urls.urlpatterns}


def test_every_url_is_classified(db):
    listed = set(victim_kwargs(Application(pk=1), Selection(pk=1), Selection(pk=1)))
    assert listed | PUBLIC | OWN_SCOPE | MONEY == all_names()
    assert not listed & (PUBLIC | OWN_SCOPE | MONEY)


@pytest.fixture
def kalamata_submitted(kalamata, kalamata_user, catalogue, make_application, document_types, private_root):
    # Submitted so that receipt and PDF exist: the owner gets 200 on every URL, the other account 404.
    # With its required documents and a message with an attachment, for the documents' URLs.
    from grants import conversation, documents
    from tests import files

    app = make_application(kalamata, kalamata_user, 2)
    for code in ("council-decision", "technical-sheet"):
        documents.document_upload(
            application=app, document_type=document_types[code], file=files.upload(), actor=kalamata_user
        )
    conversation.post_message(
        application=app, author=kalamata_user, body="Ερώτηση", attachments=[files.upload()]
    )
    transition(app, "submit", actor=kalamata_user, channel=Channel.PORTAL)
    app.refresh_from_db()
    return app


def _urls(app, project):
    from grants.models import MessageAttachment

    selection = app.selections.order_by("pk").first()
    document = app.documents.order_by("pk").first()
    attachment = MessageAttachment.objects.filter(message__application=app).first()
    return {
        name: reverse(f"portal:{name}", kwargs=kw)
        for name, kw in victim_kwargs(app, selection, project, document, attachment).items()
    }


def test_another_municipality_gets_404_on_every_object_url(client, kalamata_submitted, pyli_user, catalogue):
    client.force_login(pyli_user)
    for name, url in _urls(kalamata_submitted, catalogue[5]).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"amount": "1", "justification": "x", "note": "x"}).status_code == 404, name
    kalamata_submitted.refresh_from_db()
    assert kalamata_submitted.status == ApplicationStatus.SUBMITTED
    assert kalamata_submitted.selections.count() == 2


def test_owner_reaches_every_object_url(client, kalamata_submitted, kalamata_user, catalogue):
    client.force_login(kalamata_user)
    for name, url in _urls(kalamata_submitted, catalogue[5]).items():
        assert client.get(url).status_code == 200, name


def test_anonymous_is_sent_to_login_everywhere(client, kalamata_submitted, programme, catalogue):
    urls = _urls(kalamata_submitted, catalogue[5])
    urls["home"] = reverse("portal:home")
    urls["start"] = reverse("portal:start", args=[programme.pk])
    for name in ("inbox", "notifications_read_all", "preferences"):
        urls[name] = reverse(f"portal:{name}")
    assert set(urls) == all_names() - PUBLIC - MONEY
    for name, url in urls.items():
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, name
            assert response["Location"].startswith("/accounts/login/?next="), name
    assert client.get(reverse("portal:accessibility")).status_code == 200


def test_own_scope_urls_never_show_or_touch_another_municipality(client, kalamata_submitted, pyli, pyli_user):
    client.force_login(pyli_user)
    home = client.get(reverse("portal:home")).content.decode()
    assert "ΔΗΜΟΣ ΠΥΛΗΣ" in home and "ΚΑΛΑΜΑΤΑΣ" not in home
    assert kalamata_submitted.tracking_number not in home
    response = client.post(reverse("portal:start", args=[kalamata_submitted.programme_id]))
    own = Application.objects.get(municipality=pyli)
    assert response["Location"] == reverse("portal:application", args=[own.pk])
    assert own.pk != kalamata_submitted.pk


@pytest.mark.parametrize("who", ["officer", "auditor", "approver"])
def test_staff_roles_are_sent_to_the_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_account_without_municipality_is_forbidden(client, db):
    client.force_login(User.objects.create_user("nobody", password="pw-secret-123"))
    assert client.get(reverse("portal:home")).status_code == 403


# --- query counts ---------------------------------------------------------------------------------

DRAFT_PAGES = [
    *("home", "application", "selection_add", "selection_edit"),
    *("selection_remove", "cap_bar", "submit", "withdraw"),
]
SUBMITTED_PAGES = ["home", "application", "receipt", "receipt_pdf"]


def _count(client, url):
    client.get(url)  # warm per-process caches (content types, fonts) so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def _measure(client, app, project, names):
    urls = _urls(app, project)
    urls["home"] = reverse("portal:home")
    return {name: _count(client, urls[name] + ("?amount=100" if name == "cap_bar" else "")) for name in names}


def test_query_count_does_not_grow_with_selections(
    client, kalamata, kalamata_user, pyli, pyli_user, catalogue, make_application
):
    few = make_application(kalamata, kalamata_user, 1)
    many = make_application(pyli, pyli_user, 10)
    client.force_login(kalamata_user)
    counts_few = _measure(client, few, catalogue[11], DRAFT_PAGES)
    client.force_login(pyli_user)
    counts_many = _measure(client, many, catalogue[11], DRAFT_PAGES)
    print("draft pages, queries:", counts_few)
    assert counts_few == counts_many
    assert max(counts_few.values()) <= 20, counts_few

    transition(few, "submit", actor=kalamata_user, channel=Channel.PORTAL)
    transition(many, "submit", actor=pyli_user, channel=Channel.PORTAL)
    client.force_login(kalamata_user)
    counts_few = _measure(client, few, catalogue[11], SUBMITTED_PAGES)
    client.force_login(pyli_user)
    counts_many = _measure(client, many, catalogue[11], SUBMITTED_PAGES)
    print("submitted pages, queries:", counts_few)
    assert counts_few == counts_many


# --- choosing projects ----------------------------------------------------------------------------


@pytest.fixture
def draft(kalamata, kalamata_user, catalogue, make_application):
    return make_application(kalamata, kalamata_user, 0)


def test_over_cap_is_refused_with_the_excess_tied_to_the_field(client, draft, kalamata_user, catalogue):
    client.force_login(kalamata_user)
    cap = draft.programme.cap_for(draft.municipality)
    assert cap == Decimal("1950000.00")
    url = reverse("portal:selection_add", args=[draft.pk, catalogue[0].pk])
    response = client.post(url, {"amount": "2.000.000,00", "justification": "Πολύ μεγάλο"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-describedby="id_amount_helptext id_amount_error"' in html
    error = html.split('id="id_amount_error"', 1)[1].split("</p>", 1)[0]
    assert "50.000,00 €" in error
    assert 'aria-invalid="true"' in html
    assert not draft.selections.exists()


def test_add_change_remove_and_the_bar_in_words(client, draft, kalamata_user, catalogue):
    client.force_login(kalamata_user)
    response = client.post(
        reverse("portal:selection_add", args=[draft.pk, catalogue[0].pk]),
        {"amount": "1.000.000,50", "justification": "Έξυπνος φωτισμός"},
    )
    assert response.status_code == 302
    selection = draft.selections.get()
    assert selection.amount == Decimal("1000000.50") and selection.justification == "Έξυπνος φωτισμός"
    page = client.get(reverse("portal:application", args=[draft.pk])).content.decode()
    assert "Remaining: 949.999,50 €" in page
    preview = client.get(reverse("portal:cap_bar", args=[draft.pk]), {"amount": "1000000"}).content.decode()
    assert "Over the cap by 50.000,50 €" in preview

    # The stored amount comes back into the form as the page's language writes it.
    edit = client.get(reverse("portal:selection_edit", args=[selection.pk])).content.decode()
    assert 'value="1,000,000.50"' in edit
    response = client.post(
        reverse("portal:selection_edit", args=[selection.pk]), {"amount": "", "justification": ""}
    )
    assert response.status_code == 400
    assert 'id="id_justification_error"' in response.content.decode()
    client.post(
        reverse("portal:selection_edit", args=[selection.pk]), {"amount": "5000", "justification": "Νέα"}
    )
    selection.refresh_from_db()
    assert selection.amount == Decimal("5000.00") and selection.justification == "Νέα"

    assert client.post(reverse("portal:selection_remove", args=[selection.pk])).status_code == 302
    assert not draft.selections.exists()
    timeline = client.get(reverse("portal:home")).content.decode()
    assert "was added with 1.000.000,50 €" in timeline and "was removed" in timeline
    assert (
        f"Project «{catalogue[0].code}» was changed: its amount went from 1.000.000,50 € to 5.000,00 €"
        in timeline
    )


def test_catalogue_search_ignores_case_and_accents(client, draft, kalamata_user, catalogue):
    client.force_login(kalamata_user)
    url = reverse("portal:application", args=[draft.pk])
    page = client.get(url, {"q": "εργο 11"}).content.decode()
    assert "T11" in page and "T02" not in page
    page = client.get(url, {"q": "ΈΡΓΟ"}).content.decode()
    assert "12 projects found" in page


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("12.500,00", "el", "12500.00"),
        ("12.500", "el", "12500.00"),
        ("12,5", "el", "12.50"),
        ("12,500.00", "en", "12500.00"),
        ("12.5", "en", "12.50"),
        ("12 500 €", "el", "12500.00"),
    ],
)
def test_amounts_are_read_as_people_type_them(text, language, expected):
    assert parse_amount(text, language) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3.4.5", "1e6"])
def test_non_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text, "el")


@pytest.mark.parametrize(
    ("text", "language"),
    [("1,234", "el"), ("1234,567", "el"), ("1.234,567", "el"), ("1.234", "en"), ("1234.567", "en")],
)
def test_three_decimals_are_refused_not_rounded(text, language):
    with pytest.raises(TooManyDecimals):
        parse_amount(text, language)


def test_the_other_languages_grouping_mark_still_groups_thousands():
    assert parse_amount("1,234", "en") == parse_amount("1.234", "el") == Decimal("1234.00")


def test_an_amount_with_three_decimals_is_refused_with_a_clear_message(
    client, draft, kalamata_user, catalogue
):
    client.force_login(kalamata_user)
    response = client.post(
        reverse("portal:selection_add", args=[draft.pk, catalogue[0].pk]),
        {"amount": "1234,567", "justification": "x"},
    )
    assert response.status_code == 400
    assert "at most two decimals" in response.content.decode()
    assert not draft.selections.exists()


# --- submit, receipt, PDF, return -----------------------------------------------------------------


def test_submit_receipt_pdf_then_read_only(
    client, draft, kalamata_user, catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(kalamata_user)
    for project, amount in ((catalogue[0], "150000"), (catalogue[1], "60000,25")):
        client.post(
            reverse("portal:selection_add", args=[draft.pk, project.pk]),
            {"amount": amount, "justification": "Αιτιολόγηση"},
        )
    confirm = client.get(reverse("portal:submit", args=[draft.pk])).content.decode()
    assert "Project 1" in confirm and "Project 2" in confirm and "210.000,25 €" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:submit", args=[draft.pk]))
    assert response["Location"] == reverse("portal:receipt", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED and len(draft.submission_hash) == 64
    receipt = client.get(response["Location"]).content.decode()
    assert draft.tracking_number in receipt and draft.submission_hash in receipt
    assert len(mailoutbox) == 1 and "info4401@example.gr" in mailoutbox[0].to

    pdf = client.get(reverse("portal:receipt_pdf", args=[draft.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in text and "Έργο 1" in text and "Αιτιολόγηση" in text
    assert draft.tracking_number in text and "210.000,25 €" in text

    page = client.get(reverse("portal:application", args=[draft.pk])).content.decode()
    assert (
        "read-only" in page and reverse("portal:selection_add", args=[draft.pk, catalogue[2].pk]) not in page
    )
    refused = client.post(
        reverse("portal:selection_add", args=[draft.pk, catalogue[2].pk]),
        {"amount": "1", "justification": "x"},
    )
    assert refused.status_code == 400 and draft.selections.count() == 2


def test_returned_application_shows_the_note_and_is_editable_again(
    client, kalamata, kalamata_user, officer, catalogue, make_application
):
    app = make_application(kalamata, kalamata_user, 1, submit=True)
    transition(app, "return", actor=officer, note="Διορθώστε την αιτιολόγηση του T01.", channel=Channel.ADMIN)
    client.force_login(kalamata_user)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Διορθώστε την αιτιολόγηση του T01." in home
    assert "officer" not in home.split("<ol", 1)[1]  # officers' names stay with the authority
    page = client.get(reverse("portal:application", args=[app.pk])).content.decode()
    assert "Διορθώστε την αιτιολόγηση του T01." in page and "read-only" not in page
    selection = app.selections.get()
    client.post(
        reverse("portal:selection_edit", args=[selection.pk]), {"amount": "20000", "justification": "Νέα"}
    )
    assert client.get(reverse("portal:receipt_pdf", args=[app.pk])).status_code == 404
    client.post(reverse("portal:submit", args=[app.pk]))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.budget == Decimal("20000.00")
    assert client.get(reverse("portal:receipt_pdf", args=[app.pk])).status_code == 200


def test_a_justification_edited_after_return_is_not_shown_as_submitted(
    client, kalamata, kalamata_user, officer, catalogue, make_application
):
    app = make_application(kalamata, kalamata_user, 1, submit=True)
    submitted = app.selections.get().justification
    transition(app, "return", actor=officer, note="Διορθώστε την αιτιολόγηση.", channel=Channel.ADMIN)
    client.force_login(kalamata_user)
    selection = app.selections.get()
    client.post(
        reverse("portal:selection_edit", args=[selection.pk]),
        {"amount": f"{selection.amount:.2f}", "justification": "Γραμμένη μετά την υποβολή"},
    )
    app.refresh_from_db()
    assert app.selections.get().justification == "Γραμμένη μετά την υποβολή"
    assert app.budget == selection.amount

    assert client.get(reverse("portal:receipt_pdf", args=[app.pk])).status_code == 404
    receipt = client.get(reverse("portal:receipt", args=[app.pk])).content.decode()
    assert "changed since it was submitted" in receipt and submitted not in receipt


def test_a_receipt_issued_before_justifications_were_hashed_still_proves_unchanged_content(
    client, kalamata, kalamata_user, officer, catalogue, make_application
):
    from grants.workflow import _submission_hash_codes_and_amounts

    app = make_application(kalamata, kalamata_user, 1, submit=True)
    Application.objects.filter(pk=app.pk).update(submission_hash=_submission_hash_codes_and_amounts(app))
    client.force_login(kalamata_user)
    assert client.get(reverse("portal:receipt_pdf", args=[app.pk])).status_code == 200

    transition(app, "return", actor=officer, note="Διορθώστε.", channel=Channel.ADMIN)
    selection = app.selections.get()
    client.post(
        reverse("portal:selection_edit", args=[selection.pk]),
        {"amount": f"{selection.amount:.2f}", "justification": "Άλλη"},
    )
    assert client.get(reverse("portal:receipt_pdf", args=[app.pk])).status_code == 404


def _shown_version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def test_submitting_from_a_stale_page_is_refused_and_asks_for_a_new_review(
    client, kalamata, kalamata_user, catalogue, make_application
):
    app = make_application(kalamata, kalamata_user, 2)
    client.force_login(kalamata_user)
    page = client.get(reverse("portal:submit", args=[app.pk])).content.decode()
    assert "20.000,00 €" in page
    # Another tab raises an amount after this page was opened.
    selection = app.selections.order_by("pk").first()
    client.post(
        reverse("portal:selection_edit", args=[selection.pk]), {"amount": "90000", "justification": "x"}
    )

    response = client.post(reverse("portal:submit", args=[app.pk]), {"version": _shown_version(page)})

    app.refresh_from_db()
    assert response.status_code == 409 and app.status == ApplicationStatus.DRAFT
    again = response.content.decode()
    assert "changed after this page was opened" in again and "100.000,00 €" in again
    # The page now carries the current version: submitting after the new review works.
    response = client.post(reverse("portal:submit", args=[app.pk]), {"version": _shown_version(again)})
    app.refresh_from_db()
    assert response.status_code == 302 and app.status == ApplicationStatus.SUBMITTED
    assert app.budget == Decimal("100000.00")


def test_the_same_submission_sent_twice_lands_on_the_receipt(
    client, kalamata, kalamata_user, catalogue, make_application
):
    app = make_application(kalamata, kalamata_user, 1)
    client.force_login(kalamata_user)
    version = _shown_version(client.get(reverse("portal:submit", args=[app.pk])).content.decode())

    first = client.post(reverse("portal:submit", args=[app.pk]), {"version": version})
    second = client.post(reverse("portal:submit", args=[app.pk]), {"version": version})

    receipt = reverse("portal:receipt", args=[app.pk])
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == receipt
    assert app.audit_events.filter(action="workflow.submit").count() == 1


def test_a_submit_after_someone_else_moved_the_application_on_is_not_taken_for_a_repeat(
    client, kalamata, kalamata_user, officer, catalogue, make_application
):
    app = make_application(kalamata, kalamata_user, 1)
    client.force_login(kalamata_user)
    version = _shown_version(client.get(reverse("portal:submit", args=[app.pk])).content.decode())
    client.post(reverse("portal:submit", args=[app.pk]), {"version": version})
    transition(app, "start_review", actor=officer, channel=Channel.ADMIN)

    response = client.post(reverse("portal:submit", args=[app.pk]), {"version": version})

    assert response.status_code == 409 and "changed after this page was opened" in response.content.decode()


def test_withdraw_where_the_workflow_allows(client, kalamata, kalamata_user, catalogue, make_application):
    app = make_application(kalamata, kalamata_user, 1, submit=True)
    client.force_login(kalamata_user)
    assert reverse("portal:withdraw", args=[app.pk]) in client.get(reverse("portal:home")).content.decode()
    client.post(reverse("portal:withdraw", args=[app.pk]), {"note": "Δεν συνεχίζουμε."})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert (
        reverse("portal:withdraw", args=[app.pk]) not in client.get(reverse("portal:home")).content.decode()
    )
    assert client.post(reverse("portal:withdraw", args=[app.pk])).status_code == 400


def test_login_page_language_switch_and_password_reset(client, kalamata_user, mailoutbox, settings):
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    login = client.get(reverse("login"))
    assert login.status_code == 200 and '<html lang="el">' in login.content.decode()
    response = client.post(reverse("login"), {"username": "kalamata", "password": "pw-secret-123"})
    assert response["Location"] == "/portal/"
    client.post(reverse("set_language"), {"language": "en", "next": "/portal/"})
    assert '<html lang="en">' in client.get("/portal/").content.decode()
    client.post(reverse("password_reset"), {"email": "kalamata@example.gr"})
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_an_imported_decision_that_created_the_application_reads_as_such(
    client, programme, kalamata, kalamata_user
):
    fields = {"status": "to_be_included", "budget": Decimal("900000.00"), "inclusion_date": None}
    record_decisions(programme, [Decision(kalamata, fields)], actor=None)
    client.force_login(kalamata_user)

    home = client.get(reverse("portal:home")).content.decode()

    assert "recorded from a published decision (status «To be included»)" in home


def test_a_municipality_an_officer_found_not_eligible_is_told_why_it_cannot_submit(
    client, kalamata, kalamata_user, officer, catalogue, make_application
):
    from grants.services import municipality_update

    app = make_application(kalamata, kalamata_user, 2)
    municipality_update(
        municipality=kalamata, actor=officer, eligibility_override=False, eligibility_override_reason="Κρίση"
    )
    client.force_login(kalamata_user)
    reason = "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ is not eligible for this programme"
    assert reason in client.get(reverse("portal:home")).content.decode()
    assert reason in client.get(reverse("portal:submit", args=[app.pk])).content.decode()
    client.post(reverse("portal:submit", args=[app.pk]))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT
