"""The cap rule on the real registry: the published ends of the range and an audited override."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from grants.models import AuditEvent, Municipality, Programme
from grants.services import cap_override_set


@pytest.fixture
def programme(db):
    call_command("load_reference_data", verbosity=0)
    return Programme.objects.get(code="SMART-CITIES")


@pytest.mark.parametrize(
    ("name", "cap"),
    [
        # 99,245 × 27.90 = 2,768,935.50 → the top of the published range
        ("ΔΗΜΟΣ ΠΑΥΛΟΥ ΜΕΛΑ", Decimal("2770000.00")),
        # 69,849 × 27.90 = 1,948,787.10
        ("ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", Decimal("1950000.00")),
        # 185 inhabitants: the floor, the bottom of the published range
        ("ΔΗΜΟΣ ΑΓΑΘΟΝΗΣΙΟΥ", Decimal("210000.00")),
    ],
)
def test_cap_rule_on_loaded_registry(programme, name, cap):
    result = programme.cap_for(Municipality.objects.get(name=name))
    assert isinstance(result, Decimal)
    assert result == cap


def test_override_wins_is_audited_and_clearing_returns_to_rule(programme, officer):
    kalamata = Municipality.objects.get(name="ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")

    cap_override_set(
        programme=programme,
        municipality=kalamata,
        amount=Decimal("2000000.00"),
        reason="Merged municipality: decision of the managing authority.",
        actor=officer,
    )
    assert programme.cap_for(kalamata) == Decimal("2000000.00")
    event = AuditEvent.objects.get(action="cap.override")
    assert event.actor == officer and event.municipality == kalamata
    assert event.before == {"rule_cap": "1950000.00"}
    assert event.after == {
        "amount": "2000000.00",
        "reason": "Merged municipality: decision of the managing authority.",
    }

    cap_override_set(
        programme=programme, municipality=kalamata, amount=None, reason="Decision revoked.", actor=officer
    )
    assert programme.cap_for(kalamata) == Decimal("1950000.00")
    cleared = AuditEvent.objects.get(action="cap.override_cleared")
    assert cleared.before["amount"] == "2000000.00" and cleared.after == {}
    assert cleared.note == "Decision revoked."


@pytest.mark.parametrize("census", [2011, 2021])
def test_the_database_expression_gives_cap_for_for_every_municipality(programme, officer, census):
    """Programme.cap_expression (the caps report's totals) is cap_for's rule, override included, for
    every municipality of the registry and another rate, step and floor."""
    Programme.objects.filter(pk=programme.pk).update(
        cap_census_year=census, cap_rate=Decimal("31.37"), cap_rounding_step=Decimal("3000.00")
    )
    programme.refresh_from_db()
    kalamata = Municipality.objects.get(name="ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")
    cap_override_set(
        programme=programme,
        municipality=kalamata,
        amount=Decimal("1234567.89"),
        reason="Απόφαση",
        actor=officer,
    )
    in_sql = dict(Municipality.objects.annotate(cap=programme.cap_expression()).values_list("pk", "cap"))
    in_python = {m.pk: programme.cap_for(m) for m in Municipality.objects.all()}
    assert len(in_python) == 332
    assert in_sql == in_python
    assert in_sql[kalamata.pk] == Decimal("1234567.89")
    # The rule alone in whole cents (the report's totals add these up).
    in_cents = dict(Municipality.objects.annotate(c=programme.cap_cents_expression()).values_list("pk", "c"))
    assert {pk: Decimal(c) / 100 for pk, c in in_cents.items()} == {
        m.pk: programme.cap_for(m, override=None) for m in Municipality.objects.all()
    }
    assert Programme(cap_rate=Decimal("27.905")).cap_cents_expression() is None
