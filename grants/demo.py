"""Demo data (`manage.py load_demo`): the reference registry, the demo accounts, the ten operations of
the published sample and a few dozen invented applications in every status.

Every status change goes through grants.workflow.transition and every selection through
projects.services, so the demo's history in AuditEvent is the same shape as real use. The plan is drawn
from a fixed seed before anything is written, and an application that already exists is left alone, so
a second run changes nothing.
"""

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.utils.translation import gettext_lazy

from grants import audit, checklist, published, roles
from grants.demo_money import build_completed, build_indicators, build_money
from grants.documents import document_types_of, document_upload
from grants.models import Application, Channel, DocumentScope, Municipality, Programme
from grants.models import ApplicationStatus as S
from grants.reference import PROGRAMME, load_reference_data
from grants.reference_files import GRANTS_DATA
from grants.services import (
    application_get_or_create,
    municipality_account_set,
    municipality_update,
    programme_update,
)
from grants.workflow import transition
from projects.models import CatalogueProject
from projects.services import selection_add

SEED = 20240702
PUBLISHED_FILE = GRANTS_DATA / "inclusions_published_sample.txt"
STAFF_ACCOUNTS = [("officer", roles.OFFICERS), ("approver", roles.APPROVERS), ("auditor", roles.AUDITORS)]
MUNICIPALITY_ACCOUNTS = [("kalamata", "4401"), ("pyli", "2603")]
DEMO_CALL_OPEN_DAYS = 60
KALAMATA = "4401"
# Pyli's operation goes on after the published list: built with its selections through the workflow,
# «Προς ένταξη» at the published budget, then included by a later decision, so that a demo account
# owns an included operation with contracts, expenditure and payments (issue 14).
PYLI = "2603"
PYLI_INCLUDED = date(2024, 11, 15)

# Published names → ELSTAT codes for the sample only; imports use the general matcher. The published
# list adds titles («ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ») and prefectures («ΝΟΜΟΥ ΑΤΤΙΚΗΣ») and writes double names with an
# en dash, so an exact lookup of the census name would miss most of them.
PUBLISHED_CODES = {
    "ΔΗΜΟΣ ΜΕΤΑΜΟΡΦΩΣΕΩΣ ΝΟΜΟΥ ΑΤΤΙΚΗΣ": "4607",
    "ΔΗΜΟΣ ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ ΝΑΟΥΣΑΣ": "0803",
    "ΔΗΜΟΣ ΠΕΤΡΟΥΠΟΛΕΩΣ ΝΟΜΟΥ ΑΤΤΙΚΗΣ": "4706",
    "ΔΗΜΟΣ ΜΥΤΙΛΗΝΗΣ": "5301",
    "ΔΗΜΟΣ ΕΠΙΔΑΥΡΟΥ": "4103",
    "ΔΗΜΟΣ ΑΙΓΑΛΕΩ ΝΟΜΟΥ ΑΤΤΙΚΗΣ": "4704",
    "ΔΗΜΟΣ ΠΟΛΥΓΥΡΟΥ": "1301",
    "ΔΗΜΟΣ ΠΑΠΑΓΟΥ – ΧΟΛΑΡΓΟΥ": "4609",
    "ΔΗΜΟΣ ΠΥΛΗΣ": "2603",
    "ΔΗΜΟΣ ΔΩΡΙΔΟΣ": "3102",
}
# A line of the shipped sample, in grants.published's words: «<status> <ΔΗΜΟΣ …> <1,234.56> [date]».
_PUBLISHED_LINE = re.compile(
    rf"^(?P<status>{'|'.join(map(re.escape, published.STATUS_BY_WORD))})\s+(?P<name>ΔΗΜΟΣ .+?)\s+"
    r"(?P<budget>\d{1,3}(?:,\d{3})*\.\d{2})(?:\s+(?P<date>\d{2}/\d{2}/\d{4}|[–-]))?\s*$"
)

# How many invented applications end in each status (besides Kalamata's draft): every status shows.
DEMO_STATUSES = [
    (S.DRAFT, 2),
    (S.SUBMITTED, 3),
    (S.UNDER_REVIEW, 3),
    (S.RETURNED, 2),
    (S.TO_BE_INCLUDED, 3),
    (S.INCLUDED, 7),
    (S.REJECTED, 2),
    (S.WITHDRAWN, 2),
    (S.DEINCLUDED, 2),
    (S.COMPLETED, 1),
]
# The workflow path to each status (after the draft is filled in).
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.UNDER_REVIEW: ["submit", "start_review"],
    S.RETURNED: ["submit", "start_review", "return"],
    S.TO_BE_INCLUDED: ["submit", "start_review", "propose_inclusion"],
    S.INCLUDED: ["submit", "start_review", "propose_inclusion", "include"],
    S.REJECTED: ["submit", "start_review", "reject"],
    S.WITHDRAWN: ["submit", "withdraw"],
    S.DEINCLUDED: ["submit", "start_review", "propose_inclusion", "include", "deinclude"],
    # Included, then carried through its projects, expenditure and payment to `complete`
    # (grants.demo_money.build_completed).
    S.COMPLETED: ["submit", "start_review", "propose_inclusion", "include"],
}
NOTES = {
    "return": "Λείπει η τεκμηρίωση κόστους για δύο έργα· παρακαλούμε συμπληρώστε. (demo)",
    "reject": "Η πρόταση δεν πληροί τα κριτήρια του σταδίου Α. (demo)",
    "withdraw": "Ο δήμος απέσυρε την πρόταση με απόφαση δημοτικού συμβουλίου. (demo)",
    "deinclude": "Απένταξη: δεν προκηρύχθηκε διαγωνισμός εντός της προθεσμίας. (demo)",
}
_ADA_LETTERS = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ0123456789"


@dataclass
class Published:
    line: int
    status: str
    name: str
    budget: Decimal
    inclusion_date: date | None


@dataclass
class Planned:
    code: str
    status: str
    projects: list = field(default_factory=list)  # catalogue codes
    weights: list = field(default_factory=list)
    share: Decimal = Decimal("1")  # of the cap
    inclusion_date: date | None = None
    ada: str = ""
    deinclusion_ada: str = ""
    mis_code: str = ""
    money_stage: int = 0  # how far an included operation's money has gone (grants.demo_money)


def read_published(path=PUBLISHED_FILE) -> list[Published]:
    rows = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number == 1 or not text.strip():
            continue  # the published header
        match = _PUBLISHED_LINE.match(text.strip())
        if not match:
            raise CommandError(f"{path}, line {number}: not «status name budget [date]»: {text!r}")
        when = match["date"]
        rows.append(
            Published(
                line=number,
                status=published.STATUS_BY_WORD[match["status"]],
                name=match["name"],
                budget=Decimal(match["budget"].replace(",", "")),
                inclusion_date=datetime.strptime(when, "%d/%m/%Y").date()
                if when and when[0].isdigit()
                else None,
            )
        )
    return rows


def _ada(rng) -> str:
    return "".join(rng.choices(_ADA_LETTERS, k=10)) + "-" + "".join(rng.choices(_ADA_LETTERS, k=3))


def make_plan(candidates: list[str], catalogue: list[str], rng: random.Random) -> list[Planned]:
    """Which municipality ends in which status with which projects: decided before any write."""
    statuses = [status for status, count in DEMO_STATUSES for _ in range(count)]
    chosen = rng.sample(sorted(candidates), len(statuses))
    plan = [Planned(code=KALAMATA, status=S.DRAFT)] + [
        Planned(code=code, status=status) for code, status in zip(chosen, statuses, strict=True)
    ]
    for item in plan:
        k = 5 if item.code == KALAMATA else rng.randint(5, 12)
        item.projects = sorted(rng.sample(catalogue, k))
        item.weights = [rng.randint(2, 10) for _ in item.projects]
        item.share = Decimal(rng.randint(60, 100)) / 100
        item.inclusion_date = date(2023, 5, 2) + timedelta(days=rng.randint(0, 440))
        item.ada, item.deinclusion_ada = _ada(rng), _ada(rng)
        item.mis_code = str(rng.randint(5_000_000, 6_999_999))
    return plan


def split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """Amounts in whole hundreds of euros, proportional to `weights`, summing to at most `total`."""
    hundreds = int(total // 100)
    parts = [hundreds * w // sum(weights) for w in weights]
    parts[-1] += hundreds - sum(parts)
    return [Decimal(p * 100) for p in parts]


@dataclass
class DemoReport:
    accounts: list = field(default_factory=list)  # (username, role)
    created_applications: int = 0


def _user(username, group, *, is_staff=False, password=None):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        # Every demo account has an address: its notifications are e-mailed (to the console in the demo).
        user = User(username=username, is_staff=is_staff, email=f"{username}@example.gr")
        if password:
            user.set_password(password)
        else:
            # Stand-ins for municipalities that act in the demo's history; nobody logs in as them.
            user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        audit.record(
            action="account.create",
            channel=Channel.COMMAND,
            obj=user,
            after={"username": username, "is_staff": is_staff, "groups": [group]},
            note=audit.note_text(gettext_lazy("Demo account.")),
        )
    return user


def _municipality_user(username, municipality, *, password=None):
    user = _user(username, roles.MUNICIPALITIES, password=password)
    municipality_account_set(user=user, municipality=municipality, channel=Channel.COMMAND)
    return user


def _build(item: Planned, programme, municipality, catalogue, staff, *, report):
    app, created = application_get_or_create(
        programme=programme, municipality=municipality, channel=Channel.COMMAND, is_demo=True
    )
    if not created:
        return
    report.created_applications += 1
    total = programme.cap_for(municipality) * item.share
    for code, amount in zip(item.projects, split(total, item.weights), strict=True):
        selection_add(application=app, project=catalogue[code], amount=amount, channel=Channel.COMMAND)
    if "submit" in PATHS[item.status]:
        _attach_required_documents(app)
    for action in PATHS[item.status]:
        actor, fields = staff["officer"], {}
        if action == "include":
            actor = staff["approver"]
            fields = {
                "inclusion_date": item.inclusion_date,
                "decision_ada": item.ada,
                "mis_code": item.mis_code,
                # Operations of the action run for about three years from inclusion.
                "end_date": item.inclusion_date + timedelta(days=3 * 365),
            }
        elif action == "deinclude":
            actor, fields = staff["approver"], {"decision_ada": item.deinclusion_ada}
        elif action == "withdraw":
            # Only the municipality itself may withdraw.
            actor = _municipality_user(f"demo-{municipality.elstat_code}", municipality)
        elif action == "propose_inclusion":
            _answer_checklist(app, actor)
        transition(app, action, actor=actor, note=NOTES.get(action, ""), channel=Channel.COMMAND, **fields)
    if item.status in (S.INCLUDED, S.COMPLETED):
        # Money at a different stage for each operation (0 nothing … 4 paid).
        rng = random.Random(f"{SEED}-{item.code}")
        clerk = _municipality_user(f"demo-{municipality.elstat_code}", municipality)
        app.refresh_from_db()
        if item.status == S.COMPLETED:
            build_completed(
                app,
                clerk=clerk,
                officer=staff["officer"],
                approver=staff["approver"],
                rng=rng,
                ada=item.deinclusion_ada,
            )
            return
        build_money(
            app,
            clerk=clerk,
            officer=staff["officer"],
            approver=staff["approver"],
            stage=item.money_stage,
            rng=rng,
        )
        build_indicators(app, clerk=clerk, officer=staff["officer"], rng=rng, reported=item.money_stage >= 3)


def split_exact(total: Decimal, weights: list[int]) -> list[Decimal]:
    """split()'s amounts with the cents left over added to the last, so they sum to `total` exactly."""
    parts = split(total, weights)
    parts[-1] += total - sum(parts)
    return parts


def _build_pyli(row: Published, programme, municipality, catalogue, staff, clerk, *, report):
    app, created = application_get_or_create(
        programme=programme, municipality=municipality, channel=Channel.COMMAND
    )
    if not created:
        return
    report.created_applications += 1
    rng = random.Random(f"{SEED}-{PYLI}")
    codes = sorted(rng.sample(sorted(catalogue), 5))
    for code, amount in zip(codes, split_exact(row.budget, [rng.randint(2, 10) for _ in codes]), strict=True):
        selection_add(
            application=app, project=catalogue[code], amount=amount, actor=clerk, channel=Channel.COMMAND
        )
    officer, approver = staff["officer"], staff["approver"]
    _attach_required_documents(app)
    for action in ("submit", "start_review", "propose_inclusion"):
        if action == "propose_inclusion":
            _answer_checklist(app, officer)
        transition(app, action, actor=officer, channel=Channel.COMMAND)
    transition(
        app,
        "include",
        actor=approver,
        channel=Channel.COMMAND,
        inclusion_date=PYLI_INCLUDED,
        decision_ada=_ada(rng),
        mis_code=str(rng.randint(5_000_000, 6_999_999)),
        end_date=PYLI_INCLUDED + timedelta(days=3 * 365),
    )
    app.refresh_from_db()
    build_money(app, clerk=clerk, officer=officer, approver=approver, stage=4, rng=rng)


def demo_pdf() -> bytes:
    """A one-page PDF standing for a document the call asks for (the demo's files are illustrative)."""
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 760, "Smart Cities demo: an illustrative document, not a real one.")
    page.save()
    return out.getvalue()


def _answer_checklist(app, officer):
    """The proposal needs the evaluation checklist answered, none «No»."""
    answers = [
        {"criterion": c.code, "answer": "yes", "comment": ""} for c in checklist.criteria_of(app.programme_id)
    ]
    app.refresh_from_db()
    checklist.checklist_answer(application=app, answers=answers, actor=officer, channel=Channel.COMMAND)


def _attach_required_documents(app):
    """Every required document of the programme, so that the demo's applications can be submitted."""
    content = demo_pdf()
    selected = [s.project for s in app.selections.select_related("project")]
    for kind in document_types_of(app.programme):
        if not kind.required:
            continue
        for project in selected if kind.scope == DocumentScope.PROJECT else [None]:
            suffix = f"-{project.code}" if project else ""
            document_upload(
                application=app,
                document_type=kind,
                file=ContentFile(content, name=f"{kind.code}{suffix}.pdf"),
                project=project,
                channel=Channel.COMMAND,
            )


def _record_published(row: Published, programme, municipality, *, report):
    # Recorded as an import of the published list would: the decision alone, no invented selections,
    # and not flagged as demo data because the figures are real.
    app, created = application_get_or_create(
        programme=programme, municipality=municipality, channel=Channel.COMMAND
    )
    if not created:
        return
    report.created_applications += 1
    transition(
        app,
        "record_decision",
        actor=None,
        note=audit.note_text(
            gettext_lazy("Published list of July 2024 (%(s)s, line %(n)d)."),
            {"s": PUBLISHED_FILE.name, "n": row.line},
        ),
        channel=Channel.COMMAND,
        status=row.status,
        budget=row.budget,
        inclusion_date=row.inclusion_date,
    )


def _keep_call_open(programme):
    """The demo's call is open: its closing date lies DEMO_CALL_OPEN_DAYS ahead, so municipalities can
    still submit and the deadline reminders have something to remind of."""
    today = date.today()
    if programme.closes_on is None or programme.closes_on < today + timedelta(days=7):
        programme_update(
            programme=programme,
            channel=Channel.COMMAND,
            note=audit.note_text(gettext_lazy("Demo: the call stays open.")),
            closes_on=today + timedelta(days=DEMO_CALL_OPEN_DAYS),
        )


def load_demo() -> DemoReport:
    if not settings.DEBUG:
        raise CommandError("The demo data is for local use only: it is refused unless DEBUG is on.")
    published = read_published()
    unknown = [p.name for p in published if p.name not in PUBLISHED_CODES]
    if unknown:
        raise CommandError(f"{PUBLISHED_FILE}: no ELSTAT code for {', '.join(unknown)}")
    report = DemoReport()
    with audit.all_or_nothing():
        load_reference_data()
        password = settings.DEMO_PASSWORD
        staff = {}
        for username, group in STAFF_ACCOUNTS:
            staff[username] = _user(username, group, is_staff=True, password=password)
            report.accounts.append((username, group))
        by_code = {m.elstat_code: m for m in Municipality.objects.all()}
        clerks = {}
        for username, code in MUNICIPALITY_ACCOUNTS:
            clerks[code] = _municipality_user(username, by_code[code], password=password)
            report.accounts.append((username, by_code[code].name))
            if not by_code[code].contact_emails.strip():
                municipality_update(
                    municipality=by_code[code],
                    channel=Channel.COMMAND,
                    contact_emails=f"dimos-{code}@example.gr",
                )

        programme = Programme.objects.get(code=PROGRAMME["code"])
        _keep_call_open(programme)
        active = {p.code: p for p in CatalogueProject.objects.filter(active=True)}
        for row in published:
            code = PUBLISHED_CODES[row.name]
            if code == PYLI:
                _build_pyli(row, programme, by_code[code], active, staff, clerks[code], report=report)
            else:
                _record_published(row, programme, by_code[code], report=report)

        # The invented applications are made once: later edits (overrides, a replaced catalogue) would
        # otherwise change the seeded plan and a re-run would add a second set.
        if not Application.objects.filter(programme=programme, is_demo=True).exists():
            catalogue = {p.code: p for p in CatalogueProject.objects.filter(active=True)}
            taken = set(PUBLISHED_CODES.values()) | {KALAMATA}
            candidates = [c for c, m in by_code.items() if m.eligible and c not in taken]
            plan = make_plan(candidates, sorted(catalogue), random.Random(SEED))
            for n, item in enumerate(i for i in plan if i.status == S.INCLUDED):
                item.money_stage = (n + 1) % 5  # 1, 2, 3, 4, 0, 1, 2: every stage shows
            for item in plan:
                _build(item, programme, by_code[item.code], catalogue, staff, report=report)
    return report
