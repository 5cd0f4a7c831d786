"""Four eyes on imported decisions: a list that includes, changes an included operation or takes one
out of «Ενταγμένη» is prepared by one person and confirmed by an approver other than them, on exactly
the preview that was prepared; the operator's command stays an operator's tool."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from grants.imports.prepared import ImportRefused, prepared_import_confirm, prepared_import_create
from grants.models import Application, AuditEvent, Channel, Municipality, PreparedImport
from grants.workflow_batch import Decision, record_decisions

SAMPLE = Path(__file__).resolve().parent.parent / "grants" / "data" / "inclusions_published_sample.txt"
URL = reverse("admin-grants-import-inclusions")
LIST = reverse("admin-grants-prepared-imports")
TO_BE_INCLUDED = "Προς ένταξη ΔΗΜΟΣ ΠΥΛΗΣ 399,916.12 –"


def detail(prepared):
    return reverse("admin-grants-prepared-import", args=[prepared.pk])


def confirm_url(prepared):
    return reverse("admin-grants-prepared-import-confirm", args=[prepared.pk])


def cancel_url(prepared):
    return reverse("admin-grants-prepared-import-cancel", args=[prepared.pk])


def login(client, user, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def prepare(client, user, text, programme) -> PreparedImport:
    response = login(client, user).post(URL, {"programme": programme.pk, "text": text, "format": ""})
    assert response.status_code == 200
    prepared = response.context["prepared"]
    assert prepared is not None, [str(e) for e in response.context["report"].errors]
    return prepared


def confirm(client, user, prepared, preview_hash=None, language="en"):
    login(client, user, language)
    data = {"preview_hash": prepared.preview_hash if preview_hash is None else preview_hash}
    return client.post(confirm_url(prepared), data)


def said(response) -> str:
    """The message this response added (earlier ones wait unread in the session: no redirect was
    followed)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def decisions():
    """What the import writes: every application's decision and every decision event."""
    return (
        list(Application.objects.order_by("pk").values_list("municipality", "status", "budget", "version")),
        AuditEvent.objects.filter(action="workflow.record_decision").count(),
    )


def pyli_included(programme, budget="399916.12"):
    pyli = Municipality.objects.get(elstat_code="2603")
    fields = {"status": "included", "budget": Decimal(budget), "inclusion_date": datetime.date(2024, 7, 2)}
    record_decisions(programme, [Decision(pyli, fields)], actor=None, channel=Channel.COMMAND)


# --- who confirms ---------------------------------------------------------------------------------


def test_an_officer_alone_cannot_confirm_an_import_that_includes(client, registry, officer):
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)
    assert prepared.needs_approval and prepared.summary["needing_approval"] == 8
    before = decisions()

    response = confirm(client, officer, prepared)

    assert response.status_code == 302 and response["Location"] == detail(prepared)
    assert said(response) == (
        "This list includes, changes or de-includes operations: an approver other than the one who "
        "prepared it must confirm it."
    )
    assert decisions() == before and not Application.objects.exists()
    prepared.refresh_from_db()
    assert prepared.state == "pending"
    [refusal] = AuditEvent.objects.filter(action="import.refuse")
    assert refusal.actor == officer and refusal.note.startswith(
        "Ο κατάλογος εντάσσει, μεταβάλλει ή απεντάσσει"
    )


def test_the_approver_who_prepared_a_list_cannot_confirm_it(client, registry, approver):
    prepared = prepare(client, approver, SAMPLE.read_text(), registry)
    before = decisions()

    response = confirm(client, approver, prepared)

    assert said(response) == "You prepared this list: another approver must confirm it (four eyes)."
    assert decisions() == before
    # The database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PreparedImport.objects.filter(pk=prepared.pk).update(state="confirmed", decided_by=approver)


def test_another_approver_confirms_exactly_the_prepared_preview(client, registry, officer, approver):
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)

    login(client, approver)
    waiting = client.get(LIST)
    assert list(waiting.context["pending"]) == [prepared]
    assert detail(prepared) in waiting.content.decode()
    page = client.get(detail(prepared))
    assert page.context["matches"] and not page.context["confirm_refusal"]
    assert f'name="preview_hash" value="{prepared.preview_hash}"' in page.content.decode()
    assert [row.municipality.elstat_code for row in page.context["report"].rows][:2] == ["4607", "0803"]

    done = confirm(client, approver, prepared)

    assert done.status_code == 302 and done["Location"] == reverse("admin:grants_application_changelist")
    assert Application.objects.filter(programme=registry, status="included").count() == 8
    assert AuditEvent.objects.filter(action="workflow.record_decision", actor=approver).count() == 10
    prepared.refresh_from_db()
    assert (prepared.state, prepared.decided_by, prepared.prepared_by) == ("confirmed", approver, officer)
    [event] = AuditEvent.objects.filter(action="import.confirm")
    assert (event.actor, event.before, event.after["state"]) == (
        approver,
        {"state": "pending"},
        "confirmed",
    )
    assert event.after["prepared_by"] == officer.pk and event.after["created"] == 10

    # A second confirm of the same import writes nothing, not even a refusal.
    after = decisions(), AuditEvent.objects.count()
    again = confirm(client, approver, prepared)
    assert said(again) == "This import is «Confirmed»: nothing more can be written from it."
    assert (decisions(), AuditEvent.objects.count()) == after


def test_a_preview_prepared_in_english_is_confirmed_in_greek(client, registry, officer, approver):
    # ΔΗΜΟΣ ΠΑΤΡΕΩΝ is not eligible: its row carries a warning, said in each reader's language.
    text = "Ενταγμένη ΔΗΜΟΣ ΠΑΤΡΕΩΝ 1,000,000.00 02/07/2024"
    prepared = prepare(client, officer, text, registry)

    done = confirm(client, approver, prepared, language="el")

    assert done.status_code == 302, said(done)
    assert Application.objects.get().status == "included"


def test_a_confirmation_for_another_preview_is_refused(client, registry, officer, approver):
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)
    before = decisions()

    response = confirm(client, approver, prepared, preview_hash="0" * 64)

    assert said(response) == "This confirmation is not for the preview that was prepared."
    assert decisions() == before
    prepared.refresh_from_db()
    assert prepared.state == "pending"


# --- what is confirmed is what was prepared -------------------------------------------------------


def test_data_changed_between_prepare_and_confirm_is_refused(client, registry, officer, approver):
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)
    # Meanwhile an operator records Πύλη as included: the list's «Προς ένταξη» row would now de-include it.
    pyli_included(registry)
    before = decisions()

    page = login(client, approver).get(detail(prepared))
    assert not page.context["matches"] and 'name="confirm"' not in page.content.decode()
    assert "The data changed since this list was prepared" in page.content.decode()
    response = confirm(client, approver, prepared)

    assert said(response) == (
        "The data changed since this list was prepared: its preview is no longer what would be written. "
        "Nothing was imported; prepare the list again."
    )
    assert decisions() == before
    prepared.refresh_from_db()
    assert (prepared.state, prepared.decided_by) == ("superseded", approver)
    refusal = AuditEvent.objects.get(action="import.refuse")
    assert (refusal.before, refusal.after) == ({"state": "pending"}, {"state": "superseded"})
    assert refusal.note.startswith("Τα δεδομένα άλλαξαν από τότε")  # in the site's language


def test_a_budget_changed_between_prepare_and_confirm_is_refused(client, registry, officer, approver):
    """Not only a change of status: the approver must confirm what was prepared. Πύλη is «Προς
    ένταξη» with a budget the list updates; a correction recorded in between (same status, another
    budget the list would also overwrite) leaves every row's outcome as it was, yet the confirmed
    import would no longer write what the approver was shown."""
    pyli = Municipality.objects.get(elstat_code="2603")

    def pyli_to_be_included(budget):
        fields = {"status": "to_be_included", "budget": Decimal(budget)}
        record_decisions(registry, [Decision(pyli, fields)], actor=None, channel=Channel.COMMAND)

    pyli_to_be_included("300000.00")
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)
    assert prepared.needs_approval
    pyli_to_be_included("310000.00")
    before = decisions()

    response = confirm(client, approver, prepared)

    assert said(response).startswith("The data changed since this list was prepared")
    assert decisions() == before


def test_a_stored_list_changed_behind_the_application_is_refused(client, registry, officer, approver):
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)
    tampered = SAMPLE.read_text().replace("639,338.00", "939,338.00").encode()
    PreparedImport.objects.filter(pk=prepared.pk).update(content=tampered)
    before = decisions()

    response = confirm(client, approver, prepared)

    assert said(response) == "The stored list no longer matches its SHA-256: prepare the list again."
    assert decisions() == before
    prepared.refresh_from_db()
    assert prepared.state == "superseded"


def test_a_refused_confirm_writes_nothing_even_after_applying_rows(registry, officer, approver):
    """The check runs after the rows are applied, in the same transaction: a mismatch rolls all back."""
    prepared, _preview = prepared_import_create(
        content=SAMPLE.read_bytes(), fmt="text", programme=registry, source="s.txt", actor=officer
    )
    PreparedImport.objects.filter(pk=prepared.pk).update(preview_hash="f" * 64)
    prepared.refresh_from_db()
    before = decisions()

    with pytest.raises(ImportRefused, match="data changed"):
        prepared_import_confirm(prepared=prepared, actor=approver, preview_hash="f" * 64)

    assert decisions() == before and not Application.objects.exists()


# --- what needs an approver -----------------------------------------------------------------------


def test_a_to_be_included_only_list_is_confirmed_by_its_preparer(client, registry, officer, officer2):
    prepared = prepare(client, officer, TO_BE_INCLUDED, registry)
    assert not prepared.needs_approval

    other = confirm(client, officer2, prepared)
    assert said(other) == "Only the person who prepared this list or an approver may confirm it."
    assert not Application.objects.exists()

    done = confirm(client, officer, prepared)

    assert done.status_code == 302
    app = Application.objects.get()
    assert (app.status, app.budget) == ("to_be_included", Decimal("399916.12"))
    prepared.refresh_from_db()
    assert (prepared.state, prepared.decided_by) == ("confirmed", officer)


@pytest.mark.parametrize(
    "text, needs",
    [
        ("Ενταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 399,916.12 02/07/2024", False),  # as recorded: changes nothing
        ("Ενταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 400,000.00 02/07/2024", True),  # changes an included one
        ("Ενταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 399,916.12 03/07/2024", True),
        (TO_BE_INCLUDED, True),  # takes it out of «Ενταγμένη»
        ("Προς ένταξη ΔΗΜΟΣ ΔΩΡΙΔΟΣ 378,440.00 –", False),  # another municipality, not included
        ("Ενταγμένη ΔΗΜΟΣ ΔΩΡΙΔΟΣ 378,440.00 02/07/2024", True),  # creates an included one
    ],
)
def test_what_needs_an_approver(client, registry, officer, text, needs):
    pyli_included(registry)
    assert prepare(client, officer, text, registry).needs_approval is needs


# --- cancel and supersede -------------------------------------------------------------------------


def test_the_preparer_cancels_and_nothing_is_written(client, registry, officer, officer2, approver):
    prepared = prepare(client, officer, SAMPLE.read_text(), registry)

    refused = login(client, officer2).post(cancel_url(prepared))
    assert said(refused) == "Only the person who prepared this list or an approver may cancel it."
    done = login(client, officer).post(cancel_url(prepared))

    assert done.status_code == 302 and done["Location"] == LIST
    prepared.refresh_from_db()
    assert (prepared.state, prepared.decided_by) == ("cancelled", officer)
    assert AuditEvent.objects.filter(action="import.cancel", actor=officer).count() == 1
    assert (
        said(confirm(client, approver, prepared))
        == "This import is «Cancelled»: nothing more can be written from it."
    )
    assert not Application.objects.exists()


def test_the_same_list_prepared_again_supersedes_the_earlier_preparation(client, registry, officer):
    first = prepare(client, officer, SAMPLE.read_text(), registry)
    second = prepare(client, officer, SAMPLE.read_text(), registry)

    first.refresh_from_db()
    assert (first.state, second.state) == ("superseded", "pending")
    assert first.preview_hash == second.preview_hash
    assert AuditEvent.objects.filter(action="import.supersede").get().object_id == str(first.pk)
    assert list(login(client, officer).get(LIST).context["pending"]) == [second]


# --- who may open what ----------------------------------------------------------------------------


@pytest.fixture
def waiting(registry, officer):
    prepared, _preview = prepared_import_create(
        content=SAMPLE.read_bytes(), fmt="text", programme=registry, source="s.txt", actor=officer
    )
    return prepared


@pytest.fixture
def pyli(registry):
    """The registry's Πύλη, for conftest's pyli_user (a municipality account)."""
    return Municipality.objects.get(elstat_code="2603")


ROLES = ["anonymous", "pyli_user", "officer", "approver", "auditor"]


@pytest.mark.parametrize("role", ROLES)
def test_every_new_url_for_every_role(client, request, waiting, role):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    if user is not None:
        login(client, user)
    before = decisions(), PreparedImport.objects.get().state
    pages = [LIST, detail(waiting)]
    actions = [confirm_url(waiting), cancel_url(waiting)]

    if role in ("anonymous", "pyli_user"):
        # Not staff: the admin sends them to its login page, for reading and for writing alike.
        for url in pages + actions:
            for response in (client.get(url), client.post(url, {"preview_hash": waiting.preview_hash})):
                assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    elif role == "auditor":
        for url in pages + actions:
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"preview_hash": waiting.preview_hash}).status_code == 403, url
    else:
        for url in pages:
            assert client.get(url).status_code == 200, url
        for url in actions:
            assert client.get(url).status_code == 405, url  # writes are POSTs
        if role == "officer":  # the preparer: may cancel, may not confirm an including list
            assert said(client.post(confirm_url(waiting), {"preview_hash": waiting.preview_hash}))
            assert PreparedImport.objects.get().state == "pending"
            return
    assert (decisions(), PreparedImport.objects.get().state) == before


def test_a_missing_prepared_import_is_not_found(client, officer):
    login(client, officer)
    assert client.get(reverse("admin-grants-prepared-import", args=[999])).status_code == 404
    assert client.post(reverse("admin-grants-prepared-import-confirm", args=[999])).status_code == 404


def test_the_waiting_list_is_linked_from_the_applications_and_the_import(client, officer, registry):
    login(client, officer)
    assert LIST in client.get(reverse("admin:grants_application_changelist")).content.decode()
    assert LIST in client.get(URL).content.decode()


# --- the operator's command -----------------------------------------------------------------------


def test_the_command_is_an_operators_tool_recorded_on_its_own_channel(registry, officer, tmp_path):
    """No four eyes (whoever runs manage.py runs the server), but every decision is audited with
    channel «command», and a list with one wrong row writes nothing."""
    bad = tmp_path / "bad.txt"
    bad.write_text(SAMPLE.read_text() + "Ενταγμένη ΔΗΜΟΣ ΠΟΥΘΕΝΑ 1,000.00 02/07/2024\n", encoding="utf-8")
    before = decisions(), AuditEvent.objects.count()
    with pytest.raises(Exception, match="nothing was imported"):
        call_command("import_inclusions", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert (decisions(), AuditEvent.objects.count()) == before

    call_command("import_inclusions", str(SAMPLE), "--user", "officer", stdout=io.StringIO())

    events = AuditEvent.objects.filter(action="workflow.record_decision")
    assert events.count() == 10
    assert set(events.values_list("channel", "actor")) == {("command", officer.pk)}
    assert not PreparedImport.objects.exists()


def test_the_waiting_list_says_one_row_in_the_singular(client, registry, officer):
    prepare(client, officer, "Ενταγμένη ΔΗΜΟΣ ΔΩΡΙΔΟΣ 378,440.00 02/07/2024", registry)
    assert "ναι (1 γραμμή)" in login(client, officer, "el").get(LIST).content.decode()
    assert "yes (1 row)" in login(client, officer, "en").get(LIST).content.decode()
