"""The included operations' delivery, joined to the simulation through its extension point: projects
put out to tender, contracts signed and entered by the municipality (most checked by the case
officer), paid invoices declared by the municipality and verified by the officer (a few cut, with the
reason), payments prepared by the officer and authorised by an approver who is not the preparer, and
each project's progress as it reaches a stage. Every row through grants.delivery's services, as the
person who would write it, on the day it happens after the inclusion; what falls after July 2024 does
not happen yet, so operations included early are further along than those included last."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from grants.delivery import contracts, declarations, payments, progress
from grants.demo_money import CONTRACTORS, demo_afm
from grants.models import ApplicationStatus as S
from grants.models import Channel, ProcurementProcedure, ProgressStage

from . import people
from .extensions import register
from .plan import END, TZ, Step

CHANNEL = Channel.COMMAND
CENT = Decimal("0.01")
# How many of an operation's projects are contracted within the simulated period (the first ones).
CONTRACTED_PROJECTS = 3
# The invoices declared on a contract: shares of its amount, in per cent.
INVOICE_SHARES = (40, 35)
CUT_NOTE = "Μη επιλέξιμο τμήμα της δαπάνης (ΦΠΑ ανακτήσιμος)· γίνεται δεκτό το 90% του τιμολογίου."
VERIFY_NOTE = ""


def _day(day: date) -> date:
    """The next working day from `day` (Saturday and Sunday move to Monday)."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def _at(day: date, rng, minutes: int = 0) -> datetime | None:
    """A moment of the working day `day`, or None when it falls after the simulated period."""
    day = _day(day)
    if day > END:
        return None
    return datetime.combine(day, time(9), TZ) + timedelta(minutes=rng.randint(0, 6 * 60) + minutes)


@register
def delivery(plan, rng):
    """The delivery steps of every operation the plan includes."""
    steps, adams = [], set()
    for app in plan.applications:
        if app.status == S.INCLUDED and app.inclusion_date is not None:
            steps.extend(_operation(app, rng, adams))
    return steps


def _operation(app, rng, adams: set) -> list[Step]:
    officer = app.case_officer
    approver = rng.choice([a for a in people.APPROVERS if a != officer])
    steps = []
    projects = app.projects[: min(CONTRACTED_PROJECTS, max(1, len(app.projects) - 1))]
    tender = app.inclusion_date + timedelta(days=rng.randint(10, 40))
    at = _at(tender, rng)
    if at is None:
        return steps
    for project in projects:
        steps.append(
            Step(
                at,
                app.code,
                "progress",
                fields={"project": project, "stage": ProgressStage.PROCUREMENT, "date": tender},
                run=_progress,
            )
        )
        at += timedelta(minutes=2)
    verified_days = []
    for i, project in enumerate(projects):
        signed = _day(app.inclusion_date + timedelta(days=rng.randint(50, 150) + 25 * i))
        entered = _at(signed + timedelta(days=rng.randint(1, 6)), rng)
        if entered is None:
            break
        adam = _unique_adam(signed, rng, adams)
        key = (app.code, project)
        steps.append(
            Step(
                entered,
                app.code,
                "contract",
                fields={
                    "key": key,
                    "project": project,
                    "share": rng.randint(80, 98),
                    "signed_on": signed,
                    "contractor_name": rng.choice(CONTRACTORS),
                    "contractor_afm": demo_afm(rng),
                    "adam": adam,
                    "procedure": rng.choice([ProcurementProcedure.OPEN, ProcurementProcedure.SMALL_VALUE]),
                },
                run=_contract,
            )
        )
        checked = _at(entered.date() + timedelta(days=rng.randint(3, 15)), rng)
        if checked is not None and rng.random() < 0.8:
            steps.append(Step(checked, app.code, "contract_check", officer, fields={"key": key}, run=_check))
        invoice = signed
        for j, share in enumerate(INVOICE_SHARES):
            invoice = _day(invoice + timedelta(days=rng.randint(35, 75)))
            declared = _at(invoice + timedelta(days=rng.randint(2, 10)), rng)
            if declared is None:
                break
            line = (*key, j)
            steps.append(
                Step(
                    declared,
                    app.code,
                    "declare",
                    fields={
                        "key": key,
                        "line": line,
                        "share": share,
                        "invoice_date": invoice,
                        "number": j + 1,
                    },
                    run=_declare,
                )
            )
            if j == 0:
                steps.append(
                    Step(
                        declared + timedelta(minutes=3),
                        app.code,
                        "progress",
                        fields={
                            "project": project,
                            "stage": ProgressStage.IN_IMPLEMENTATION,
                            "date": invoice,
                        },
                        run=_progress,
                    )
                )
            verified = _at(declared.date() + timedelta(days=rng.randint(7, 25)), rng)
            if verified is None:
                continue
            cut = rng.random() < 0.1
            steps.append(
                Step(verified, app.code, "verify", officer, fields={"line": line, "cut": cut}, run=_verify)
            )
            verified_days.append(verified)
    # A payment after the first verification and, when later ones follow, one after the last.
    rounds = sorted(set([min(verified_days), max(verified_days)])) if verified_days else []
    for n, after in enumerate(rounds, start=1):
        prepared = _at(after.date() + timedelta(days=rng.randint(3, 12)), rng)
        if prepared is None:
            break
        key = (app.code, "payment", n)
        steps.append(
            Step(prepared, app.code, "payment_prepare", officer, fields={"key": key, "n": n}, run=_prepare)
        )
        authorised = _at(prepared.date() + timedelta(days=rng.randint(2, 10)), rng)
        if authorised is not None:
            steps.append(
                Step(authorised, app.code, "payment_authorise", approver, fields={"key": key}, run=_authorise)
            )
    return steps


def _unique_adam(signed: date, rng, used: set) -> str:
    while True:
        adam = f"{signed:%y}SYMV{rng.randint(10_000_000, 999_999_999):09d}"
        if adam not in used:
            used.add(adam)
            return adam


# --- carrying the steps out (sim: grants.simulation.run.Simulation) --------------------------------


def _progress(sim, step):
    f = step.fields
    progress.progress_set(
        application=sim.applications[step.application],
        project=f["project"],
        stage=f["stage"],
        date=f["date"],
        actor=sim.actor(step),
        channel=CHANNEL,
    )


def _contract(sim, step):
    f = step.fields
    selection = sim.selections[(step.application, f["project"])]
    sim.records[f["key"]] = contracts.contract_create(
        application=sim.applications[step.application],
        project=selection.project,
        contractor_name=f["contractor_name"],
        contractor_afm=f["contractor_afm"],
        amount=(selection.amount * f["share"] / 100).quantize(CENT),
        signed_on=f["signed_on"],
        adam=f["adam"],
        procedure=f["procedure"],
        actor=sim.actor(step),
        channel=CHANNEL,
    )
    progress.progress_set(
        application=sim.applications[step.application],
        project=f["project"],
        stage=ProgressStage.CONTRACTED,
        date=f["signed_on"],
        actor=sim.actor(step),
        channel=CHANNEL,
    )


def _check(sim, step):
    contract = sim.records[step.fields["key"]]
    contracts.contract_act(contract=contract, action="check", actor=sim.actor(step), channel=CHANNEL)


def _declare(sim, step):
    f = step.fields
    contract = sim.records[f["key"]]
    sim.records[f["line"]] = declarations.declaration_create(
        application=sim.applications[step.application],
        contract=contract,
        invoice_number=f"ΤΠΥ-{contract.pk}-{f['number']}",
        invoice_date=f["invoice_date"],
        amount=(contract.amount * f["share"] / 100).quantize(CENT),
        actor=sim.actor(step),
        channel=CHANNEL,
    )


def _verify(sim, step):
    line = sim.records[step.fields["line"]]
    cut = step.fields["cut"]
    declarations.declaration_act(
        declaration=line,
        action="verify",
        actor=sim.actor(step),
        accepted_amount=(line.amount * Decimal("0.9")).quantize(CENT) if cut else line.amount,
        note=CUT_NOTE if cut else VERIFY_NOTE,
        channel=CHANNEL,
    )


def _prepare(sim, step):
    app = sim.applications[step.application]
    amount = payments.payable(app.pk)
    if amount <= 0:
        return
    sim.records[step.fields["key"]] = payments.payment_prepare(
        application=app,
        amount=amount,
        reference=f"ΠΛΗΡ-{app.mis_code or app.pk}-{step.fields['n']}",
        actor=sim.actor(step),
        channel=CHANNEL,
    )


def _authorise(sim, step):
    payment = sim.records.get(step.fields["key"])
    if payment is None:
        return
    payments.payment_act(
        payment=payment,
        action="authorise",
        actor=sim.actor(step),
        paid_on=step.at.date(),
        channel=CHANNEL,
    )
