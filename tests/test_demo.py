"""load_demo: refused outside DEBUG; builds accounts, the published sample and every status; runs twice
without changing anything."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from grants import roles
from grants.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Contract,
    ExpenditureDeclaration,
    Municipality,
    Payment,
    Programme,
)
from projects.models import Selection

# The sample as published (grants/data/inclusions_published_sample.txt), keyed by ELSTAT code.
PUBLISHED = {
    "4607": ("included", "639338.00", date(2024, 7, 2)),  # ΜΕΤΑΜΟΡΦΩΣΕΩΣ ΝΟΜΟΥ ΑΤΤΙΚΗΣ
    "0803": ("included", "909749.92", date(2023, 7, 28)),  # ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ ΝΑΟΥΣΑΣ
    "4706": ("included", "1632760.08", date(2023, 5, 17)),  # ΠΕΤΡΟΥΠΟΛΕΩΣ ΝΟΜΟΥ ΑΤΤΙΚΗΣ
    "5301": ("included", "1609833.17", date(2024, 4, 18)),  # ΜΥΤΙΛΗΝΗΣ
    "4103": ("included", "229700.00", date(2024, 6, 6)),  # ΕΠΙΔΑΥΡΟΥ
    "4704": ("included", "1466028.00", date(2024, 7, 2)),  # ΑΙΓΑΛΕΩ ΝΟΜΟΥ ΑΤΤΙΚΗΣ
    "1301": ("included", "609771.68", date(2024, 4, 9)),  # ΠΟΛΥΓΥΡΟΥ
    "4609": ("included", "1235007.20", date(2024, 7, 18)),  # ΠΑΠΑΓΟΥ – ΧΟΛΑΡΓΟΥ
    # ΠΥΛΗΣ: «Προς ένταξη» in the list at this budget; the demo then includes it (grants.demo.PYLI).
    "2603": ("included", "399916.12", date(2024, 11, 15)),
    "3102": ("to_be_included", "378440.00", None),  # ΔΩΡΙΔΟΣ
}


@pytest.fixture
def demo_settings(settings, private_root):
    # The demo attaches the required documents: into the test's own private directory.
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-pass-for-tests"
    # The real hasher costs most of a second per account; the test is about the data, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def state():
    return {
        "applications": sorted(map(repr, Application.objects.values_list())),
        "selections": sorted(map(repr, Selection.objects.values_list())),
        "users": sorted(map(repr, User.objects.values_list("username", "password", "is_staff", "is_active"))),
        "audit": AuditEvent.objects.count(),
        "money": (Contract.objects.count(), ExpenditureDeclaration.objects.count(), Payment.objects.count()),
    }


def test_refused_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
    assert Municipality.objects.count() == 0
    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.slow
def test_demo_builds_everything_once(db, demo_settings):
    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    for username in ["officer", "approver", "auditor", "kalamata", "pyli"]:
        assert username in printed
    assert "demo-pass-for-tests" in printed and "/admin/" in printed

    # Accounts: roles by group, municipality accounts by relation, all with DEMO_PASSWORD.
    for username, check in [
        ("officer", roles.is_officer),
        ("approver", roles.is_approver),
        ("auditor", roles.is_auditor),
    ]:
        user = User.objects.get(username=username)
        assert user.is_staff and not user.is_superuser and check(user)
        assert user.check_password("demo-pass-for-tests")
    assert not User.objects.filter(is_superuser=True).exists()
    for username, name in [("kalamata", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"), ("pyli", "ΔΗΜΟΣ ΠΥΛΗΣ")]:
        user = User.objects.get(username=username)
        assert user.check_password("demo-pass-for-tests") and not user.is_staff
        assert roles.municipality_of(user).name == name
        assert list(user.groups.values_list("name", flat=True)) == [roles.MUNICIPALITIES]

    apps = Application.objects.select_related("municipality", "programme")
    assert set(apps.values_list("status", flat=True)) == set(ApplicationStatus.values)
    assert apps.filter(is_demo=True).count() >= 24

    # The published sample, exactly as published.
    published = {a.municipality.elstat_code: a for a in apps.filter(municipality__elstat_code__in=PUBLISHED)}
    assert {
        code: (a.status, f"{a.budget:.2f}", a.inclusion_date) for code, a in published.items()
    } == PUBLISHED
    assert not any(a.is_demo for a in published.values())

    # A demo account owns an included operation with selections and money at every stage (issue 14).
    pyli = apps.get(municipality__elstat_code="2603")
    assert pyli.selections.count() == 5 and pyli.contracts.exists()
    states = set(pyli.declarations.values_list("state", flat=True))
    assert states == {"submitted", "verified", "rejected"}
    assert set(pyli.payments.values_list("state", flat=True)) == {"authorised", "prepared"}
    assert Contract.objects.filter(application__is_demo=True).exists()
    assert Payment.objects.filter(application__is_demo=True, state="authorised").exists()
    assert not Contract.objects.exclude(application__status__in=["included", "completed"]).exists()
    # One operation carried through to «Ολοκληρωμένη», its indicators reported (issue 14).
    completed = apps.get(status=ApplicationStatus.COMPLETED)
    assert completed.declarations.filter(is_final=True, state="verified").exists()
    assert completed.indicator_values.filter(code="RCR11").exists()

    kalamata = apps.get(municipality__elstat_code="4401")
    assert kalamata.status == ApplicationStatus.DRAFT and kalamata.is_demo
    assert kalamata.selections.count() >= 3

    # Invented applications: 5–12 projects, their total is the budget until a decision, and within the cap.
    programme = Programme.objects.get(code="SMART-CITIES")
    invented = apps.filter(is_demo=True).annotate(n=Count("selections"), total=Sum("selections__amount"))
    for app in invented:
        assert 5 <= app.n <= 12, app
        assert Decimal("0") < app.total <= programme.cap_for(app.municipality), app
        if app.status not in (
            ApplicationStatus.INCLUDED,
            ApplicationStatus.DEINCLUDED,
            ApplicationStatus.COMPLETED,
        ):
            assert app.budget == app.total, app

    # Statuses came from the workflow: four eyes held, and the audit trail is the demo's history.
    for app in invented.filter(status=ApplicationStatus.INCLUDED):
        proposed = AuditEvent.objects.get(application=app, action="workflow.propose_inclusion")
        included = AuditEvent.objects.get(application=app, action="workflow.include")
        assert proposed.actor_id != included.actor_id
        assert app.decision_ada and app.inclusion_date
    assert not AuditEvent.objects.exclude(channel="command").exists()

    before = state()
    call_command("load_demo", stdout=StringIO())
    assert state() == before
