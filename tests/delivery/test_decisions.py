"""The versions of the decision: version 1 written by every path that includes, oldest first, never
changed by a de-inclusion."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from grants import workflow
from grants.delivery import decisions
from grants.models import Application, Channel, DecisionKind, DecisionVersion
from grants.models import ApplicationStatus as S
from grants.workflow_batch import Decision, record_decisions


def test_include_writes_version_one_with_the_decided_figures(included, approver):
    (version,) = DecisionVersion.objects.filter(application=included)
    assert version.version == 1
    assert version.kind == DecisionKind.INCLUSION
    assert version.decision_ada == "ΕΨΚ446ΜΤΛ6-ΡΞΥ"
    assert version.decision_date == datetime.date(2024, 7, 2)
    assert version.budget == Decimal("300000.00") == included.budget
    assert version.end_date == datetime.date(2026, 12, 31)
    assert version.created_by == approver
    assert version.selections == [
        {"project": "T01", "amount": "100000.00"},
        {"project": "T02", "amount": "100000.00"},
        {"project": "T03", "amount": "100000.00"},
    ]


def test_a_refused_include_writes_no_version(programme, kalamata, catalogue, kalamata_user, officer):
    from grants.services import application_get_or_create
    from projects.services import selection_add

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    selection_add(application=app, project=catalogue[0], amount="1000", actor=kalamata_user)
    workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer)
    with pytest.raises(workflow.TransitionError):
        # The proposer may not include (four eyes): nothing is written, no version either.
        workflow.transition(
            app, "include", actor=officer, inclusion_date="2024-07-02", decision_ada="ΕΨΚ446ΜΤΛ6-ΡΞΥ"
        )
    assert not DecisionVersion.objects.filter(application=app).exists()


def test_deinclusion_keeps_the_versions(included, approver, officer_approver):
    workflow.transition(
        included, "deinclude", actor=officer_approver, note="Απένταξη", decision_ada="ΡΒΠΕ7ΛΞ-Ν1Ζ"
    )
    assert list(DecisionVersion.objects.filter(application=included).values_list("version", "kind")) == [
        (1, DecisionKind.INCLUSION)
    ]


def test_versions_are_unique_per_application(included):
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionVersion.objects.create(application=included, version=1, kind="amendment", budget=1)


def _decision(municipality, **fields):
    return Decision(
        municipality,
        {
            "status": S.INCLUDED,
            "budget": "250000.00",
            "inclusion_date": "2024-07-02",
            "decision_ada": "ΕΨΚ446ΜΤΛ6-ΡΞΥ",
            **fields,
        },
    )


def test_the_batch_import_writes_version_one_and_an_amendment_only_on_change(programme, kalamata, pyli):
    record_decisions(programme, [_decision(kalamata), _decision(pyli)], actor=None, channel=Channel.COMMAND)
    versions = DecisionVersion.objects.order_by("application__municipality__name")
    assert [(v.version, v.kind, v.budget) for v in versions] == [
        (1, DecisionKind.INCLUSION, Decimal("250000.00")),
        (1, DecisionKind.INCLUSION, Decimal("250000.00")),
    ]
    # The same list again changes nothing; a list with another budget is a later decision.
    record_decisions(programme, [_decision(kalamata), _decision(pyli)], actor=None, channel=Channel.COMMAND)
    assert DecisionVersion.objects.count() == 2
    record_decisions(
        programme, [_decision(kalamata, budget="260000.00")], actor=None, channel=Channel.COMMAND
    )
    app = Application.objects.get(municipality=kalamata)
    assert list(app.decision_versions.values_list("version", "kind", "budget")) == [
        (1, DecisionKind.INCLUSION, Decimal("250000.00")),
        (2, DecisionKind.AMENDMENT, Decimal("260000.00")),
    ]


def test_to_be_included_writes_no_version_until_included(programme, kalamata):
    record_decisions(
        programme, [_decision(kalamata, status=S.TO_BE_INCLUDED)], actor=None, channel=Channel.COMMAND
    )
    assert not DecisionVersion.objects.exists()
    record_decisions(programme, [_decision(kalamata)], actor=None, channel=Channel.COMMAND)
    assert DecisionVersion.objects.get().kind == DecisionKind.INCLUSION


def test_record_decision_through_transition_writes_the_version(programme, kalamata):
    from grants.services import application_get_or_create

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    workflow.transition(
        app,
        "record_decision",
        actor=None,
        channel=Channel.COMMAND,
        status=S.INCLUDED,
        budget="1000.00",
        inclusion_date="2024-07-02",
        decision_ada="ΕΨΚ446ΜΤΛ6-ΡΞΥ",
    )
    assert decisions.latest(app).budget == Decimal("1000.00")


def test_the_backfill_migration_writes_version_one(included):
    import importlib

    from django.apps import apps

    DecisionVersion.objects.all().delete()
    migration = importlib.import_module("grants.migrations.0016_backfill_decision_versions")
    migration.backfill(apps, None)
    version = DecisionVersion.objects.get(application=included)
    assert (version.version, version.kind, version.budget, version.decision_ada) == (
        1,
        DecisionKind.INCLUSION,
        included.budget,
        included.decision_ada,
    )
    assert len(version.selections) == 3


def test_the_inclusion_budget_expression_reads_version_one(included, kalamata_user, officer, approver):
    from grants.delivery import amendments

    amendment = amendments.amendment_request(
        application=included, actor=kalamata_user, justification="x", budget="350000"
    )
    amendments.amendment_transition(amendment, "propose", actor=officer)
    amendments.amendment_transition(
        amendment, "approve", actor=approver, decision_ada="ΨΓΡ1465ΧΞ7-9ΑΒ", decision_date="2025-05-20"
    )
    row = Application.objects.annotate(included=decisions.inclusion_budget()).get(pk=included.pk)
    assert (row.included, row.budget) == (Decimal("300000.00"), Decimal("350000.00"))
