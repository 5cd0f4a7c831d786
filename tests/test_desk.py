"""The desk on the admin's home page for each role, its links to the filtered applications list (the
same rule, so the same count), its constant number of queries, and a municipality's to-dos on the
portal's home page."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants import desk as desk_module
from grants import workflow
from grants.models import (
    Application,
    DocumentScope,
    DocumentType,
    Message,
    MessageSide,
)
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create
from projects.services import selection_add
from tests.conftest import make_municipality

PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.UNDER_REVIEW: ["submit", "start_review"],
    S.RETURNED: ["submit", "start_review", "return"],
    S.TO_BE_INCLUDED: ["submit", "start_review", "propose_inclusion"],
}


def walk(programme, municipality, project, status, *, reviewer, proposer=None):
    app, _ = application_get_or_create(programme=programme, municipality=municipality)
    selection_add(application=app, project=project, amount=Decimal("5000.00"), actor=reviewer)
    for action in PATHS[status]:
        actor = proposer if action == "propose_inclusion" and proposer else reviewer
        workflow.transition(app, action, actor=actor, note="Διορθώσεις" if action == "return" else "")
    app.refresh_from_db()
    return app


@pytest.fixture
def world(programme, regional_unit, catalogue, officer, officer2, officer_approver):
    """Two submitted, one in officer's review and one in officer2's, two returned (one overdue), one
    proposed by officer and one by the officer-approver, one with a message waiting."""
    made = {}
    plan = [
        ("s1", S.SUBMITTED, officer, None),
        ("s2", S.SUBMITTED, officer, None),
        ("r1", S.UNDER_REVIEW, officer, None),
        ("r2", S.UNDER_REVIEW, officer2, None),
        ("w1", S.RETURNED, officer, None),
        ("w2", S.RETURNED, officer, None),
        ("p1", S.TO_BE_INCLUDED, officer, officer),
        ("p2", S.TO_BE_INCLUDED, officer, officer_approver),
    ]
    for i, (key, status, reviewer, proposer) in enumerate(plan):
        municipality = make_municipality(
            regional_unit, f"90{i:02d}", f"ΔΗΜΟΣ ΓΡΑΦΕΙΟΥ {key.upper()}", 10000 + i
        )
        made[key] = walk(programme, municipality, catalogue[0], status, reviewer=reviewer, proposer=proposer)
    today = timezone.localdate()
    Application.objects.filter(pk=made["w1"].pk).update(response_due=today + datetime.timedelta(days=5))
    Application.objects.filter(pk=made["w2"].pk).update(response_due=today - datetime.timedelta(days=2))
    Message.objects.create(
        application=made["r1"], side=MessageSide.MUNICIPALITY, author_name="δήμος", body="Ερώτηση για το έργο"
    )
    return made


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def desk_of(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response, response.context["desk"]


def list_count(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_the_officers_desk(client, world, officer):
    response, desk = desk_of(login(client, officer))
    counts = {q.key: q.count for q in desk.queues}
    assert counts == {"submitted": 2, "my_review": 1, "waiting": 2, "unanswered": 1}
    queues = {q.key: q for q in desk.queues}
    assert [a.pk for a in queues["my_review"].items] == [world["r1"].pk]
    # Overdue first.
    assert [a.pk for a in queues["waiting"].items] == [world["w2"].pk, world["w1"].pk]
    assert queues["waiting"].overdue == 1
    assert [m.body for m in desk.messages] == ["Ερώτηση για το έργο"]
    body = response.content.decode()
    assert 'id="sc-desk"' in body and "(overdue)" in body
    # A recent message links to the application's thread, where the officer answers it.
    thread = reverse("admin:grants_application_thread", args=[world["r1"].pk])
    assert f'href="{thread}"' in body.split('id="sc-desk-messages"')[1]
    assert client.get(thread).status_code == 200
    # Every count links to the list filtered by the same rule: same number of rows.
    for queue in desk.queues:
        assert queue.url in body
        assert list_count(client, queue.url) == queue.count, queue.key
    assert list_count(client, response.context["desk_links"]["overdue"]) == 1


def test_the_approvers_desk_leaves_out_what_they_proposed(client, world, officer_approver, approver):
    _response, desk = desk_of(login(client, approver))
    assert [(q.key, q.count) for q in desk.queues] == [("to_approve", 2)]
    assert list_count(client, desk.queues[0].url) == 2
    # One person with both roles: the officer's queues, and to approve only what another proposed.
    _response, desk = desk_of(login(client, officer_approver))
    counts = {q.key: q.count for q in desk.queues}
    assert counts["to_approve"] == 1 and counts["submitted"] == 2 and counts["my_review"] == 0
    assert [a.pk for a in desk.queues[-1].items] == [world["p1"].pk]


def test_the_committed_total_against_the_budget(client, world, programme, officer):
    _response, desk = desk_of(login(client, officer))
    (budget,) = desk.budgets
    assert budget.committed == Decimal("0.00") and budget.proposed == Decimal("10000.00")
    assert budget.remaining == programme.total_budget
    assert list_count(client, budget.proposed_url) == 2


def test_the_auditors_summary_is_read_only(client, world, auditor):
    response, desk = desk_of(login(client, auditor))
    assert desk.role == "auditor" and desk.queues == []
    by_status = {value: count for value, _label, count in desk.by_status}
    assert by_status[S.SUBMITTED] == 2 and by_status[S.TO_BE_INCLUDED] == 2 and by_status[S.INCLUDED] == 0
    for value, _label, count, url in response.context["desk_statuses"]:
        assert list_count(client, url) == count, value
    body = response.content.decode()
    assert "Work queue" not in body and "sc-queue-" not in body


def test_a_municipality_account_has_no_desk(client, kalamata_user):
    response = login(client, kalamata_user).get(reverse("admin:index"))
    assert response.status_code == 302  # to the admin's login: not staff


def test_the_desk_runs_the_same_queries_however_much_work_waits(
    client, programme, regional_unit, catalogue, officer, officer_approver
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            desk_of(client)
        return len(captured)

    login(client, officer_approver)
    # One of each first: an empty short list skips its query.
    statuses = [S.SUBMITTED, S.UNDER_REVIEW, S.RETURNED, S.TO_BE_INCLUDED]
    for i, status in enumerate(statuses):
        m = make_municipality(regional_unit, f"80{i:02d}", f"ΔΗΜΟΣ Α{i}", 9000)
        app = walk(programme, m, catalogue[0], status, reviewer=officer_approver, proposer=officer)
        Message.objects.create(application=app, side=MessageSide.MUNICIPALITY, author_name="x", body="β")
    few = queries()
    for i in range(12):
        m = make_municipality(regional_unit, f"81{i:02d}", f"ΔΗΜΟΣ Β{i}", 9000)
        app = walk(programme, m, catalogue[1], statuses[i % 4], reviewer=officer_approver, proposer=officer)
        Message.objects.create(application=app, side=MessageSide.MUNICIPALITY, author_name="x", body="γ")
    assert queries() == few


def test_the_unanswered_short_list_is_the_same_however_many_wait(client, world, officer, monkeypatch):
    """The latest message decides: an answered question leaves the queue, a question after an answer
    joins it. The short list found by the walk (many waiting) and from the rule (few) agree."""
    Message.objects.create(
        application=world["r1"], side=MessageSide.AUTHORITY, author_name="x", body="απάντηση"
    )
    for key in ["w1", "s1", "s2"]:
        Message.objects.create(
            application=world[key], side=MessageSide.MUNICIPALITY, author_name="x", body="β"
        )
    Message.objects.create(application=world["s2"], side=MessageSide.AUTHORITY, author_name="x", body="γ")
    login(client, officer)

    def unanswered():
        _response, desk = desk_of(client)
        (queue,) = [q for q in desk.queues if q.key == "unanswered"]
        return queue.count, [a.pk for a in queue.items], list_count(client, queue.url)

    few = unanswered()
    assert few == (2, [world["s1"].pk, world["w1"].pk], 2)
    monkeypatch.setattr(desk_module, "DENSE_UNANSWERED", 1)
    assert unanswered() == few


def test_messages_sent_in_the_same_instant_are_ordered_by_id(client, world, officer):
    """The latest message is the last written when two share a time (a reply in the same transaction
    as an import, say): the desk's count and the list it links to both break the tie by id."""
    when = timezone.now() - datetime.timedelta(days=1)
    for key, sides in [("r2", ("municipality", "authority")), ("s2", ("authority", "municipality"))]:
        for side in sides:
            Message.objects.create(
                application=world[key], side=side, author_name="x", body="δ", created_at=when
            )
    _response, desk = desk_of(login(client, officer))
    (queue,) = [q for q in desk.queues if q.key == "unanswered"]
    assert queue.count == 2  # r1 (the fixture's question) and s2
    assert sorted(a.pk for a in queue.items) == sorted([world["r1"].pk, world["s2"].pk])
    assert list_count(client, queue.url) == 2


# --- the portal's to-dos ------------------------------------------------------------------------


@pytest.fixture
def portal_client(client, kalamata_user):
    return login(client, kalamata_user)


def test_the_portal_home_lists_the_municipalitys_todos(
    portal_client, programme, kalamata, catalogue, officer, kalamata_user
):
    # Returned first: the types the call asks for arrive after the submission (submit needs them).
    app = walk(programme, kalamata, catalogue[0], S.RETURNED, reviewer=officer)
    DocumentType.objects.create(
        programme=programme, code="council", title_el="Απόφαση ΔΣ", title_en="Council decision", required=True
    )
    DocumentType.objects.create(
        programme=programme,
        code="sheet",
        title_el="Τεκμηρίωση",
        title_en="Project sheet",
        required=True,
        scope=DocumentScope.PROJECT,
    )
    DocumentType.objects.create(
        programme=programme, code="extra", title_el="Άλλο", title_en="Optional", required=False
    )
    due = timezone.localdate() + datetime.timedelta(days=4)
    Application.objects.filter(pk=app.pk).update(response_due=due)
    Message.objects.create(
        application=app, side=MessageSide.AUTHORITY, author_name="ΕΥΔ", body="Στείλτε την απόφαση"
    )
    response = portal_client.get(reverse("portal:home"))
    assert response.status_code == 200
    (card,) = response.context["cards"]
    texts = [t.text for t in card["todos"]]
    assert texts[0] == f"Correct the application and submit it again by {due:%d/%m/%Y}."
    assert any("Council decision" in t and "Project sheet (T01)" in t and "Optional" not in t for t in texts)
    assert any("The managing authority wrote to you" in t for t in texts)
    body = response.content.decode()
    assert "Waiting for you" in body and "Council decision" in body
    # Each to-do links to where it is done: the documents page, the thread.
    todos = body.split('class="notice notice--warning todos"')[1].split("</div>")[0]
    for name in ("portal:documents", "portal:messages"):
        url = reverse(name, args=[app.pk])
        assert f'href="{url}"' in todos, name
        assert portal_client.get(url).status_code == 200, name
    # Answered: the question is no longer waiting.
    Message.objects.create(
        application=app, side=MessageSide.MUNICIPALITY, author_name="δήμος", body="Επισυνάφθηκε"
    )
    card = portal_client.get(reverse("portal:home")).context["cards"][0]
    assert not any(t.kind == "question" for t in card["todos"])


def test_an_overdue_deadline_is_said_plainly(portal_client, programme, kalamata, catalogue, officer):
    app = walk(programme, kalamata, catalogue[0], S.RETURNED, reviewer=officer)
    Application.objects.filter(pk=app.pk).update(
        response_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    todos = portal_client.get(reverse("portal:home")).context["cards"][0]["todos"]
    # First, before the return's own message waiting for an answer.
    assert todos[0].kind == "deadline" and todos[0].overdue and "deadline passed" in todos[0].text


def test_nothing_waiting_shows_no_todos(portal_client, programme, kalamata, catalogue, officer):
    walk(programme, kalamata, catalogue[0], S.UNDER_REVIEW, reviewer=officer)
    response = portal_client.get(reverse("portal:home"))
    assert response.context["cards"][0]["todos"] == [] and "Waiting for you" not in response.content.decode()


def test_another_municipalitys_todos_are_not_shown(
    client, pyli_user, programme, kalamata, catalogue, officer
):
    app = walk(programme, kalamata, catalogue[0], S.RETURNED, reviewer=officer)
    Message.objects.create(application=app, side=MessageSide.AUTHORITY, author_name="ΕΥΔ", body="Ερώτηση")
    response = login(client, pyli_user).get(reverse("portal:home"))
    assert all(card["todos"] == [] for card in response.context["cards"])
    assert "Ερώτηση" not in response.content.decode()


def test_the_portal_home_runs_the_same_queries_however_many_todos(
    portal_client, programme, kalamata, catalogue, officer
):
    app = walk(programme, kalamata, catalogue[0], S.RETURNED, reviewer=officer)
    for code, scope in (("council", DocumentScope.APPLICATION), ("sheet", DocumentScope.PROJECT)):
        DocumentType.objects.create(
            programme=programme, code=code, title_el=code, title_en=code, required=True, scope=scope
        )
    Application.objects.filter(pk=app.pk).update(response_due=timezone.localdate())
    Message.objects.create(application=app, side=MessageSide.AUTHORITY, author_name="ΕΥΔ", body="α")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert portal_client.get(reverse("portal:home")).status_code == 200
        return len(captured)

    few = queries()
    for project in catalogue[1:8]:
        selection_add(application=app, project=project, amount=Decimal("10.00"), actor=officer)
    for i in range(5):
        DocumentType.objects.create(
            programme=programme, code=f"x{i}", title_el="Χ", title_en="X", required=True
        )
        Message.objects.create(application=app, side=MessageSide.AUTHORITY, author_name="ΕΥΔ", body=f"β{i}")
        Message.objects.create(application=app, side=MessageSide.MUNICIPALITY, author_name="δήμος", body="γ")
    assert queries() == few
