"""simulate_programme: the programme of July 2024 through the services — the published figures exactly,
the workflow's rules on every step, a history that replays, the same plan for the same seed, refusals.

One run serves the module (it takes a minute or more on PostgreSQL): it is made in a transaction of its
own that is rolled back when the module ends."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Min, Sum
from django.test import override_settings
from django.utils import timezone

from grants import audit, checklist, documents, roles
from grants.models import (
    Application,
    AuditEvent,
    ChecklistAnswer,
    Contract,
    Document,
    ExpenditureDeclaration,
    Message,
    Municipality,
    Payment,
    Programme,
    ProjectProgress,
)
from grants.models import ApplicationStatus as S
from grants.reports.aggregates import PopularityReport
from grants.simulation import extensions
from grants.simulation.plan import END, SEED, Step, make_plan
from grants.simulation.run import read_registry
from grants.workflow import ADA_RE, replay
from projects.models import Selection

pytestmark = pytest.mark.slow

# The sample as published (grants/data/inclusions_published_sample.txt), keyed by ELSTAT code.
PUBLISHED = {
    "4607": (S.INCLUDED, "639338.00", date(2024, 7, 2)),
    "0803": (S.INCLUDED, "909749.92", date(2023, 7, 28)),
    "4706": (S.INCLUDED, "1632760.08", date(2023, 5, 17)),
    "5301": (S.INCLUDED, "1609833.17", date(2024, 4, 18)),
    "4103": (S.INCLUDED, "229700.00", date(2024, 6, 6)),
    "4704": (S.INCLUDED, "1466028.00", date(2024, 7, 2)),
    "1301": (S.INCLUDED, "609771.68", date(2024, 4, 9)),
    "4609": (S.INCLUDED, "1235007.20", date(2024, 7, 18)),
    "2603": (S.TO_BE_INCLUDED, "399916.12", None),
    "3102": (S.TO_BE_INCLUDED, "378440.00", None),
}
# The press release of July 2024: the five confirmed entries and how many of the 312 chose each.
TOP_FIVE = [
    ("Ολοκληρωμένη υποδομή προστασίας από κυβερνοεπιθέσεις", 165),
    ("Κεντρική ενιαία πλατφόρμα διαχείρισης και συλλογής δεδομένων", 149),
    ("Οργάνωση γραφείου κίνησης και διαχείριση δημοτικού στόλου οχημάτων", 145),
    ("Έξυπνος οδηγός Πόλης / Δήμου με καταγραφή τοπικών επιχειρήσεων", 144),
    ("Σύστημα διαχείρισης ηλεκτρονικών πληρωμών", 135),
]
SETTINGS = {
    "DEBUG": True,
    "DEMO_PASSWORD": "demo-pass-for-tests",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}

# What the test extension saw: (planned moment, the clock's time, the application's status then).
SEEN = []


def _seen(sim, step):
    SEEN.append((step.at, timezone.now(), sim.applications[step.application].status))


def after_withdrawals(plan, rng):
    """A test extension: a step an hour after each withdrawal."""
    return [
        Step(app.steps[-1].at + timedelta(hours=1), app.code, "test_look", run=_seen)
        for app in plan.applications
        if app.status == S.WITHDRAWN
    ]


@pytest.fixture(scope="module")
def simulated(django_db_setup, django_db_blocker):
    """The printed summary of one run with the default seed (and the test extension)."""
    with django_db_blocker.unblock(), override_settings(**SETTINGS):
        atomic = transaction.atomic()
        atomic.__enter__()
        extensions.register(after_withdrawals)
        try:
            out = StringIO()
            call_command("simulate_programme", stdout=out)
            # The run's foreign keys are checked here, once, in the module's transaction. Left deferred,
            # every test's teardown (Django's TestCase checks constraints) would check all of them again
            # in its own savepoint, whose rollback marks them unchecked: a second or so per test.
            connection.check_constraints()
            yield out.getvalue()
        finally:
            extensions.EXTENSIONS.remove(after_withdrawals)
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def programme(simulated, db):
    return Programme.objects.get(code="SMART-CITIES")


def test_refused_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("simulate_programme")
    assert Municipality.objects.count() == 0
    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_312_applicants_all_submitted_within_the_call(programme):
    apps = Application.objects.filter(programme=programme).select_related("municipality")
    assert apps.count() == 312
    assert len({a.municipality_id for a in apps}) == 312
    assert all(a.municipality.is_eligible for a in apps)
    assert not apps.filter(status=S.DRAFT).exists()
    first_submission = {
        row["application"]: row["first"]
        for row in AuditEvent.objects.filter(application__programme=programme, action="workflow.submit")
        .values("application")
        .annotate(first=Min("created_at"))
    }
    assert len(first_submission) == 312  # every one was submitted at some point
    days = sorted(timezone.localtime(t).date() for t in first_submission.values())
    assert date(2023, 1, 24) <= days[0] and days[-1] <= date(2023, 12, 29)
    # Spread over the period, not bunched: every quarter of 2023 has submissions.
    assert {(d.month - 1) // 3 for d in days} == {0, 1, 2, 3}
    # submitted_at is the last submission's simulated time, never the time the test ran.
    assert all(date(2023, 1, 24) <= timezone.localtime(a.submitted_at).date() <= END for a in apps)


def test_selections_about_ten_within_the_rules_and_the_caps(programme):
    apps = list(
        Application.objects.filter(programme=programme)
        .select_related("municipality")
        .annotate(n=Count("selections"), total=Sum("selections__amount"))
    )
    assert 9.5 <= sum(a.n for a in apps) / len(apps) <= 10.5
    assert all(programme.min_projects <= a.n <= programme.max_projects for a in apps)
    for app in apps:
        assert app.total <= programme.cap_for(app.municipality), app.municipality.name
    assert not Selection.objects.filter(application__programme=programme, amount__lte=0).exists()
    assert not Selection.objects.filter(application__programme=programme, justification="").exists()
    # Some applications ask for exactly their cap, as several published ones do.
    assert any(a.total == programme.cap_for(a.municipality) for a in apps)


def test_popularity_is_the_press_release(programme):
    applicants, listed, _amount = PopularityReport().projects(Application.objects.filter(programme=programme))
    assert applicants == 312
    top = [(p.title_el, n) for p, n, _share, _total in listed[:5]]
    for (title, n), (want_title, want_n) in zip(top, TOP_FIVE, strict=True):
        assert title.startswith(want_title) and n == want_n
    assert all(p.official for p, *_ in listed[:5])
    assert listed[5][1] < 135


def test_the_published_sample_exactly(programme):
    apps = Application.objects.filter(programme=programme, municipality__elstat_code__in=PUBLISHED)
    assert apps.count() == 10
    for app in apps.select_related("municipality"):
        status, budget, inclusion_date = PUBLISHED[app.municipality.elstat_code]
        assert (app.status, app.budget, app.inclusion_date) == (status, Decimal(budget), inclusion_date)
        assert app.selections.aggregate(s=Sum("amount"))["s"] == Decimal(budget)


def test_the_workflow_as_of_july_2024(programme):
    apps = Application.objects.filter(programme=programme)
    by_status = dict(apps.values_list("status").annotate(n=Count("pk")))
    assert by_status[S.INCLUDED] + by_status[S.TO_BE_INCLUDED] == 52
    for status in (S.UNDER_REVIEW, S.SUBMITTED, S.RETURNED, S.REJECTED, S.WITHDRAWN):
        assert by_status[status] > 0, status
    assert by_status[S.REJECTED] <= 10 and by_status[S.WITHDRAWN] <= 10
    included = apps.filter(status=S.INCLUDED)
    assert included.count() >= 40
    for app in included:
        assert ADA_RE.match(app.decision_ada) and len(app.decision_ada) == 14
        assert re.fullmatch(r"\d{7}", app.mis_code)
        assert app.inclusion_date <= END and app.end_date > app.inclusion_date
    assert len(set(included.values_list("decision_ada", flat=True))) == included.count()
    assert len(set(included.values_list("mis_code", flat=True))) == included.count()
    # Returned and submitted again: some applications were submitted more than once.
    resubmitted = (
        AuditEvent.objects.filter(application__programme=programme, action="workflow.submit")
        .values("application")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert resubmitted.count() >= 20
    # Nothing happens after the end of July 2024.
    last = AuditEvent.objects.filter(application__programme=programme).order_by("-created_at").first()
    assert timezone.localtime(last.created_at).date() <= END


def test_four_eyes_and_realistic_actors(programme):
    for app in Application.objects.filter(programme=programme, status=S.INCLUDED):
        events = {e.action: e for e in app.audit_events.filter(action__startswith="workflow.")}
        proposer, includer = events["workflow.propose_inclusion"].actor, events["workflow.include"].actor
        assert proposer != includer and app.proposed_by == proposer
        assert roles.is_officer(proposer) and roles.is_approver(includer)
        assert includer.get_full_name()  # a person, not «approver»
        assert events["workflow.include"].created_at.date() <= app.inclusion_date
    # The municipality's own account adds its selections and submits; officers review.
    first = Application.objects.filter(programme=programme).first()
    adds = first.audit_events.filter(action="selection.add")
    assert {roles.municipality_of(e.actor) for e in adds} == {first.municipality}
    names = set(
        AuditEvent.objects.filter(action="workflow.start_review").values_list("actor_name", flat=True)
    )
    assert len(names) >= 5 and all("(" in n for n in names)  # «Μαρία Παπαδάκη (m.papadaki)»


def test_history_replays_and_the_chain_holds(programme):
    for app in Application.objects.filter(programme=programme):
        assert replay(app) == {"status": app.status, "budget": app.budget}, app.pk
    checked, broken, _last = audit.verify_chain()
    assert broken is None and checked == AuditEvent.objects.count()
    # Steps run in time order across applications: the trail's id order is its time order.
    times = list(AuditEvent.objects.order_by("id").values_list("created_at", flat=True))
    assert times == sorted(times)
    assert (
        timezone.localtime(times[0]).date() < date(2023, 1, 24)
        and timezone.localtime(times[-1]).date() <= END
    )


def test_extensions_run_at_their_moment(programme):
    assert len(SEEN) == Application.objects.filter(programme=programme, status=S.WITHDRAWN).count()
    for planned, clock, status in SEEN:
        assert clock == planned and status == S.WITHDRAWN


def test_summary_printed(simulated):
    assert "Applications: 312 from 312 municipalities" in simulated
    assert re.search(r"included\s+\S+\s+\d+", simulated)
    assert "Included budget:" in simulated and " €" in simulated
    for _title, n in TOP_FIVE:
        assert f" {n}  " in simulated
    assert "demo-pass-for-tests" in simulated and "i.michailidou" in simulated
    assert re.search(r"Review: [\d.]+ documents, \d+ checklist answers, \d+ returns", simulated)
    assert re.search(r"Delivery: \d+ contracts on \d+ operations .*\d+ payments authorised", simulated)


def test_the_same_seed_gives_the_same_programme(programme):
    """The plan is drawn before anything is written and the run only carries it out: the same seed
    gives the same plan, and the database holds exactly what the plan says."""
    registry = read_registry(programme)
    plan = make_plan(registry, SEED)
    assert plan == make_plan(registry, SEED)
    assert plan != make_plan(registry, SEED + 1)
    stored = {
        a.municipality.elstat_code: a
        for a in Application.objects.filter(programme=programme).select_related("municipality")
    }
    for item in plan.applications:
        app = stored[item.code]
        assert (app.status, app.budget, app.inclusion_date) == (item.status, item.budget, item.inclusion_date)
        assert app.decision_ada == item.ada and app.mis_code == item.mis_code
        chosen = dict(app.selections.values_list("project__code", "amount"))
        assert chosen == dict(zip(item.projects, item.amounts, strict=True))


def test_refused_on_a_second_run(programme):
    before = (AuditEvent.objects.count(), User.objects.count(), Selection.objects.count())
    with override_settings(**SETTINGS), pytest.raises(CommandError, match="already has 312 applications"):
        call_command("simulate_programme", "--seed", "7")
    assert (AuditEvent.objects.count(), User.objects.count(), Selection.objects.count()) == before
    # make simulate's second run: nothing done, and no failure.
    out = StringIO()
    with override_settings(**SETTINGS):
        call_command("simulate_programme", "--skip-existing", stdout=out)
    assert "nothing simulated" in out.getvalue()
    assert (AuditEvent.objects.count(), User.objects.count(), Selection.objects.count()) == before


def test_dates_are_datetimes_in_athens(programme):
    app = Application.objects.filter(programme=programme, status=S.INCLUDED).first()
    include = app.audit_events.get(action="workflow.include")
    assert isinstance(include.created_at, datetime)
    assert 8 <= timezone.localtime(include.created_at).hour <= 16


def test_dashboard_and_popularity_tell_the_press_release(programme, client):
    client.force_login(User.objects.get(username="auditor"))
    dashboard = client.get("/reports/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "από 312 αιτούντες" in dashboard
    popularity = client.get("/reports/popularity/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert re.search(r"Αιτούντες στα επιλεγμένα κριτήρια\D*312", popularity)
    # The dashboard's chart wraps long titles at words; its table beside the chart holds them whole.
    dashboard_table = dashboard[dashboard.index('<th scope="row">', dashboard.index("από 312 αιτούντες")) :]
    # The report's filters name every catalogue entry in a select; the ranking is the table's.
    popularity_table = popularity[popularity.index("<tbody") :]
    for text in (dashboard_table, popularity_table):
        positions = [text.index(title[:30]) for title, _n in TOP_FIVE]
        assert positions == sorted(positions)  # ranked as the press release ranks them
        for _title, n in TOP_FIVE:
            assert f">{n}" in text or f"{n} (" in text


# --- what issues 13 and 14 added: documents, checklist, thread; contracts, declarations, payments ---


def test_submitted_with_the_required_documents_by_the_municipality(programme):
    apps = Application.objects.filter(programme=programme).select_related("municipality")
    missing = documents.missing_documents_of(apps)
    assert all(not m for m in missing.values())
    required = [k for k in documents.document_types_of(programme) if k.required]
    assert required and Document.objects.filter(application__programme=programme).count() >= 312 * len(
        required
    )
    for document in Document.objects.filter(application__programme=programme).select_related("application")[
        :50
    ]:
        assert roles.municipality_of(document.uploaded_by) == document.application.municipality
        assert document.format == "pdf"


def test_the_checklist_answered_before_every_proposal_and_rejection(programme):
    proposed = Application.objects.filter(programme=programme, proposed_by__isnull=False)
    assert proposed.count() == 52
    for app in proposed:
        answers = ChecklistAnswer.objects.filter(application=app, review_round=app.review_round)
        assert answers.count() == len(checklist.criteria_of(programme.pk))
        assert not answers.filter(answer="no").exists()
        proposal = app.audit_events.get(action="workflow.propose_inclusion")
        assert all(a.answered_at < proposal.created_at and roles.is_officer(a.answered_by) for a in answers)
    for app in Application.objects.filter(programme=programme, status=S.REJECTED):
        refused = ChecklistAnswer.objects.get(application=app, answer="no")
        assert refused.comment in app.audit_events.get(action="workflow.reject").note


def test_returns_ask_for_items_and_the_municipality_answers_before_resubmitting(programme):
    returns = Message.objects.filter(application__programme=programme, kind="return")
    assert (
        returns.count()
        == AuditEvent.objects.filter(application__programme=programme, action="workflow.return").count()
    )
    assert all(m.requested_items and m.response_due and m.side == "authority" for m in returns)
    for app in Application.objects.filter(messages__kind="return").distinct():
        submits = list(app.audit_events.filter(action="workflow.submit").order_by("id"))
        if len(submits) < 2:
            continue
        returned = app.messages.filter(kind="return").order_by("id").first()
        reply = app.messages.filter(side="municipality").order_by("id").first()
        assert returned.created_at < reply.created_at < submits[-1].created_at
        assert roles.municipality_of(reply.author) == app.municipality


def test_delivery_after_inclusion_through_the_services(programme):
    included = Application.objects.filter(programme=programme, status=S.INCLUDED)
    contracts = Contract.objects.filter(application__programme=programme).select_related("application")
    assert contracts.count() >= 10 and set(contracts.values_list("application__status", flat=True)) == {
        S.INCLUDED
    }
    for contract in contracts:
        assert contract.application.inclusion_date < contract.signed_on <= END
        assert roles.municipality_of(contract.created_by) == contract.application.municipality
    lines = ExpenditureDeclaration.objects.filter(application__programme=programme)
    assert lines.filter(state="verified").exists() and lines.filter(state="submitted").exists()
    assert all(roles.is_officer(d.verified_by) for d in lines.filter(state="verified"))
    paid = Payment.objects.filter(application__programme=programme)
    assert paid.filter(state="authorised").exists() and paid.filter(state="prepared").exists()
    for payment in paid.filter(state="authorised"):
        assert payment.authorised_by != payment.prepared_by and roles.is_approver(payment.authorised_by)
        assert payment.paid_on <= END
    # Stages differ: some operations have only started, some are paid, most have nothing yet.
    with_contracts = set(contracts.values_list("application", flat=True))
    assert 0 < len(with_contracts) < included.count()
    assert (
        ProjectProgress.objects.filter(application__programme=programme).values("stage").distinct().count()
        >= 3
    )
    # Nothing is paid beyond what was verified.
    for app in included:
        verified = lines.filter(application=app, state="verified").aggregate(s=Sum("accepted_amount"))["s"]
        assert (paid.filter(application=app).aggregate(s=Sum("amount"))["s"] or 0) <= (verified or 0)
