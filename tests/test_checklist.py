"""The evaluation checklist through its service and the workflow: the guard on propose_inclusion,
the freeze at the proposal, review rounds after a return, the audit of every answer, the seeded
defaults and the PDF."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from grants import checklist, workflow
from grants.models import ApplicationStatus as S
from grants.models import AuditEvent, ChecklistAnswer, ChecklistCriterion
from grants.services import application_get_or_create
from projects.services import selection_add

CRITERIA = [
    ("eligible", "Επιλέξιμος δικαιούχος", "Eligible beneficiary"),
    ("council", "Απόφαση Δημοτικού Συμβουλίου", "Council decision attached"),
    ("cap", "Εντός ορίου", "Total within the cap"),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def criteria(programme):
    return [
        ChecklistCriterion.objects.create(programme=programme, code=c, text_el=el, text_en=en, order=i)
        for i, (c, el, en) in enumerate(CRITERIA, start=1)
    ]


def make_app(programme, municipality, catalogue, user, officer, *, status=S.UNDER_REVIEW):
    app, _ = application_get_or_create(programme=programme, municipality=municipality)
    selection_add(application=app, project=catalogue[0], amount=Decimal("1000.00"), actor=user)
    steps = {S.DRAFT: [], S.SUBMITTED: ["submit"], S.UNDER_REVIEW: ["submit", "start_review"]}[status]
    for step in steps:
        workflow.transition(app, step, actor=officer)
    app.refresh_from_db()
    return app


@pytest.fixture
def app(programme, kalamata, catalogue, kalamata_user, officer, criteria):
    return make_app(programme, kalamata, catalogue, kalamata_user, officer)


def answers(**by_code):
    out = []
    for code, value in by_code.items():
        answer, comment = value if isinstance(value, tuple) else (value, "")
        out.append({"criterion": code, "answer": answer, "comment": comment})
    return out


ALL_YES = {"eligible": "yes", "council": "yes", "cap": "yes"}


def test_start_review_records_the_reviewer_and_a_round_in_the_audit(app, officer):
    assert (app.reviewer, app.review_round) == (officer, 1)
    event = AuditEvent.objects.get(application=app, action="workflow.start_review")
    assert event.after["reviewer"] == officer.pk and event.after["review_round"] == 1
    assert event.before["reviewer"] is None and event.before["review_round"] == 0


def test_propose_is_refused_naming_the_unanswered_criteria(app, officer):
    checklist.checklist_answer(application=app, answers=answers(eligible="yes"), actor=officer)
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(app, "propose_inclusion", actor=officer)
    message = " ".join(refused.value.messages)
    assert "not answered: «Council decision attached», «Total within the cap»" in message
    assert "Eligible beneficiary" not in message
    app.refresh_from_db()
    assert app.status == S.UNDER_REVIEW
    # The reason is listed with the action, as the admin, the portal and the API show it.
    option = {o.name: o for o in workflow.available_actions(app, officer)}["propose_inclusion"]
    assert not option.allowed and "Council decision attached" in option.reason


def test_propose_is_refused_while_a_criterion_is_no(app, officer):
    checklist.checklist_answer(
        application=app, answers=answers(**{**ALL_YES, "council": ("no", "Δεν επισυνάφθηκε")}), actor=officer
    )
    with pytest.raises(workflow.TransitionError, match="answered «No»: «Council decision attached»"):
        workflow.transition(app, "propose_inclusion", actor=officer)
    checklist.checklist_answer(
        application=app, answers=answers(council=("na", "Δεν απαιτείται")), actor=officer
    )
    workflow.transition(app, "propose_inclusion", actor=officer)
    app.refresh_from_db()
    assert app.status == S.TO_BE_INCLUDED


def test_answers_freeze_at_the_proposal(app, officer):
    checklist.checklist_answer(application=app, answers=answers(**ALL_YES), actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer)
    app.refresh_from_db()
    with pytest.raises(checklist.ChecklistClosed, match="frozen when the inclusion was proposed"):
        checklist.checklist_answer(application=app, answers=answers(cap=("no", "x")), actor=officer)
    assert set(ChecklistAnswer.objects.filter(application=app).values_list("answer", flat=True)) == {"yes"}


def test_answers_only_during_the_review(programme, kalamata, catalogue, kalamata_user, officer, criteria):
    app = make_app(programme, kalamata, catalogue, kalamata_user, officer, status=S.SUBMITTED)
    with pytest.raises(checklist.ChecklistClosed, match="answered during the review"):
        checklist.checklist_answer(application=app, answers=answers(eligible="yes"), actor=officer)


@pytest.mark.parametrize("who", ["approver", "auditor", "kalamata_user"])
def test_only_officers_answer(app, who, request):
    with pytest.raises(PermissionDenied):
        checklist.checklist_answer(
            application=app, answers=answers(eligible="yes"), actor=request.getfixturevalue(who)
        )
    assert not ChecklistAnswer.objects.exists()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"criterion": "nope", "answer": "yes"}], "Row 1 («nope»): criterion: not a criterion"),
        ([{"criterion": "eligible", "answer": "maybe"}], "Row 1 («eligible»): answer: «maybe» is not one of"),
        (
            [{"criterion": "eligible", "answer": "no"}],
            "Row 1 («eligible»): comment: required when the answer is «No»",
        ),
        (
            [{"criterion": "cap", "answer": "na", "comment": " "}],
            "comment: required when the answer is «Not applicable»",
        ),
        (
            [{"criterion": "cap", "answer": "yes"}, {"criterion": "cap", "answer": "no", "comment": "x"}],
            "Row 2 («cap»): criterion: answered twice",
        ),
        ([{"criterion": "cap", "answer": "yes", "comment": "x" * 2001}], "at most 2000 characters"),
        ([{"criterion": "cap", "answer": "yes", "comment": "a\x00b"}], "null character"),
        ([{"criterion": "cap", "answer": "yes", "extra": 1}], "unknown fields extra"),
        ([], "Send a list of answers"),
        ({"criterion": "cap"}, "Send a list of answers"),
        (["cap"], "Row 1: expected an object"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(app, officer, rows, expected):
    with pytest.raises(checklist.ChecklistError) as refused:
        checklist.checklist_answer(application=app, answers=rows, actor=officer)
    assert any(expected in m for m in refused.value.messages), refused.value.messages
    assert not ChecklistAnswer.objects.exists()
    assert not AuditEvent.objects.filter(action="checklist.answer").exists()


def test_one_bad_row_refuses_the_good_ones_too(app, officer):
    rows = [{"criterion": "eligible", "answer": "yes"}, {"criterion": "cap", "answer": "no"}]
    with pytest.raises(checklist.ChecklistError, match="Row 2"):
        checklist.checklist_answer(application=app, answers=rows, actor=officer)
    assert not ChecklistAnswer.objects.exists()


def test_every_answer_is_audited_and_an_unchanged_one_is_not(app, officer, criteria):
    assert checklist.checklist_answer(application=app, answers=answers(**ALL_YES), actor=officer) == 3
    assert checklist.checklist_answer(application=app, answers=answers(**ALL_YES), actor=officer) == 0
    checklist.checklist_answer(application=app, answers=answers(cap=("no", "Υπέρβαση")), actor=officer)
    events = list(AuditEvent.objects.filter(action="checklist.answer").order_by("id"))
    assert len(events) == 4
    last = events[-1]
    assert (last.application_id, last.municipality_id, last.actor) == (app.pk, app.municipality_id, officer)
    assert last.before == {"answer": "yes", "comment": "", "criterion": criteria[2].pk, "review_round": 1}
    assert last.after == {
        "answer": "no",
        "comment": "Υπέρβαση",
        "criterion": criteria[2].pk,
        "review_round": 1,
    }
    assert events[0].before == {}


def test_a_return_starts_a_new_round_and_keeps_the_earlier_one(app, officer, kalamata_user, criteria):
    checklist.checklist_answer(
        application=app, answers=answers(**{**ALL_YES, "council": ("no", "Λείπει")}), actor=officer
    )
    workflow.transition(app, "return", actor=officer, note="Επισυνάψτε την απόφαση")
    app.refresh_from_db()
    with pytest.raises(checklist.ChecklistClosed):
        checklist.checklist_answer(application=app, answers=answers(council="yes"), actor=officer)
    workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "start_review", actor=officer)
    app.refresh_from_db()
    assert app.review_round == 2
    assert [r.answer for r in checklist.rows(app)] == [None, None, None]
    earlier = checklist.earlier_rounds(app)
    assert [a.answer for a in earlier[1]] == ["yes", "no", "yes"]
    with pytest.raises(workflow.TransitionError, match="not answered"):
        workflow.transition(app, "propose_inclusion", actor=officer)


def test_a_retired_criterion_is_no_longer_asked_but_keeps_its_answer(app, officer, criteria):
    checklist.checklist_answer(application=app, answers=answers(eligible="yes", council="yes"), actor=officer)
    ChecklistCriterion.objects.filter(code="cap").update(active=False)
    ChecklistCriterion.objects.filter(code="council").update(active=False)
    assert [r.criterion.code for r in checklist.rows(app)] == ["eligible", "council"]
    workflow.transition(app, "propose_inclusion", actor=officer)


def test_a_programme_without_criteria_proposes_as_before(
    programme, kalamata, catalogue, kalamata_user, officer
):
    app = make_app(programme, kalamata, catalogue, kalamata_user, officer)
    workflow.transition(app, "propose_inclusion", actor=officer)


def test_the_reference_data_seeds_the_calls_checklist(registry):
    codes = list(ChecklistCriterion.objects.filter(programme=registry).values_list("code", flat=True))
    assert codes[:2] == ["eligible_beneficiary", "council_decision"] and "no_double_funding" in codes
    assert AuditEvent.objects.filter(action="checklist_criterion.create").count() == len(codes)
    # Illustrative defaults until the managing authority confirms them against the call.
    assert not ChecklistCriterion.objects.filter(programme=registry, official=True).exists()
    from grants.reference import load_reference_data

    ChecklistCriterion.objects.filter(code="council_decision").update(text_el="Αλλαγμένο")
    report = load_reference_data()
    assert report.created["checklist criteria"] == 0
    assert ChecklistCriterion.objects.get(code="council_decision").text_el == "Αλλαγμένο"


def test_the_pdf_carries_the_answers(app, officer):
    from io import BytesIO

    from pypdf import PdfReader

    from grants.portal.pdf import application_pdf

    checklist.checklist_answer(
        application=app, answers=answers(**{**ALL_YES, "cap": ("na", "Σχόλιο ελέγχου")}), actor=officer
    )
    pdf = application_pdf(
        app, list(app.selections.select_related("project")), checklist_rows=checklist.rows(app)
    )
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Evaluation checklist" in text
    assert "Total within the cap" in text and "Not applicable" in text and "Σχόλιο ελέγχου" in text
    assert "Council decision attached" in text and "Yes" in text


def test_the_municipalitys_receipt_pdf_carries_the_frozen_checklist(
    client, app, officer, kalamata_user, settings
):
    from io import BytesIO

    from django.urls import reverse
    from pypdf import PdfReader

    checklist.checklist_answer(
        application=app, answers=answers(**{**ALL_YES, "council": ("na", "Ήδη στο φάκελο")}), actor=officer
    )
    workflow.transition(app, "propose_inclusion", actor=officer)
    client.force_login(kalamata_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    response = client.get(reverse("portal:receipt_pdf", args=[app.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Λίστα ελέγχου αξιολόγησης" in text and "Δεν εφαρμόζεται" in text and "Ήδη στο φάκελο" in text
    assert "Απόφαση Δημοτικού Συμβουλίου" in text
