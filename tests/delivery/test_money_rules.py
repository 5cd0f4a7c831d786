"""The money chain's rules, through the real services on PostgreSQL: ΑΦΜ and ΑΔΑΜ, sums that never
exceed their parents, four eyes on payments, who may do what, and the audit trail."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from grants.delivery import contracts, declarations, payments
from grants.delivery.afm import afm_is_valid, normalize_afm
from grants.delivery.contracts import normalize_adam
from grants.delivery.money_common import DeliveryError
from grants.models import AuditEvent, Contract, DeclarationState, Payment, PaymentState
from grants.workflow import transition

from .conftest import make_contract, make_declaration, valid_afm


def field_of(exc) -> str:
    return next(iter(exc.value.error_dict))


# --- ΑΦΜ -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("afm", ["094014201", "090000045", "094019245"])
def test_real_afms_pass(afm):
    assert afm_is_valid(afm)


@pytest.mark.parametrize(
    "afm", ["094014202", "090000046", "000000000", "12345678", "1234567890", "09401420A", "٠٩٤٠١٤٢٠١"]
)
def test_bad_afms_fail(afm):
    assert not afm_is_valid(afm)


def test_afm_check_digit_rule_on_every_prefix_sample():
    # The rule as stated: sum(d_i * 2^(8-i)) mod 11 mod 10 is the ninth digit; one other digit fails.
    for prefix in ("12345678", "80000000", "99999999", "00000001"):
        good = valid_afm(prefix)
        assert afm_is_valid(good)
        wrong = prefix + str((int(good[8]) + 1) % 10)
        assert not afm_is_valid(wrong)


def test_normalize_afm_drops_spaces_and_vat_prefix():
    assert normalize_afm(" EL 094 014 201 ") == "094014201"
    with pytest.raises(DeliveryError) as exc:
        normalize_afm("094014202")
    assert field_of(exc) == "contractor_afm"
    with pytest.raises(DeliveryError):
        normalize_afm("000000000")


# --- ΑΔΑΜ ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("24SYMV014588301", "24SYMV014588301"),
        ("24symv014588301", "24SYMV014588301"),
        (" 21REQ-008745213 ", "21REQ008745213"),
        ("22AWRD010930338", "22AWRD010930338"),
        ("23PROC012345678", "23PROC012345678"),
        ("23PAY012345678", "23PAY012345678"),
    ],
)
def test_adam_normalised(raw, stored):
    assert normalize_adam(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "SYMV014588301",
        "2024SYMV014588301",
        "24XYZ014588301",
        "24SYMV01458830",
        "24SYMV0145883011",
        "ΕΨΚ446ΜΤΛ6-ΡΞΥ",
    ],
)
def test_adam_refused(raw):
    with pytest.raises(DeliveryError) as exc:
        normalize_adam(raw)
    assert field_of(exc) == "adam"


# --- contracts -----------------------------------------------------------------------------------


def test_contract_recorded_and_audited(included_a, kalamata_user):
    contract = make_contract(included_a, kalamata_user, adam="24symv014588301", contractor_afm="EL094014201")
    assert (contract.adam, contract.contractor_afm, contract.project.code) == (
        "24SYMV014588301",
        "094014201",
        "T01",
    )
    event = AuditEvent.objects.get(action="contract.create")
    assert event.after["amount"] == "30000.00" and event.application_id == included_a.pk


def test_contracts_of_a_project_never_exceed_its_amount(included_a, kalamata_user):
    make_contract(included_a, kalamata_user, amount="50000.00")
    make_contract(included_a, kalamata_user, amount="10000.00")  # exactly the project's 60,000
    with pytest.raises(DeliveryError) as exc:
        make_contract(included_a, kalamata_user, amount="0.01")
    assert field_of(exc) == "amount"
    # The other project has its own room.
    make_contract(included_a, kalamata_user, project="T02", amount="40000.00")
    assert Contract.objects.count() == 3


def test_contract_refusals_name_the_field_and_change_nothing(included_a, kalamata_user, catalogue):
    cases = {
        "project": {"project": "T05"},
        "contractor_afm": {"contractor_afm": "123456789"},
        "adam": {"adam": "24SYMV1"},
        "signed_on": {"signed_on": datetime.date.today() + datetime.timedelta(days=2)},
        "procedure": {"procedure": "lottery"},
        "contractor_name": {"contractor_name": "  "},
    }
    for field, bad in cases.items():
        with pytest.raises(DeliveryError) as exc:
            make_contract(included_a, kalamata_user, **bad)
        assert field_of(exc) == field
    assert (
        not Contract.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="contract").exists()
    )


def test_adam_is_unique(included_a, kalamata_user):
    make_contract(included_a, kalamata_user, adam="24SYMV000000001", amount="100.00")
    with pytest.raises(DeliveryError) as exc:
        make_contract(included_a, kalamata_user, adam="24symv000000001", amount="100.00")
    assert field_of(exc) == "adam"


def test_only_the_own_municipality_enters_contracts_of_an_included_operation(
    included_a, pyli_user, officer, approver, auditor, programme, kalamata_user, catalogue
):
    for user in (pyli_user, officer, approver, auditor):
        with pytest.raises(DeliveryError) as exc:
            make_contract(included_a, user)
        assert not hasattr(exc.value, "error_dict")
    transition(included_a, "deinclude", actor=approver, note="Ανάκληση", decision_ada="ΡΒΠΕ7ΛΞ-Ν1Ζ")
    with pytest.raises(DeliveryError):
        make_contract(included_a, kalamata_user)


def test_contract_change_keeps_the_sums_and_takes_away_the_check(included_a, kalamata_user, officer):
    contract = make_contract(included_a, kalamata_user, amount="30000.00")
    contracts.contract_act(contract=contract, action="check", actor=officer)
    make_declaration(contract, kalamata_user, "20000.00")
    with pytest.raises(DeliveryError) as exc:
        contracts.contract_update(contract=contract, actor=kalamata_user, amount="19999.99")
    assert field_of(exc) == "amount"
    with pytest.raises(DeliveryError) as exc:
        contracts.contract_update(contract=contract, actor=kalamata_user, amount="60000.01")
    assert field_of(exc) == "amount"
    changed = contracts.contract_update(contract=contract, actor=kalamata_user, amount="25000.00")
    assert changed.amount == Decimal("25000.00") and changed.checked_by_id is None
    assert AuditEvent.objects.filter(action="contract.change").count() == 1


def test_check_is_an_officers_audited_action(included_a, kalamata_user, officer, approver):
    contract = make_contract(included_a, kalamata_user)
    with translation.override("en"):
        options = {o.name: o for o in contracts.contract_actions(contract, approver)}
    assert not options["check"].allowed and "officer" in options["check"].reason
    contracts.contract_act(contract=contract, action="check", actor=officer)
    contract.refresh_from_db()
    assert contract.checked_by == officer
    with pytest.raises(DeliveryError):
        contracts.contract_act(contract=contract, action="check", actor=officer)
    assert AuditEvent.objects.filter(action="contract.check").count() == 1


# --- declarations --------------------------------------------------------------------------------


def test_declared_never_exceeds_the_contract(included_a, kalamata_user, officer):
    contract = make_contract(included_a, kalamata_user, amount="30000.00")
    first = make_declaration(contract, kalamata_user, "20000.00")
    with pytest.raises(DeliveryError) as exc:
        make_declaration(contract, kalamata_user, "10000.01")
    assert field_of(exc) == "amount"
    # A rejected line frees its room.
    declarations.declaration_act(declaration=first, action="reject", actor=officer, note="Λάθος τιμολόγιο")
    make_declaration(contract, kalamata_user, "30000.00")


def test_declaration_refusals(included_a, kalamata_user, pyli_user, officer, included_b):
    contract = make_contract(included_a, kalamata_user)
    make_declaration(contract, kalamata_user, invoice_number="Α-1")
    with pytest.raises(DeliveryError) as exc:
        make_declaration(contract, kalamata_user, invoice_number="α-1")
    assert field_of(exc) == "invoice_number"
    with pytest.raises(DeliveryError) as exc:
        make_declaration(contract, kalamata_user, invoice_date=datetime.date(2025, 8, 31))
    assert field_of(exc) == "invoice_date"
    with pytest.raises(DeliveryError) as exc:
        make_declaration(contract, kalamata_user, documents="1,2")
    assert field_of(exc) == "documents"
    make_declaration(contract, kalamata_user, documents=[1, 2], amount="1.00")
    # Another operation's contract is not a contract of this one.
    with pytest.raises(DeliveryError) as exc:
        declarations.declaration_create(
            application=included_b,
            contract=contract,
            invoice_number="Χ",
            invoice_date="2025-10-01",
            amount="1",
            actor=pyli_user,
        )
    assert field_of(exc) == "contract"
    for user in (pyli_user, officer):
        with pytest.raises(DeliveryError) as exc:
            make_declaration(contract, user)
        assert not hasattr(exc.value, "error_dict")


def test_verify_with_a_cut_needs_a_note_and_stays_within_declared(
    included_a, kalamata_user, officer, approver
):
    contract = make_contract(included_a, kalamata_user)
    line = make_declaration(contract, kalamata_user, "10000.00")
    with pytest.raises(DeliveryError) as exc:
        declarations.declaration_act(
            declaration=line, action="verify", actor=officer, accepted_amount="9000.00"
        )
    assert field_of(exc) == "note"
    with pytest.raises(DeliveryError) as exc:
        declarations.declaration_act(
            declaration=line, action="verify", actor=officer, accepted_amount="10000.01"
        )
    assert field_of(exc) == "accepted_amount"
    with pytest.raises(DeliveryError) as exc:
        declarations.declaration_act(
            declaration=line, action="verify", actor=approver, accepted_amount="10000.00"
        )
    assert not hasattr(exc.value, "error_dict")
    with pytest.raises(DeliveryError) as exc:
        declarations.declaration_act(declaration=line, action="reject", actor=officer)
    assert field_of(exc) == "note"
    done = declarations.declaration_act(
        declaration=line, action="verify", actor=officer, accepted_amount="10000.00"
    )
    assert (done.state, done.accepted_amount, done.verified_by) == (
        DeclarationState.VERIFIED,
        Decimal("10000.00"),
        officer,
    )
    # Decided once.
    with pytest.raises(DeliveryError):
        declarations.declaration_act(declaration=line, action="reject", actor=officer, note="x")
    with pytest.raises(DeliveryError):
        declarations.declaration_update(declaration=line, actor=kalamata_user, amount="1.00")
    assert AuditEvent.objects.filter(action="declaration.verify").count() == 1


def test_declaration_actions_list_reasons(money_a, officer, kalamata_user):
    pending = {o.name: o for o in declarations.declaration_actions(money_a["pending"], officer)}
    assert pending["verify"].allowed and pending["reject"].allowed
    verified = {o.name: o for o in declarations.declaration_actions(money_a["verified"], officer)}
    assert not verified["verify"].allowed and verified["verify"].reason
    own = {o.name: o for o in declarations.declaration_actions(money_a["pending"], kalamata_user)}
    assert not own["verify"].allowed


# --- payments ------------------------------------------------------------------------------------


def test_paid_and_prepared_never_exceed_verified(money_a, officer, approver):
    # Verified 9,000; authorised 4,000 and prepared 2,000: 3,000 may still be prepared.
    application = money_a["application"]
    assert payments.payable(application.pk) == Decimal("3000.00")
    with pytest.raises(DeliveryError) as exc:
        payments.payment_prepare(application=application, amount="3000.01", reference="R", actor=officer)
    assert field_of(exc) == "amount"
    third = payments.payment_prepare(application=application, amount="3000.00", reference="R", actor=officer)
    payments.payment_act(payment=money_a["prepared"], action="cancel", actor=approver, note="Λάθος ποσό")
    assert payments.payable(application.pk) == Decimal("2000.00")
    payments.payment_act(payment=third, action="authorise", actor=approver, paid_on="2025-12-20")
    paid = Payment.objects.filter(application=application, state=PaymentState.AUTHORISED)
    assert sum(p.amount for p in paid) == Decimal("7000.00")


def test_authorise_rechecks_the_sum(money_a, officer, approver):
    # A prepared payment whose room was taken meanwhile (the row written past the service) is refused
    # at authorisation with a 409-style refusal, not a field error.
    application = money_a["application"]
    Payment.objects.create(
        application=application,
        amount=Decimal("3500.00"),
        reference="X",
        prepared_by=officer,
        state=PaymentState.AUTHORISED,
        authorised_by=approver,
        paid_on=datetime.date(2025, 12, 2),
    )
    with pytest.raises(DeliveryError) as exc:
        payments.payment_act(
            payment=money_a["prepared"], action="authorise", actor=approver, paid_on="2025-12-20"
        )
    assert not hasattr(exc.value, "error_dict")
    assert Payment.objects.get(pk=money_a["prepared"].pk).state == PaymentState.PREPARED


def test_four_eyes_on_authorisation(included_a, money_a, officer_approver, officer, approver):
    payment = payments.payment_prepare(
        application=included_a, amount="100.00", reference="Δ", actor=officer_approver
    )
    with translation.override("en"):
        options = {o.name: o for o in payments.payment_actions(payment, officer_approver)}
    assert not options["authorise"].allowed and "Four eyes" in options["authorise"].reason
    with pytest.raises(DeliveryError):
        payments.payment_act(
            payment=payment, action="authorise", actor=officer_approver, paid_on="2025-12-20"
        )
    with pytest.raises(DeliveryError):  # an officer is no approver
        payments.payment_act(payment=payment, action="authorise", actor=officer, paid_on="2025-12-20")
    with pytest.raises(DeliveryError) as exc:
        payments.payment_act(payment=payment, action="authorise", actor=approver)
    assert field_of(exc) == "paid_on"
    payments.payment_act(payment=payment, action="authorise", actor=approver, paid_on="2025-12-20")
    # The database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            authorised_by=officer_approver, prepared_by=officer_approver
        )


def test_only_officers_prepare(included_a, kalamata_user, approver, auditor):
    for user in (kalamata_user, approver, auditor):
        with pytest.raises(DeliveryError):
            payments.payment_prepare(application=included_a, amount="1.00", reference="R", actor=user)


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_preparations_do_not_overshoot(
    programme, kalamata, catalogue, officer, officer2, approver, kalamata_user
):
    from .conftest import included_application

    app = included_application(programme, kalamata, catalogue[:1], officer, approver)
    contract = make_contract(app, kalamata_user, amount="1000.00")
    line = make_declaration(contract, kalamata_user, "1000.00")
    declarations.declaration_act(declaration=line, action="verify", actor=officer, accepted_amount="1000.00")
    barrier, errors = threading.Barrier(2), []

    def prepare(user):
        try:
            barrier.wait()
            payments.payment_prepare(application=app, amount="600.00", reference=user.username, actor=user)
        except DeliveryError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=prepare, args=(u,)) for u in (officer, officer2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1
    assert Payment.objects.filter(application=app).count() == 1
