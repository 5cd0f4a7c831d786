"""The summaries PostgreSQL keeps by triggers (SelectionSummary, ApplicationSummary, AbsorptionMonth,
IndicatorSummary) under concurrent writers: municipalities and staff acting at once through the real
services, each thread on its own connection. Whatever the interleaving, every writer succeeds (no
deadlock reaches the user) and every summary still equals a fresh count of its base tables (no update
is lost). Where the dangerous interleaving is a narrow window, the test holds one writer in it (a
patched step of the service waits until the other is blocked on a row lock) instead of hoping."""

import datetime
import threading
import time
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from grants import audit, workflow
from grants.delivery import amendments, declarations, indicators, payments
from grants.models import Application
from grants.services import application_get_or_create
from projects import services as project_services
from tests.conftest import make_municipality
from tests.delivery import test_absorption_summary as absorption_summary
from tests.delivery import test_indicator_summary as indicator_summary
from tests.delivery.conftest import included_application, make_contract, make_declaration
from tests.test_application_summary import counted as applications_counted
from tests.test_application_summary import summarised as applications_summarised
from tests.test_concurrency import run_at_once
from tests.test_selection_summary import counted as selections_counted
from tests.test_selection_summary import summarised as selections_summarised

# Threads on committed data: `slow` (make test-fast leaves it out; CI runs it).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the summaries' triggers are PostgreSQL's"),
]

AMOUNT = Decimal("1000.00")


def assert_every_summary_kept():
    assert selections_summarised() == selections_counted()
    assert applications_summarised() == applications_counted()
    assert absorption_summary.summarised() == absorption_summary.computed()
    assert absorption_summary.summarised_months() == absorption_summary.computed_months()
    assert indicator_summary.summarised() == indicator_summary.counted()


def failures(results):
    return [str(r) for r in results if isinstance(r, Exception)]


def backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def wait_until_blocked(pid: int, timeout: float = 5.0) -> bool:
    """Whether the backend `pid` came to wait for a lock another holds within `timeout` (read on a
    connection of its own: a transaction's view of the activity tables is a snapshot)."""
    s = connection.settings_dict
    with psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], dbname=s["NAME"]) as other:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if other.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid]).fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def held_in_the_window(first, second, *, hold):
    """Run first() and second() in two threads: first() runs until the step `hold` patches calls
    `wait()`; then second() starts, and once it is blocked on a row lock first() goes on. Returns
    what each returned or raised, and whether second() was seen blocked."""
    started, pid = threading.Event(), {}
    seen = {}

    def wait():
        started.set()
        seen["blocked"] = wait_until_blocked(pid["second"])

    hold(wait)

    def run(i):
        if i == 1:
            pid["second"] = backend_pid()
        ready.wait()
        if i == 0:
            return first()
        started.wait(timeout=10)
        return second()

    ready = threading.Barrier(2)
    return run_at_once(2, run), seen.get("blocked")


# --- applications and selections ----------------------------------------------------------------------


@pytest.fixture
def four_drafts(programme, kalamata, pyli, regional_unit, catalogue):
    """Four municipalities' drafts of one regional unit, with the same two projects: every write to
    them lands on the same summary rows."""
    municipalities = [kalamata, pyli] + [
        make_municipality(regional_unit, f"240{i}", f"ΔΗΜΟΣ ΔΟΚΙΜΗΣ {i}", 20000 + i) for i in (1, 2)
    ]
    apps = []
    for municipality in municipalities:
        app, _ = application_get_or_create(programme=programme, municipality=municipality)
        for project in catalogue[:2]:
            project_services.selection_add(application=app, project=project, amount=AMOUNT)
        apps.append(app)
    return apps


def test_four_submissions_at_once_keep_the_same_rows(four_drafts, officer):
    results = run_at_once(
        4,
        lambda i: workflow.transition(Application.objects.get(pk=four_drafts[i].pk), "submit", actor=officer),
    )
    assert failures(results) == []
    assert set(Application.objects.values_list("status", flat=True)) == {"submitted"}
    assert_every_summary_kept()
    assert (
        selections_summarised()[
            (four_drafts[0].programme_id, "submitted", four_drafts[0].selections.first().project_id)
        ][0]
        == 4
    )


def test_four_selections_of_one_project_at_once_keep_the_same_rows(four_drafts, catalogue):
    results = run_at_once(
        4,
        lambda i: project_services.selection_add(
            application=Application.objects.get(pk=four_drafts[i].pk), project=catalogue[5], amount=AMOUNT
        ),
    )
    assert failures(results) == []
    assert selections_summarised()[(four_drafts[0].programme_id, "draft", catalogue[5].pk)] == (4, 4 * AMOUNT)
    assert_every_summary_kept()


def test_adding_a_selection_while_another_draft_with_it_is_submitted(
    four_drafts, catalogue, officer, monkeypatch
):
    # Opposite orders: selection_add writes the selection (its SelectionSummary row), then the budget
    # (its ApplicationSummary row); a submission moves both in one UPDATE, whose triggers must take
    # them in the same order, or each waits for the other and PostgreSQL aborts one.
    adding, submitted = four_drafts[0], four_drafts[1]
    project_services.selection_remove(selection=adding.selections.get(project=catalogue[1]))
    sync = project_services._sync_budget

    def hold(wait):
        def held(app, total):
            if app.pk == adding.pk:
                wait()
            sync(app, total)

        monkeypatch.setattr(project_services, "_sync_budget", held)

    results, blocked = held_in_the_window(
        lambda: project_services.selection_add(
            application=Application.objects.get(pk=adding.pk), project=catalogue[1], amount=AMOUNT
        ),
        lambda: workflow.transition(Application.objects.get(pk=submitted.pk), "submit", actor=officer),
        hold=hold,
    )
    assert failures(results) == []
    assert blocked  # the submission did wait for the selection's row: the window was hit
    assert_every_summary_kept()


# --- the money ------------------------------------------------------------------------------------------


@pytest.fixture
def two_operations(programme, kalamata, pyli, catalogue, officer, approver, kalamata_user, pyli_user):
    """Two included operations of one regional unit, each with a contract and a pending declaration
    (and the municipality's user who declares)."""
    a = included_application(programme, kalamata, catalogue[:2], officer, approver)
    b = included_application(programme, pyli, catalogue[2:3], officer, approver, amounts=("20000.00",))
    out = []
    for app, project, user in ((a, "T01", kalamata_user), (b, "T03", pyli_user)):
        contract = make_contract(app, user, project=project, amount="15000.00")
        out.append((app, contract, make_declaration(contract, user, "5000.00"), user))
    return out


def test_declarations_verifications_and_payments_at_once_keep_the_same_month(
    two_operations, officer, approver
):
    def declare_or_verify(i):
        _app, contract, pending, user = two_operations[i % 2]
        if i < 2:
            return make_declaration(contract, user, "1000.00")
        return declarations.declaration_act(
            declaration=pending, action="verify", actor=officer, accepted_amount="5000.00"
        )

    def pay(i):
        app = two_operations[i][0]
        payment = payments.payment_prepare(
            application=app, amount="100.00", reference=f"Π-{i}", actor=officer
        )
        return payments.payment_act(
            payment=payment, action="authorise", actor=approver, paid_on=datetime.date(2026, 1, 5)
        )

    assert failures(run_at_once(4, declare_or_verify)) == []
    assert failures(run_at_once(2, pay)) == []
    assert_every_summary_kept()


def held_before_event(action, monkeypatch):
    """For held_in_the_window: the first writer waits just before it records `action`, after the
    rows it wrote before that event (and the locks they took)."""
    record = audit.record

    def hold(wait):
        def held(**kw):
            if kw.get("action") == action:
                wait()
            return record(**kw)

        monkeypatch.setattr(audit, "record", held)

    return hold


def test_a_declaration_while_another_operation_is_deincluded(two_operations, officer, approver, monkeypatch):
    # The declaration's triggers take the ApplicationSummary row, then the AbsorptionMonth row; the
    # de-inclusion moves the other operation's money out of both in one UPDATE.
    (a, contract_a, _, kalamata_user), (b, _, _, _) = two_operations
    hold = held_before_event("declaration.create", monkeypatch)
    results, _blocked = held_in_the_window(
        lambda: make_declaration(contract_a, kalamata_user, "1000.00"),
        lambda: workflow.transition(
            Application.objects.get(pk=b.pk),
            "deinclude",
            actor=approver,
            note="Ανάκληση",
            decision_ada="ΨΓΡ1465ΧΞ7-9ΑΒ",
        ),
        hold=hold,
    )
    assert failures(results) == []
    assert_every_summary_kept()


def test_an_amendment_approved_while_another_operation_declares(
    two_operations, catalogue, officer, approver, monkeypatch
):
    # The approval rewrites the selections, then the budget (the ApplicationSummary row); a declaration
    # of another operation of the same regional unit holds that row until it commits, and writes its
    # own audit event first. The approval must not hold the audit chain while it waits for the row.
    (a, _, _, _), (b, contract_b, _, pyli_user) = two_operations
    amendment = amendments.amendment_request(
        application=a,
        actor=officer,
        justification="Αλλαγή έργων",
        selections=[{"project": "T01", "amount": "60000.00"}, {"project": "T04", "amount": "50000.00"}],
    )
    amendments.amendment_transition(amendment, "propose", actor=officer)
    hold = held_before_event("declaration.create", monkeypatch)
    results, blocked = held_in_the_window(
        lambda: make_declaration(contract_b, pyli_user, "1000.00"),
        lambda: amendments.amendment_transition(
            amendment, "approve", actor=approver, decision_ada="ΨΓΡ1465ΧΞ7-9ΑΒ", decision_date="2025-07-01"
        ),
        hold=hold,
    )
    assert failures(results) == []
    assert blocked
    assert_every_summary_kept()


# --- indicators -----------------------------------------------------------------------------------------


def test_targets_and_values_of_one_indicator_at_once(two_operations, officer):
    def work(i):
        app, _contract, _declaration, user = two_operations[i % 2]
        if i < 2:
            return indicators.indicator_target_set(
                application=app, code="RCR11", target=1000 + i, actor=officer
            )
        return indicators.indicator_report(
            application=app,
            code="RCR11",
            achieved=10 * i,
            measured_on=datetime.date(2025, 7, 1),
            evidence="x",
            actor=user,
        )

    results = run_at_once(4, work)
    assert failures(results) == []
    assert_every_summary_kept()
