"""The simulated programme, decided before anything is written: a pure function of the seed and of
plain data read from the registry (`Registry`). Which municipalities apply, which projects each
chooses and for how much, and every dated step of every application up to the end of July 2024.

What it holds exactly (grants/data: README of the reference data, the press release of July 2024):
312 applicants from 312 distinct eligible municipalities; the five confirmed catalogue entries chosen
by exactly their published counts (165, 149, 145, 144, 135) and every other entry by fewer; the ten
published operations with their status, budget (the sum of their selections, to the cent) and
inclusion date; 52 operations «Ενταγμένη» or «Προς ένταξη» by July 2024 («52 in July 2024»). The rest —
who, which projects, amounts, dates, returns, rejections, withdrawals — is drawn from the seed.

Nothing here touches the database, so the same seed gives the same plan, and grants.simulation.run
only carries it out."""

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from grants.models import ApplicationStatus as S

from . import people

SEED = 20240731
TZ = ZoneInfo("Europe/Athens")
# The simulated programme stands as the press release of July 2024 found it.
END = date(2024, 7, 31)
# The call's opening period when the programme does not say: from the call (24-01-2023) to the end of
# 2023. The real closing date was not found in any source (grants/data/README.md).
DEFAULT_CLOSE = date(2023, 12, 29)
APPLICANTS = 312
# How the 312 applications stand at the end of July 2024. 52 «Ενταγμένη» or «Προς ένταξη» as the press
# release of July 2024 announced; the split of the rest is invented, plausible for a slow evaluation.
FINAL_COUNTS = {
    S.INCLUDED: 42,
    S.TO_BE_INCLUDED: 10,
    S.UNDER_REVIEW: 167,
    S.SUBMITTED: 60,
    S.RETURNED: 24,
    S.REJECTED: 5,
    S.WITHDRAWN: 4,
}
# The order in which statuses are handed out to the applications sorted by how early they submitted
# (with noise): the earliest are the furthest along.
PROGRESS_ORDER = (
    S.INCLUDED,
    S.TO_BE_INCLUDED,
    S.REJECTED,
    S.UNDER_REVIEW,
    S.WITHDRAWN,
    S.RETURNED,
    S.SUBMITTED,
)
# Ministerial decisions of inclusion come in batches: the published sample's dates and invented ones.
PUBLISHED_BATCHES = (
    date(2023, 5, 17),
    date(2023, 7, 28),
    date(2024, 4, 9),
    date(2024, 4, 18),
    date(2024, 6, 6),
    date(2024, 7, 2),
    date(2024, 7, 18),
)
OTHER_BATCHES = (
    date(2023, 10, 19),
    date(2023, 12, 21),
    date(2024, 2, 15),
    date(2024, 5, 16),
    date(2024, 7, 25),
)
# From submission to inclusion: at least this long (evaluation in two stages).
MIN_TO_INCLUSION = timedelta(days=75)
# Share of applications that went through a return for corrections and were submitted again.
RETURN_LOOP_SHARE = 0.22
# Projects per application: about 10, as the press reported.
PROJECTS_MEAN, PROJECTS_SD, PROJECTS_LOW, PROJECTS_HIGH = 10, 2.3, 4, 17
_ADA_CHARS = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ0123456789"
HUNDRED = Decimal("100")


class PlanError(ValueError):
    """The registry cannot hold the simulated programme (too few eligible municipalities, a confirmed
    catalogue entry missing, a published budget over its cap)."""


@dataclass(frozen=True)
class PublishedOperation:
    code: str  # ELSTAT
    status: str
    budget: Decimal
    inclusion_date: date | None
    submitted_on: date | None = None  # when a source gives it


@dataclass(frozen=True)
class Registry:
    """What the plan needs from the database, as plain values."""

    eligible: dict  # ELSTAT code → (name, cap)
    catalogue: tuple  # active catalogue codes
    confirmed: dict  # catalogue code → published number of applicants who chose it
    published: tuple  # PublishedOperation
    required: tuple = ()  # ELSTAT codes that must apply (the demo's municipality accounts)
    min_projects: int = 1
    max_projects: int = 38
    opens: date = date(2023, 1, 24)
    closes: date = DEFAULT_CLOSE
    # The programme's own closing date, when it has one: after it only an officer may submit.
    call_closes: date | None = None


@dataclass
class Step:
    """One dated thing that happens. `action` is a workflow action or one of «create», «select»,
    «edit»; `actor` a username, or «municipality» for the applicant's own account. Extensions
    (grants.simulation.extensions) give their steps a `run(context, step)` instead."""

    at: datetime
    application: str | None  # ELSTAT code
    action: str
    actor: str = "municipality"
    fields: dict = field(default_factory=dict)
    note: str = ""
    run: object = field(default=None, compare=False, repr=False)

    def key(self) -> tuple:
        return (self.at, self.application or "", self.action)


@dataclass
class ApplicationPlan:
    code: str
    name: str
    cap: Decimal
    status: str
    submitted_on: date
    projects: list  # catalogue codes
    amounts: list  # Decimal, as finally submitted
    justifications: list
    case_officer: str
    returned_once: bool = False
    # A return answered: the amounts first submitted, and which selections the answer changed.
    first_amounts: list | None = None
    edited: int | None = None
    completed: int | None = None
    published: PublishedOperation | None = None
    inclusion_date: date | None = None
    ada: str = ""
    mis_code: str = ""
    steps: list = field(default_factory=list)

    @property
    def budget(self) -> Decimal:
        return sum(self.amounts, Decimal("0"))


@dataclass
class ProgrammePlan:
    seed: int
    applications: list  # ApplicationPlan, by ELSTAT code
    counts: dict  # catalogue code → applicants who chose it

    def steps(self) -> list:
        return [step for app in self.applications for step in app.steps]


# --- building the plan -----------------------------------------------------------------------------


def make_plan(registry: Registry, seed: int = SEED) -> ProgrammePlan:
    rng = random.Random(seed)
    codes = _applicants(registry, rng)
    statuses = _statuses(registry, codes, rng)
    projects = _projects(registry, codes, rng)
    apps = []
    used_ada, used_mis = set(), set()
    published = {p.code: p for p in registry.published}
    for code in codes:
        name, cap = registry.eligible[code]
        status, submitted_on = statuses[code]
        chosen = projects[code]
        pub = published.get(code)
        app = ApplicationPlan(
            code=code,
            name=name,
            cap=cap,
            status=status,
            submitted_on=submitted_on,
            projects=chosen,
            amounts=[],
            justifications=[_justification(rng) for _ in chosen],
            case_officer=rng.choice(people.OFFICERS),
            published=pub,
        )
        if pub and pub.budget > cap:
            raise PlanError(f"{name}: the published budget {pub.budget} is above the cap {cap}.")
        total = pub.budget if pub else _total(cap, rng)
        app.amounts = split(total, [rng.randint(2, 10) for _ in chosen])
        if status == S.INCLUDED:
            app.ada = _unique(used_ada, lambda: _ada(rng))
            app.mis_code = _unique(used_mis, lambda: str(rng.randint(6_000_000, 6_099_999)))
        _timeline(app, registry, rng)
        apps.append(app)
    counts = {}
    for app in apps:
        for code in app.projects:
            counts[code] = counts.get(code, 0) + 1
    return ProgrammePlan(seed=seed, applications=apps, counts=counts)


def _applicants(registry: Registry, rng) -> list[str]:
    """312 distinct eligible municipalities: the published ten and the demo's, then a seeded draw."""
    must = sorted({p.code for p in registry.published} | set(registry.required))
    missing = [c for c in must if c not in registry.eligible]
    if missing:
        raise PlanError(f"Not eligible or not in the registry: {', '.join(missing)}")
    others = sorted(c for c in registry.eligible if c not in must)
    if len(must) + len(others) < APPLICANTS:
        raise PlanError(
            f"{APPLICANTS} applicants need as many eligible municipalities; "
            f"there are {len(others) + len(must)}."
        )
    return sorted(must + rng.sample(others, APPLICANTS - len(must)))


def _working_time(day: date, rng) -> datetime:
    return datetime.combine(day, time(8, 30), TZ) + timedelta(minutes=rng.randint(0, 7 * 60))


def _submission_day(registry: Registry, rng, latest: date | None = None) -> date:
    """A day of the call's opening period; a third of the proposals come in its last two months."""
    opens, closes = registry.opens, min(registry.closes, latest or registry.closes)
    if closes < opens:
        raise PlanError(f"No submission day between {opens} and {closes}.")
    span = (closes - opens).days
    if rng.random() < 0.33 and span > 60:
        return closes - timedelta(days=rng.randint(0, 60))
    return opens + timedelta(days=rng.randint(0, span))


def _statuses(registry: Registry, codes: list[str], rng) -> dict:
    """ELSTAT code → (final status, day of first submission)."""
    out = {}
    for pub in registry.published:
        if pub.submitted_on:
            day = pub.submitted_on
        else:
            latest = pub.inclusion_date - MIN_TO_INCLUSION if pub.inclusion_date else None
            day = _submission_day(registry, rng, latest)
        out[pub.code] = (pub.status, day)
    remaining = dict(FINAL_COUNTS)
    for status, _day in out.values():
        remaining[status] -= 1
    if any(n < 0 for n in remaining.values()):
        raise PlanError("More published operations than the simulated statuses hold.")
    rest = [c for c in codes if c not in out]
    days = {c: _submission_day(registry, rng) for c in rest}
    by_day = sorted(rest, key=lambda c: (days[c], c))
    noise = len(rest) * 0.2
    score = {c: rank + rng.gauss(0, noise) for rank, c in enumerate(by_day)}
    ranked = sorted(by_day, key=lambda c: (score[c], c))
    handed = [status for status in PROGRESS_ORDER for _ in range(remaining[status])]
    for code, status in zip(ranked, handed, strict=True):
        out[code] = (status, days[code])
    return out


def _projects(registry: Registry, codes: list[str], rng) -> dict:
    """ELSTAT code → sorted catalogue codes, with each confirmed entry chosen by exactly its published
    number of applicants and every other entry by fewer than the least of them."""
    unknown = [c for c in registry.confirmed if c not in registry.catalogue]
    if unknown:
        raise PlanError(f"Confirmed catalogue entries not active in the catalogue: {', '.join(unknown)}")
    others = [c for c in registry.catalogue if c not in registry.confirmed]
    low = max(registry.min_projects, PROJECTS_LOW)
    high = min(registry.max_projects, PROJECTS_HIGH, len(registry.catalogue))
    ceiling = min(registry.confirmed.values()) - 1
    for _attempt in range(50):
        sizes = {c: min(high, max(low, round(rng.gauss(PROJECTS_MEAN, PROJECTS_SD)))) for c in codes}
        rest = sum(sizes.values()) - sum(registry.confirmed.values())
        counts = dict(registry.confirmed)
        counts.update(_spread(rest, others, ceiling, len(codes), rng))
        chosen = _realise(sizes, counts, rng)
        if chosen is not None:
            return chosen
    raise PlanError("Could not spread the projects over the applicants with the published counts.")


def _spread(total: int, keys: list[str], ceiling: int, applicants: int, rng) -> dict:
    """`total` choices over `keys`, unevenly (a few popular, a few rare), each between 1 and `ceiling`."""
    if not keys:
        return {}
    weights = [rng.uniform(0.3, 1.7) for _ in keys]
    raw = [total * w / sum(weights) for w in weights]
    counts = [max(1, min(ceiling, applicants, int(r))) for r in raw]
    # Hand out what rounding and the bounds left over (or took back) one at a time.
    order = sorted(range(len(keys)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    diff = total - sum(counts)
    step = 1 if diff > 0 else -1
    while diff:
        moved = False
        for i in order:
            if diff and 1 <= counts[i] + step <= min(ceiling, applicants):
                counts[i] += step
                diff -= step
                moved = True
        if not moved:
            raise PlanError("The catalogue is too small for the projects the applicants choose.")
    return dict(zip(keys, counts, strict=True))


def _realise(sizes: dict, counts: dict, rng) -> dict | None:
    """Give every applicant `sizes[code]` distinct projects so that each project is chosen `counts`
    times (Gale–Ryser: the most chosen project first, to the applicants with the most room left).
    None when the degrees cannot be met."""
    room = dict(sizes)
    tiebreak = {c: rng.random() for c in sizes}
    chosen = {c: [] for c in sizes}
    for project in sorted(counts, key=lambda p: (-counts[p], p)):
        takers = sorted((c for c in room if room[c] > 0), key=lambda c: (-room[c], tiebreak[c]))
        if len(takers) < counts[project]:
            return None
        for c in takers[: counts[project]]:
            chosen[c].append(project)
            room[c] -= 1
        for c in tiebreak:
            tiebreak[c] = rng.random()
    if any(room.values()):
        return None
    return {c: sorted(p) for c, p in chosen.items()}


def _total(cap: Decimal, rng) -> Decimal:
    """What a municipality asks for: a fifth exactly at the cap, the others 55–99 % of it."""
    if rng.random() < 0.2:
        return cap
    share = Decimal(rng.randint(55, 99)) / 100
    return (cap * share / HUNDRED).to_integral_value(rounding="ROUND_FLOOR") * HUNDRED


def split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """`total` in parts proportional to `weights`: whole hundreds of euros, the last part taking the
    remainder (cents included), so the parts sum to `total` exactly."""
    hundreds = int(total // HUNDRED)
    parts = [Decimal(hundreds * w // sum(weights)) * HUNDRED for w in weights[:-1]]
    parts.append(total - sum(parts, Decimal("0")))
    if min(parts) <= 0:
        raise PlanError(f"{total} cannot be split into {len(weights)} positive amounts.")
    return parts


def _justification(rng) -> str:
    return " ".join(rng.sample(people.JUSTIFICATIONS, 2))


def _ada(rng) -> str:
    return "".join(rng.choices(_ADA_CHARS, k=10)) + "-" + "".join(rng.choices(_ADA_CHARS, k=3))


def _unique(used: set, draw):
    value = draw()
    while value in used:
        value = draw()
    used.add(value)
    return value


# --- the timeline of one application --------------------------------------------------------------

# Typical days before each step (from the step before), drawn between half and one and a half times.
TYPICAL_DAYS = {
    "start_review": 30,
    "return": 25,
    "edit": 14,
    "submit": 1,
    "propose_inclusion": 90,
    "include": 30,
    "reject": 60,
    "withdraw": 45,
}


def _actions_after_submission(app: ApplicationPlan, rng) -> list[str]:
    status = app.status
    loop = (
        app.published is None
        and status in (S.INCLUDED, S.TO_BE_INCLUDED, S.UNDER_REVIEW, S.SUBMITTED, S.REJECTED)
        and rng.random() < RETURN_LOOP_SHARE
    )
    actions = ["start_review", "return", "edit", "submit"] if loop else []
    app.returned_once = loop
    if status == S.SUBMITTED:
        return actions
    if status == S.RETURNED:
        return (["start_review"] if rng.random() < 0.7 else []) + ["return"]
    if status == S.WITHDRAWN:
        return (["start_review"] if rng.random() < 0.5 else []) + ["withdraw"]
    actions.append("start_review")
    if status == S.REJECTED:
        return [*actions, "reject"]
    if status in (S.TO_BE_INCLUDED, S.INCLUDED):
        actions.append("propose_inclusion")
    if status == S.INCLUDED:
        actions.append("include")
    return actions


def _inclusion_day(app: ApplicationPlan, rng) -> date:
    if app.published and app.published.inclusion_date:
        return app.published.inclusion_date
    batches = sorted(PUBLISHED_BATCHES + OTHER_BATCHES)
    first = bisect.bisect_left(batches, app.submitted_on + MIN_TO_INCLUSION)
    possible = batches[first:]
    # Later batches were larger: weight by position.
    return rng.choices(possible, weights=range(1, len(possible) + 1))[0]


def _timeline(app: ApplicationPlan, registry: Registry, rng):
    """The dated steps of `app`: its draft and selections, the first submission, then the workflow to
    its final status, every step on a working day's hour and before the end of July 2024."""
    # The draft is opened a few days or weeks before the submission, never before the call.
    created = max(registry.opens, app.submitted_on - timedelta(days=rng.randint(3, 40)))
    start = _working_time(created, rng)
    steps = [Step(start, app.code, "create")]
    for i, (project, amount, text) in enumerate(
        zip(app.projects, app.amounts, app.justifications, strict=True)
    ):
        steps.append(
            Step(
                start + timedelta(minutes=3 * (i + 1)),
                app.code,
                "select",
                fields={"project": project, "amount": amount, "justification": text},
            )
        )
    # The documents the call requires, attached once the selections are in (the submission checks them).
    steps.append(Step(steps[-1].at + timedelta(minutes=2), app.code, "documents"))
    actions = _actions_after_submission(app, rng)
    if "edit" in actions:
        # After the selections above were planned with the amounts first submitted.
        _plan_correction(app, rng)
    days = _days(app, actions, rng)
    submit_at = _working_time(app.submitted_on, rng)
    steps.append(Step(max(submit_at, steps[-1].at + timedelta(minutes=5)), app.code, "submit"))
    for action, day in zip(actions, days, strict=True):
        at = max(_working_time(day, rng), steps[-1].at + timedelta(minutes=7))
        new = _step(app, action, at, rng)
        if action == "submit" and registry.call_closes and at.date() > registry.call_closes:
            new[0].actor = app.case_officer  # the call has closed: only an officer may submit
        steps.extend(new)
    app.steps = steps


def _days(app: ApplicationPlan, actions: list[str], rng) -> list[date]:
    """The days of `actions` after the first submission: drawn gaps, squeezed to end by the fixed day
    (an inclusion's decision, a proposal before July 2024) or by the end of July 2024."""
    if not actions:
        return []
    gaps = [TYPICAL_DAYS[a] * rng.uniform(0.5, 1.5) for a in actions]
    fixed = None
    if app.status == S.INCLUDED:
        app.inclusion_date = _inclusion_day(app, rng)
        fixed = app.inclusion_date
    elif app.published is not None:  # «Προς ένταξη» in the list of July 2024: proposed in the weeks before
        fixed = END - timedelta(days=rng.randint(12, 40))
    room = ((fixed or END) - app.submitted_on).days
    scale = 1 if fixed is None and sum(gaps) <= room else room / sum(gaps)
    days, elapsed = [], 0.0
    for gap in gaps:
        elapsed += gap * scale
        days.append(app.submitted_on + timedelta(days=int(elapsed)))
    if fixed is not None:
        days[-1] = fixed
    return days


def _plan_correction(app: ApplicationPlan, rng):
    """A return for corrections answered: one amount changed (within the cap), one justification
    completed. `amounts` become the corrected ones; `first_amounts` keep what was first submitted."""
    app.first_amounts = list(app.amounts)
    i = rng.randrange(len(app.amounts))
    delta = (app.amounts[i] * Decimal(rng.randint(2, 8)) / 100 / HUNDRED).to_integral_value() * HUNDRED
    up = app.budget + delta <= app.cap and rng.random() < 0.5
    new = app.amounts[i] + delta if up else app.amounts[i] - delta
    if new > 0 and delta > 0:
        app.amounts[i] = new
    app.edited = i
    j = rng.randrange(len(app.amounts))
    app.justifications[j] = f"{app.justifications[j]} {people.CORRECTION}"
    app.completed = j


def _step(app: ApplicationPlan, action: str, at: datetime, rng) -> list[Step]:
    officer = app.case_officer
    if action == "start_review":
        return [Step(at, app.code, action, officer)]
    if action == "return":
        note = rng.choice(people.RETURN_NOTES)
        # The items asked for follow from the note (no draw: the plan's figures stay those published).
        items = list(people.REQUESTED_ITEMS[note])
        return [Step(at, app.code, action, officer, fields={"requested_items": items}, note=note)]
    if action == "edit":
        out = [
            Step(
                at,
                app.code,
                "edit",
                fields={"project": app.projects[app.edited], "amount": app.amounts[app.edited]},
            )
        ]
        out.append(
            Step(
                at + timedelta(minutes=4),
                app.code,
                "edit",
                fields={
                    "project": app.projects[app.completed],
                    "justification": app.justifications[app.completed],
                },
            )
        )
        # The municipality answers the return in the thread before it submits again.
        out.append(Step(at + timedelta(minutes=6), app.code, "reply", note=people.REPLY_NOTE))
        return out
    if action == "submit":
        return [Step(at, app.code, action)]
    if action == "propose_inclusion":
        # The evaluation checklist answered, none «No», a few minutes before the proposal it allows.
        return [
            Step(at - timedelta(minutes=5), app.code, "checklist", officer),
            Step(at, app.code, action, officer, note=people.PROPOSE_NOTE),
        ]
    if action == "include":
        approver = rng.choice([a for a in people.APPROVERS if a != officer])
        fields = {
            "inclusion_date": app.inclusion_date,
            "decision_ada": app.ada,
            "mis_code": app.mis_code,
            # Operations of the action run for about three years from inclusion.
            "end_date": app.inclusion_date + timedelta(days=3 * 365),
        }
        return [Step(at, app.code, action, approver, fields=fields, note=people.INCLUDE_NOTE)]
    if action == "reject":
        who = officer if rng.random() < 0.7 else rng.choice([a for a in people.APPROVERS if a != officer])
        note = rng.choice(people.REJECT_NOTES)
        # The case officer's checklist says why: one criterion answered «No», with the reason.
        return [
            Step(at - timedelta(minutes=5), app.code, "checklist", officer, fields={"refused": note}),
            Step(at, app.code, action, who, note=note),
        ]
    if action == "withdraw":
        return [Step(at, app.code, action, note=rng.choice(people.WITHDRAW_NOTES))]
    raise ValueError(action)
