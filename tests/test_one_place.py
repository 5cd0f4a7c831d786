"""Rules that live in one place: every caller reaches the same function, so they cannot disagree."""

from decimal import Decimal

import pytest
from django.utils import translation

from grants import workflow
from grants.models import Application
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create
from grants.workflow_batch import Decision, DecisionBatchError, record_decisions
from projects.services import SelectionError, selection_add, selection_update


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def app(programme, kalamata, catalogue, kalamata_user):
    application, _ = application_get_or_create(programme=programme, municipality=kalamata)
    selection_add(application=application, project=catalogue[0], amount="100000", actor=kalamata_user)
    return application


# --- amounts: a third decimal is refused everywhere, never rounded -----------------------------------


@pytest.mark.parametrize("amount", ["1234.567", "1234,567", Decimal("100.005"), 100.005])
def test_a_selection_with_a_third_decimal_is_refused(app, catalogue, kalamata_user, amount):
    with pytest.raises(SelectionError) as refused:
        selection_add(application=app, project=catalogue[1], amount=amount, actor=kalamata_user)
    assert "at most two decimals" in " ".join(refused.value.message_dict["amount"])
    assert app.selections.count() == 1


def test_a_changed_selection_with_a_third_decimal_is_refused(app, kalamata_user):
    selection = app.selections.get()
    with pytest.raises(SelectionError) as refused:
        selection_update(selection=selection, amount="99999.999", actor=kalamata_user)
    assert "at most two decimals" in " ".join(refused.value.message_dict["amount"])
    selection.refresh_from_db()
    assert selection.amount == Decimal("100000.00")


def test_a_transition_budget_with_a_third_decimal_is_refused(app, officer):
    Application.objects.filter(pk=app.pk).update(status=S.UNDER_REVIEW)
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(app, "propose_inclusion", actor=officer, budget="100000.001")
    assert "at most two decimals" in " ".join(refused.value.message_dict["budget"])
    app.refresh_from_db()
    assert (app.status, app.budget) == (S.UNDER_REVIEW, Decimal("100000.00"))


def test_a_published_decision_with_a_third_decimal_is_refused(app, officer):
    fields = {"status": S.INCLUDED, "budget": "100000.005", "inclusion_date": "2024-07-02"}
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(app, "record_decision", actor=officer, channel="import", **fields)
    assert "at most two decimals" in " ".join(refused.value.message_dict["budget"])
    with pytest.raises(DecisionBatchError, match="at most two decimals"):
        record_decisions(app.programme, [Decision(app.municipality, fields)], actor=officer)
    app.refresh_from_db()
    assert app.status == S.DRAFT


@pytest.mark.parametrize("amount, expected", [("1,234.50", "1234.50"), (Decimal("7"), "7.00"), (12, "12.00")])
def test_services_read_amounts_with_the_importers_parser(app, catalogue, kalamata_user, amount, expected):
    selection = selection_add(application=app, project=catalogue[1], amount=amount, actor=kalamata_user)
    assert selection.amount == Decimal(expected)


# --- the published wording: what the exporter writes, the importer reads ----------------------------


def test_the_importer_reads_every_published_status_and_heading():
    from grants import published
    from grants.imports import readers, values
    from grants.reports.definitions import PUBLISHED_HEADINGS, PUBLISHED_STATUS
    from grants.text import fold

    assert PUBLISHED_STATUS is published.STATUS
    for status, word in published.STATUS.items():
        assert values.parse_status(word) == status
    assert [readers.COLUMNS[fold(h)] for h in PUBLISHED_HEADINGS] == list(published.HEADINGS)
    assert fold(published.TEXT_HEADER) == readers.TEXT_HEADER


def test_a_published_text_line_is_read_back_by_the_demo_and_the_importer():
    import datetime

    from grants import demo, published
    from grants.amounts import parse_amount

    line = published.text_line("Ενταγμένη", "ΔΗΜΟΣ ΠΥΛΗΣ", Decimal("1234567.8"), datetime.date(2024, 7, 2))
    match = demo._PUBLISHED_LINE.match(line)
    assert published.STATUS_BY_WORD[match["status"]] == S.INCLUDED
    assert parse_amount(match["budget"]) == Decimal("1234567.80")
    assert match["date"] == "02/07/2024"


# --- the cap: one comparison, so a total is within it for every caller or for none ----------------

CAP = Decimal("1950000.00")  # Καλαμάτα's, by the programme's rule


@pytest.mark.parametrize("total, within", [(CAP, True), (CAP + Decimal("0.01"), False)])
def test_every_caller_draws_the_cap_at_the_same_cent(app, officer, kalamata_user, total, within):
    from grants import caps
    from grants.portal.presenters import CapBar

    assert app.programme.cap_for(app.municipality) == CAP
    refusals = []
    try:
        selection_update(selection=app.selections.get(), amount=total, actor=kalamata_user)
    except SelectionError:
        refusals.append("selection")
    Application.objects.filter(pk=app.pk).update(status=S.UNDER_REVIEW)
    try:
        workflow.transition(app, "propose_inclusion", actor=officer, budget=total)
    except workflow.TransitionError:
        refusals.append("propose")
    warnings = workflow.decision_warnings(app, status=S.TO_BE_INCLUDED, budget=total)
    if warnings:
        refusals.append("decision")
    if CapBar(total=total, cap=CAP).over:
        refusals.append("portal")
    if caps.cap_excess(total, CAP):
        refusals.append("rule")
    assert refusals == ([] if within else ["selection", "propose", "decision", "portal", "rule"])


# --- the committed total: the same sum in the workflow, the batch, the admin, the reports, the API --


def test_every_committed_total_is_the_same_sum(client, app, programme, pyli, officer, auditor):
    from grants import caps
    from grants.formatting import format_eur
    from grants.reports.definitions import REPORTS

    included = {"status": S.INCLUDED, "inclusion_date": "2024-07-02"}
    decisions = [
        Decision(app.municipality, {**included, "budget": "700000.10"}),
        Decision(pyli, {**included, "budget": "300000.05"}),
    ]
    record_decisions(programme, decisions, actor=officer)
    application_get_or_create(programme=programme, municipality=pyli)
    expected = Decimal("1000000.15")
    assert caps.programme_committed(programme.pk) == expected
    assert caps.programme_committed(programme.pk, excluding=app.pk) == Decimal("300000.05")

    client.force_login(officer)
    listing = client.get("/admin/grants/application/")
    assert listing.context["sc_totals"]["included"] == format_eur(expected)

    report = REPORTS["budgets"]()
    fs = report.filterset(auditor, {})
    assert report.commitment(fs)["committed"] == expected

    client.force_login(auditor)
    api = client.get("/api/v1/reports/budgets/").json()
    assert sum(Decimal(r["included_budget"]) for r in api["results"]) == expected


# --- guards and effects are data of the transition table ---------------------------------------------


def test_a_guard_added_to_the_table_is_checked_by_listing_and_by_transition(app, kalamata_user, monkeypatch):
    import dataclasses

    def closed_on_sundays(action, application, user, channel):
        raise workflow.TransitionError("Closed on Sundays.")

    submit = workflow.ACTIONS["submit"]
    patched = dataclasses.replace(submit, guards=(*submit.guards, closed_on_sundays))
    monkeypatch.setitem(workflow.ACTIONS, "submit", patched)
    [option] = [o for o in workflow.available_actions(app, kalamata_user) if o.name == "submit"]
    assert not option.allowed and option.reason == "Closed on Sundays."
    with pytest.raises(workflow.TransitionError, match="Closed on Sundays"):
        workflow.transition(app, "submit", actor=kalamata_user)
    app.refresh_from_db()
    assert app.status == S.DRAFT


def test_the_table_names_each_actions_guards_and_effects():
    actions = workflow.ACTIONS
    assert workflow._check_not_proposer in actions["include"].guards
    assert workflow._check_eligible_to_submit in actions["submit"].guards
    assert workflow._check_documents in actions["submit"].guards
    assert workflow._check_decision_channel in actions["record_decision"].guards
    assert workflow._check_checklist in actions["propose_inclusion"].guards
    assert {n for n, a in actions.items() if a.locks_programme} == {"include", "record_decision"}
    # start_review records the reviewer and the review round.
    assert {n for n, a in actions.items() if a.effect is None} == {
        "reject",
        "withdraw",
    }
    # The return's deadline on the row, then its requested items in the thread.
    assert actions["return"].effect is workflow._return
    assert {n for n, a in actions.items() if a.then is not None} == {"return"}


# --- the batch import and transition() share guards, audit values, locks and recipients ------------

DECISION = {"status": S.INCLUDED, "budget": "2500000.00", "inclusion_date": "2024-07-02"}


def test_the_batch_writes_the_audit_row_transition_writes(programme, kalamata, pyli, officer):
    from grants.models import AuditEvent

    one, _ = application_get_or_create(programme=programme, municipality=kalamata)
    other, _ = application_get_or_create(programme=programme, municipality=pyli)
    workflow.transition(one, "record_decision", actor=officer, channel="import", note="n", **DECISION)
    record_decisions(programme, [Decision(pyli, DECISION, note="n")], actor=officer)
    by_transition, by_batch = (
        AuditEvent.objects.filter(application=a, action="workflow.record_decision").get()
        for a in (one, other)
    )
    assert by_batch.before == by_transition.before
    assert by_batch.after == by_transition.after
    # Both over their caps: the same warning in the same note, in the site's language (the caps differ).
    prefix = "n\n⚠ Ο προϋπολογισμός 2.500.000,00 € υπερβαίνει το ανώτατο όριο"
    assert by_transition.note.startswith(prefix) and by_batch.note.startswith(prefix)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writer", ["transition", "batch"])
def test_both_writers_hold_the_municipality_row(programme, kalamata, officer, writer):
    import threading

    from django.db import OperationalError, connection, transaction

    from grants.models import Municipality

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    table = connection.ops.quote_name(Municipality._meta.db_table)
    seen = {}

    def probe():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [kalamata.pk])
            seen["locked"] = False
        except OperationalError:
            seen["locked"] = True
        finally:
            connection.close()

    with transaction.atomic():
        if writer == "transition":
            workflow.transition(app, "record_decision", actor=officer, channel="import", **DECISION)
        else:
            record_decisions(programme, [Decision(kalamata, DECISION)], actor=officer)
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join(timeout=30)
    assert seen == {"locked": True}


def test_both_writers_tell_the_same_people(
    programme, kalamata, pyli, officer, kalamata_user, pyli_user, mailoutbox
):
    from django.db import transaction

    for municipality, user in ((kalamata, kalamata_user), (pyli, pyli_user)):
        municipality.contact_emails = f"mayor@{municipality.elstat_code}.gr"
        municipality.save()
        user.email = f"clerk@{municipality.elstat_code}.gr"
        user.save()
    one, _ = application_get_or_create(programme=programme, municipality=kalamata)
    with transaction.atomic():
        workflow.transition(one, "record_decision", actor=officer, channel="import", **DECISION)
        record_decisions(programme, [Decision(pyli, DECISION)], actor=officer)
    # on_commit callbacks do not run inside the test's transaction: run what they would.
    from grants.notifications import notify_status_change, notify_status_changes

    notify_status_change(one.pk)
    other = Application.objects.get(municipality=pyli)
    notify_status_changes({other.pk: pyli.pk})
    assert [sorted(m.to) for m in mailoutbox] == [
        [f"clerk@{kalamata.elstat_code}.gr", f"mayor@{kalamata.elstat_code}.gr"],
        [f"clerk@{pyli.elstat_code}.gr", f"mayor@{pyli.elstat_code}.gr"],
    ]


# --- the API's reports are the /reports/ definitions ------------------------------------------------


def _streamed_json(response):
    import json

    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


@pytest.mark.parametrize("params", [{}, {"status": "included"}, {"project": "T02"}, {"region": "EL65"}])
def test_the_apis_reports_say_what_the_report_pages_say(
    client, app, programme, pyli, catalogue, officer, params
):
    decisions = [
        Decision(pyli, {"status": S.INCLUDED, "budget": "300000.05", "inclusion_date": "2024-07-03"})
    ]
    record_decisions(programme, decisions, actor=officer)
    pyli_app = Application.objects.get(municipality=pyli)
    Application.objects.filter(pk=pyli_app.pk).update(status=S.DRAFT)
    selection_add(application=pyli_app, project=catalogue[1], amount="2000", actor=officer)
    selection_add(application=pyli_app, project=catalogue[0], amount="3000", actor=officer)
    Application.objects.filter(pk=pyli_app.pk).update(status=S.INCLUDED)
    client.force_login(officer)

    page = _streamed_json(client.get("/reports/popularity.json", params))
    api = client.get("/api/v1/reports/popularity/", {**params, "page_size": 1000}).json()["results"]
    assert [(r["project"], r["applications"], r["total_amount"]) for r in api] == [
        (r["project_code"], r["applicants"], r["amount"]) for r in page
    ]

    page = _streamed_json(client.get("/reports/budgets.json", params))
    api = client.get("/api/v1/reports/budgets/", {**params, "page_size": 1000}).json()["results"]
    assert sum(r["applications"] for r in api) == sum(r["applications"] for r in page)
    assert sum(Decimal(r["total_budget"]) for r in api) == sum(Decimal(r["budget"]) for r in page)
