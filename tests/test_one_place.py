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
