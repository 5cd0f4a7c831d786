"""Carrying out the plan (grants.simulation.plan) through the services people use.

Every selection goes through projects.services, every status change through grants.workflow's
transition(), every account through grants.services, each taken by the person who would take it (the
municipality's account, its case officer, an approver other than the proposer) on channel «command».

Dating history: each step runs with the clock moved to its planned moment (time-machine, a
well-kept library, moves what `timezone.now()` and `date.today()` read, for the step's duration
only). So every timestamp the product writes — the audit trail (hash-chained and append-only, which
no later rewrite could touch), submission times, creation times, a call's open or closed state — is
the simulated one, written once by the product's own code, and the steps run in time order across
applications, so the audit trail's id order is its time order. Nothing is rewritten afterwards.

All of it is one transaction: refused or failed, nothing is left."""

import csv
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from grants import audit, caps, checklist, roles, services
from grants.conversation import post_message
from grants.demo import MUNICIPALITY_ACCOUNTS, STAFF_ACCOUNTS, demo_pdf, read_published
from grants.demo import PUBLISHED_CODES as DEMO_PUBLISHED_CODES
from grants.documents import document_types_of, document_upload
from grants.models import (
    Application,
    CapOverride,
    Channel,
    ChecklistAnswer,
    Contract,
    DeclarationState,
    Document,
    DocumentScope,
    ExpenditureDeclaration,
    Message,
    MessageKind,
    MessageSide,
    Municipality,
    Payment,
    PaymentState,
    Programme,
    ProjectProgress,
)
from grants.models import ApplicationStatus as S
from grants.reference import PROGRAMME, load_reference_data
from grants.reference_files import CONFIRMED_FILE, GRANTS_DATA
from grants.reports.aggregates import PopularityReport
from grants.workflow import transition
from projects.models import CatalogueProject, Selection
from projects.services import selection_add, selection_update

from . import delivery, extensions, people  # noqa: F401 (delivery registers its extension)
from .plan import (
    END,
    TZ,
    PlanError,
    ProgrammePlan,
    PublishedOperation,
    Registry,
    make_plan,
)

CHANNEL = Channel.COMMAND
CALL_DATE = PROGRAMME["call_date"]
# The source that dates one published operation's submission (grants/data/README.md).
SUBMITTED_ON = {"2603": date(2023, 6, 13)}  # ΔΗΜΟΣ ΠΥΛΗΣ


@dataclass
class Report:
    seed: int
    applications: int = 0
    municipalities: int = 0
    selections: int = 0
    by_status: dict = field(default_factory=dict)
    included_budget: Decimal = Decimal("0")
    top: list = field(default_factory=list)  # (code, title, applicants)
    accounts: list = field(default_factory=list)  # (username, role)
    steps: int = 0
    # What issues 13 and 14 added: name → count or amount (see summarise()).
    records: dict = field(default_factory=dict)


def read_registry(programme: Programme) -> Registry:
    """The plain data the plan is drawn from: eligible municipalities with their caps, the active
    catalogue, the published counts of the confirmed entries and the published sample."""
    overrides = {o.municipality_id: o for o in CapOverride.objects.filter(programme=programme)}
    eligible = {
        m.elstat_code: (m.name, programme.cap_for(m, override=overrides.get(m.pk)))
        for m in Municipality.objects.order_by("elstat_code")
        if m.is_eligible
    }
    catalogue = tuple(
        CatalogueProject.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )
    by_title = dict(CatalogueProject.objects.values_list("title_el", "code"))
    confirmed = {}
    path = GRANTS_DATA / CONFIRMED_FILE
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            title = row["title_el"].strip()
            if title not in by_title:
                raise CommandError(f"{path}: «{title}» is not in the catalogue.")
            confirmed[by_title[title]] = int(row["municipalities_selecting_of_312"])
    published = tuple(
        PublishedOperation(
            code=DEMO_PUBLISHED_CODES[row.name],
            status=row.status,
            budget=row.budget,
            inclusion_date=row.inclusion_date,
            submitted_on=SUBMITTED_ON.get(DEMO_PUBLISHED_CODES[row.name]),
        )
        for row in read_published()
    )
    return Registry(
        eligible=eligible,
        catalogue=catalogue,
        confirmed=confirmed,
        published=published,
        required=tuple(code for _username, code in MUNICIPALITY_ACCOUNTS if code in eligible),
        min_projects=programme.min_projects,
        max_projects=programme.max_projects,
        opens=programme.opens_on or programme.call_date,
        closes=programme.closes_on or Registry.closes,
        call_closes=programme.closes_on,
    )


class Simulation:
    """The objects the steps act on, found once: the programme, municipalities, catalogue, accounts,
    applications and selections as they are created. Extensions' steps receive it."""

    def __init__(self, programme: Programme, plan: ProgrammePlan):
        self.programme = programme
        self.plan = plan
        self.by_code = {a.code: a for a in plan.applications}
        self.municipalities = {m.elstat_code: m for m in Municipality.objects.all()}
        self.catalogue = {p.code: p for p in CatalogueProject.objects.all()}
        self.users = {}
        self.municipality_users = {}
        self.applications = {}
        self.selections = {}
        self.accounts = []
        self.groups = {}
        # What extensions create and later steps act on (a contract, a declaration…), by their own keys.
        self.records = {}
        # The required documents, read once, and one small valid PDF stored for each of them.
        self.required_documents = [kind for kind in document_types_of(programme) if kind.required]
        self.document_content = demo_pdf()
        self.criteria = [c.code for c in checklist.criteria_of(programme.pk)]
        # The demo password is hashed once for every account that has it (PBKDF2 costs most of a second
        # on these machines, by design): it is printed for all to read, so a shared salt hides nothing.
        self.demo_password = make_password(settings.DEMO_PASSWORD)

    # --- accounts ---

    def user(
        self, username, *, groups, first_name="", last_name="", email="", is_staff=False, password=False
    ):
        """The account `username`, created (and recorded) when missing; `password`: with the demo's."""
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, first_name=first_name, last_name=last_name, email=email, is_staff=is_staff
            )
            if password:
                user.password = self.demo_password
            else:
                user.set_unusable_password()
            user.save()
            user.groups.add(*[self.group(name) for name in groups])
            services.account_edit_record(user=user, before=None, channel=CHANNEL)
            if password:
                services.account_password_set(user=user, channel=CHANNEL)
        self.users[username] = user
        return user

    def group(self, name):
        if name not in self.groups:
            self.groups[name] = Group.objects.get_or_create(name=name)[0]
        return self.groups[name]

    def staff_accounts(self):
        password = True
        for username, group in STAFF_ACCOUNTS:
            self.user(
                username, groups=[group], email=f"{username}@example.gr", is_staff=True, password=password
            )
            self.accounts.append((username, group))
        for person in people.TEAM:
            self.user(
                person.username,
                groups=person.groups,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                is_staff=True,
                password=password,
            )
            self.accounts.append((person.username, " + ".join(person.groups)))

    def municipality_user(self, code):
        """The applicant's account: the demo's (kalamata, pyli; with the demo password) or one made for
        the simulation, which nobody signs in with and which has no e-mail address (so no e-mail)."""
        if code in self.municipality_users:
            return self.municipality_users[code]
        demo = {c: u for u, c in MUNICIPALITY_ACCOUNTS}
        municipality = self.municipalities[code]
        if code in demo:
            user = self.user(demo[code], groups=[roles.MUNICIPALITIES], password=True)
            self.accounts.append((demo[code], municipality.name))
        else:
            user = self.user(f"dimos-{code}", groups=[roles.MUNICIPALITIES])
        services.municipality_account_set(user=user, municipality=municipality, channel=CHANNEL)
        self.municipality_users[code] = user
        return user

    # --- steps ---

    def actor(self, step):
        if step.actor == "municipality":
            return self.municipality_user(step.application)
        return self.users[step.actor]

    def take(self, step):
        if step.run is not None:
            step.run(self, step)
            return
        code = step.application
        actor = self.actor(step)
        if step.action == "create":
            self.applications[code], _created = services.application_get_or_create(
                programme=self.programme,
                municipality=self.municipalities[code],
                actor=actor,
                channel=CHANNEL,
                is_demo=True,
            )
        elif step.action == "select":
            fields = step.fields
            self.selections[(code, fields["project"])] = selection_add(
                application=self.applications[code],
                project=self.catalogue[fields["project"]],
                amount=fields["amount"],
                justification=fields["justification"],
                actor=actor,
                channel=CHANNEL,
            )
        elif step.action == "documents":
            self.attach_documents(self.applications[code], actor)
        elif step.action == "checklist":
            self.answer_checklist(self.applications[code], actor, refused=step.fields.get("refused"))
        elif step.action == "reply":
            post_message(application=self.applications[code], author=actor, body=step.note, channel=CHANNEL)
        elif step.action == "edit":
            fields = dict(step.fields)
            selection = self.selections[(code, fields.pop("project"))]
            self.selections[(code, selection.project.code)] = selection_update(
                selection=selection, actor=actor, channel=CHANNEL, **fields
            )
        else:
            transition(
                self.applications[code],
                step.action,
                actor=actor,
                note=step.note,
                channel=CHANNEL,
                **step.fields,
            )

    def attach_documents(self, app, actor):
        """Every required document of the call, uploaded by the municipality (the same small PDF:
        the simulation's files stand for documents, they are not read)."""
        projects = None
        for kind in self.required_documents:
            if kind.scope == DocumentScope.PROJECT:
                if projects is None:
                    projects = [s.project for s in app.selections.select_related("project")]
                targets = projects
            else:
                targets = [None]
            for project in targets:
                suffix = f"-{project.code}" if project else ""
                document_upload(
                    application=app,
                    document_type=kind,
                    file=ContentFile(self.document_content, name=f"{kind.code}{suffix}.pdf"),
                    project=project,
                    actor=actor,
                    channel=CHANNEL,
                )

    def answer_checklist(self, app, officer, *, refused=None):
        """The case officer's evaluation checklist for the current round: every criterion «Yes», or,
        before a rejection, the last one «No» with the reason (`refused`)."""
        answers = [{"criterion": code, "answer": "yes", "comment": ""} for code in self.criteria]
        if refused and answers:
            answers[-1] = {"criterion": self.criteria[-1], "answer": "no", "comment": refused}
        app.refresh_from_db()
        checklist.checklist_answer(application=app, answers=answers, actor=officer, channel=CHANNEL)


def _progress(total: int):
    """tqdm on a terminal when installed, else a plain bar; nothing when not on a terminal."""
    stream = sys.stderr
    if not stream.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(total, stream)
    return tqdm(total=total, unit="step", file=stream, desc="Simulating")


class _PlainBar:
    def __init__(self, total, stream):
        self.total, self.done, self.stream, self.shown = total, 0, stream, -1

    def update(self, n=1):
        self.done += n
        percent = self.done * 100 // max(self.total, 1)
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            self.stream.write(f"\rSimulating [{bar:<25}] {percent:3d}%")
            self.stream.flush()

    def close(self):
        self.stream.write("\n")


def _clock():
    try:
        import time_machine
    except ImportError:
        raise CommandError(
            "The simulation dates its history with time-machine: pip install -e '.[dev]'."
        ) from None
    return time_machine


def simulate_programme(seed: int | None = None, *, skip_existing: bool = False) -> Report | None:
    """Build the whole programme of July 2024 (grants.simulation.plan) on a database with no
    applications of the programme yet. Refused unless DEBUG is on, and refused, changing nothing,
    when the programme already has applications (or, with `skip_existing`, None and nothing done)."""
    from .plan import SEED

    seed = SEED if seed is None else seed
    if not settings.DEBUG:
        raise CommandError("The simulation is for local use only: it is refused unless DEBUG is on.")
    clock = _clock()
    programme = Programme.objects.filter(code=PROGRAMME["code"]).first()
    if programme is not None and programme.applications.exists():
        if skip_existing:
            return None
        raise CommandError(
            f"The programme {programme.code} already has {programme.applications.count()} applications: "
            "the simulation needs a programme without any (use a new database)."
        )
    with audit.all_or_nothing():
        # Reference data missing on a new database is loaded, and the accounts are made, a week before
        # the call.
        start = datetime.combine(CALL_DATE - timedelta(days=7), time(9), TZ)
        with clock.travel(start, tick=False):
            load_reference_data()
        programme = Programme.objects.get(code=PROGRAMME["code"])
        if programme.applications.exists():  # created meanwhile
            raise CommandError(f"The programme {programme.code} already has applications.")
        try:
            plan = make_plan(read_registry(programme), seed)
        except PlanError as exc:
            raise CommandError(str(exc)) from exc
        steps = plan.steps()
        for extension in extensions.EXTENSIONS:
            steps.extend(extension(plan, random.Random(f"{seed}:{extension.__name__}")))
        ordered = [s for _i, s in sorted(enumerate(steps), key=lambda pair: (pair[1].at, pair[0]))]
        if ordered and ordered[-1].at.date() > END:
            raise CommandError(f"A step is dated after {END}: {ordered[-1]}")

        sim = Simulation(programme, plan)
        with clock.travel(min(start + timedelta(minutes=1), ordered[0].at), tick=False):
            sim.staff_accounts()
        bar = _progress(len(ordered))
        try:
            for step in ordered:
                with clock.travel(step.at, tick=False):
                    sim.take(step)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        report = summarise(programme, seed)
        report.accounts = sim.accounts
        report.steps = len(ordered)
    return report


def summarise(programme: Programme, seed: int) -> Report:
    apps = Application.objects.filter(programme=programme)
    report = Report(seed=seed)
    report.applications = apps.count()
    report.municipalities = apps.values("municipality").distinct().count()
    report.selections = Selection.objects.filter(application__programme=programme).count()
    report.by_status = dict(apps.order_by().values_list("status").annotate(n=Count("pk")))
    report.included_budget = apps.aggregate(s=caps.committed_sum())["s"] or Decimal("0")
    _applicants, listed, _amount = PopularityReport().projects(apps)
    report.top = [(p.code, p.title_el, n) for p, n, _share, _total in listed[:5]]
    report.records = records_of(apps)
    return report


def records_of(apps) -> dict:
    """The documents, checklist answers and messages of `apps`, and their delivery: contracts,
    declarations, payments and project progress, counted (amounts summed) for the summary."""
    lines = ExpenditureDeclaration.objects.filter(application__in=apps)
    paid = Payment.objects.filter(application__in=apps)
    contracts = Contract.objects.filter(application__in=apps)
    messages = Message.objects.filter(application__in=apps)
    verified = lines.filter(state=DeclarationState.VERIFIED)
    authorised = paid.filter(state=PaymentState.AUTHORISED)
    return {
        "documents": Document.objects.filter(application__in=apps).count(),
        "checklist_answers": ChecklistAnswer.objects.filter(application__in=apps).count(),
        "returns": messages.filter(kind=MessageKind.RETURN).count(),
        "replies": messages.filter(side=MessageSide.MUNICIPALITY).count(),
        "contracts": contracts.count(),
        "contracted_operations": contracts.values("application").distinct().count(),
        "contracted": contracts.aggregate(s=Sum("amount"))["s"] or Decimal("0"),
        "declarations": lines.count(),
        "declared": lines.aggregate(s=Sum("amount"))["s"] or Decimal("0"),
        "verified_lines": verified.count(),
        "verified": verified.aggregate(s=Sum("accepted_amount"))["s"] or Decimal("0"),
        "payments_prepared": paid.filter(state=PaymentState.PREPARED).count(),
        "payments_authorised": authorised.count(),
        "paid": authorised.aggregate(s=Sum("amount"))["s"] or Decimal("0"),
        "progress": ProjectProgress.objects.filter(application__in=apps).count(),
    }


def status_lines(report: Report) -> list[tuple[str, str, int]]:
    return [(value, str(label), report.by_status.get(value, 0)) for value, label in S.choices]
