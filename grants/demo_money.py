"""The demo's money chain (issue 14): the included operations with selections get contracts,
declared invoices, verifications and payments at different stages, every row through
grants.delivery's services with the actor a real user would be (the municipality enters, an officer
verifies and prepares, the approver authorises). Drawn from the demo's fixed seed, so a run is
repeatable; called only for operations the demo has just created, so a second run adds nothing."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from grants.delivery import contracts, declarations, payments
from grants.models import Channel, ProcurementProcedure

CONTRACTORS = [
    "ΨΗΦΙΑΚΕΣ ΥΠΟΔΟΜΕΣ Α.Ε.",
    "ΕΞΥΠΝΕΣ ΛΥΣΕΙΣ ΠΟΛΗΣ Ο.Ε.",
    "ΤΕΧΝΟΛΟΓΙΕΣ ΔΙΚΤΥΩΝ ΑΙΓΑΙΟΥ Α.Ε.",
    "ΓΕΩΠΛΗΡΟΦΟΡΙΚΗ ΠΕΛΟΠΟΝΝΗΣΟΥ Ι.Κ.Ε.",
    "ΣΥΣΤΗΜΑΤΑ ΑΣΤΙΚΗΣ ΚΙΝΗΤΙΚΟΤΗΤΑΣ Α.Ε.",
]
CENT = Decimal("0.01")


def demo_afm(rng: random.Random) -> str:
    """Nine digits whose last is the check digit (grants.delivery.afm's rule)."""
    head = f"{rng.randint(1, 99_999_999):08d}"
    digit = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(head)) % 11 % 10
    return head + str(digit)


def _part(amount: Decimal, share: int) -> Decimal:
    return (amount * share / 100).quantize(CENT)


def build_money(app, *, clerk, officer, approver, stage: int, rng: random.Random):
    """Money rows for the included operation `app`, as far as `stage` (0 none … 4 paid):
    1 contracts (some checked), 2 declared invoices, 3 verified (one cut, one rejected) and a payment
    prepared, 4 that payment authorised. The last selection keeps no contract, for the clerk to enter."""
    if stage <= 0:
        return
    today = timezone.localdate()
    start = max(app.inclusion_date or date(2024, 1, 1), date(2023, 1, 1)) + timedelta(days=40)
    selections = list(app.selections.select_related("project").order_by("project__code"))[:-1][:3]
    lines = []
    for i, selection in enumerate(selections):
        signed = min(start + timedelta(days=30 * i + rng.randint(0, 20)), today - timedelta(days=60))
        contract = contracts.contract_create(
            application=app,
            project=selection.project,
            contractor_name=rng.choice(CONTRACTORS),
            contractor_afm=demo_afm(rng),
            amount=_part(selection.amount, rng.randint(80, 98)),
            signed_on=signed,
            adam=f"{signed:%y}SYMV{rng.randint(10_000_000, 999_999_999):09d}",
            procedure=rng.choice([ProcurementProcedure.OPEN, ProcurementProcedure.SMALL_VALUE]),
            actor=clerk,
            channel=Channel.COMMAND,
        )
        if i % 2 == 0:
            contracts.contract_act(contract=contract, action="check", actor=officer, channel=Channel.COMMAND)
        if stage >= 2:
            for j, share in enumerate((40, 30)):
                lines.append(
                    declarations.declaration_create(
                        application=app,
                        contract=contract,
                        invoice_number=f"ΤΠΥ-{contract.pk}-{j + 1}",
                        invoice_date=min(signed + timedelta(days=45 * (j + 1)), today),
                        amount=_part(contract.amount, share),
                        actor=clerk,
                        channel=Channel.COMMAND,
                    )
                )
    if stage < 3:
        return
    for k, line in enumerate(lines[:-1]):
        if k == 1:
            declarations.declaration_act(
                declaration=line,
                action="verify",
                actor=officer,
                accepted_amount=(line.amount * Decimal("0.9")).quantize(CENT),
                note="Μη επιλέξιμο τμήμα του ΦΠΑ (demo)",
                channel=Channel.COMMAND,
            )
        elif k == 2:
            declarations.declaration_act(
                declaration=line,
                action="reject",
                actor=officer,
                note="Το τιμολόγιο δεν αντιστοιχεί σε παραδοτέο της σύμβασης (demo)",
                channel=Channel.COMMAND,
            )
        else:
            declarations.declaration_act(
                declaration=line,
                action="verify",
                actor=officer,
                accepted_amount=line.amount,
                channel=Channel.COMMAND,
            )
    payable = payments.payable(app.pk)
    if payable <= 0:
        return
    first = payments.payment_prepare(
        application=app,
        amount=(payable * Decimal("0.6")).quantize(CENT),
        reference=f"ΕΝΤ-{app.pk:04d}-1",
        actor=officer,
        channel=Channel.COMMAND,
    )
    if stage >= 4:
        payments.payment_act(
            payment=first, action="authorise", actor=approver, paid_on=today, channel=Channel.COMMAND
        )
        rest = payments.payable(app.pk)
        if rest > 0:
            payments.payment_prepare(
                application=app,
                amount=rest,
                reference=f"ΕΝΤ-{app.pk:04d}-2",
                actor=officer,
                channel=Channel.COMMAND,
            )


def build_indicators(app, *, clerk, officer, rng: random.Random, reported: bool):
    """The call's two ERDF indicators for the included operation `app`: the officer's targets, and,
    when `reported`, the municipality's achieved values with their evidence."""
    from grants.delivery import indicators

    users = rng.randint(2, 40) * 500
    indicators.indicator_target_set(
        application=app, code="RCO14", target=1, actor=officer, channel=Channel.COMMAND
    )
    indicators.indicator_target_set(
        application=app, code="RCR11", target=users, actor=officer, channel=Channel.COMMAND
    )
    if not reported:
        return
    measured = timezone.localdate() - timedelta(days=rng.randint(10, 60))
    indicators.indicator_report(
        application=app,
        code="RCO14",
        achieved=1,
        measured_on=measured,
        evidence="Βεβαίωση παραλαβής των ψηφιακών υπηρεσιών (demo)",
        actor=clerk,
        channel=Channel.COMMAND,
    )
    indicators.indicator_report(
        application=app,
        code="RCR11",
        achieved=int(users * rng.randint(40, 90) / 100),
        measured_on=measured,
        evidence="Στατιστικά χρήσης της πλατφόρμας του δήμου (demo)",
        actor=clerk,
        channel=Channel.COMMAND,
    )


def build_completed(app, *, clerk, officer, approver, rng: random.Random, ada: str):
    """An included operation carried to «Ολοκληρωμένη» as people would: every project procured,
    contracted, implemented and completed; one contract whose final invoice is verified and paid; the
    indicators reported; then the approver's `complete`."""
    from grants.delivery import progress
    from grants.workflow import transition

    today = timezone.localdate()
    start = (app.inclusion_date or date(2024, 1, 1)) + timedelta(days=30)
    selections = list(app.selections.select_related("project").order_by("project__code"))
    for selection in selections:
        day = start
        for stage in ("procurement", "contracted", "in_implementation", "completed"):
            day = min(day + timedelta(days=rng.randint(30, 90)), today)
            progress.progress_set(
                application=app,
                project=selection.project.code,
                stage=stage,
                date=day,
                actor=clerk,
                channel=Channel.COMMAND,
            )
    first = selections[0]
    signed = min(start + timedelta(days=60), today - timedelta(days=30))
    contract = contracts.contract_create(
        application=app,
        project=first.project,
        contractor_name=rng.choice(CONTRACTORS),
        contractor_afm=demo_afm(rng),
        amount=_part(first.amount, 95),
        signed_on=signed,
        adam=f"{signed:%y}SYMV{rng.randint(10_000_000, 999_999_999):09d}",
        procedure=ProcurementProcedure.OPEN,
        actor=clerk,
        channel=Channel.COMMAND,
    )
    line = declarations.declaration_create(
        application=app,
        contract=contract,
        invoice_number=f"ΤΠΥ-{contract.pk}-Τ",
        invoice_date=min(signed + timedelta(days=20), today),
        amount=contract.amount,
        is_final=True,
        actor=clerk,
        channel=Channel.COMMAND,
    )
    declarations.declaration_act(
        declaration=line, action="verify", actor=officer, accepted_amount=line.amount, channel=Channel.COMMAND
    )
    payment = payments.payment_prepare(
        application=app,
        amount=payments.payable(app.pk),
        reference=f"ΕΝΤ-{app.pk:04d}-Τ",
        actor=officer,
        channel=Channel.COMMAND,
    )
    payments.payment_act(
        payment=payment, action="authorise", actor=approver, paid_on=today, channel=Channel.COMMAND
    )
    build_indicators(app, clerk=clerk, officer=officer, rng=rng, reported=True)
    transition(
        app,
        "complete",
        actor=approver,
        channel=Channel.COMMAND,
        decision_ada=ada,
        decision_date=today,
    )
