from django.conf import settings
from django.core.management.base import BaseCommand

from grants.formatting import format_date, format_eur, format_int
from grants.simulation.plan import END, SEED
from grants.simulation.run import simulate_programme, status_lines


class Command(BaseCommand):
    help = (
        "Simulate the whole Smart Cities programme as published in July 2024 (312 applicants, the "
        "published top five and sample) through the services; refused unless DEBUG is on, and when the "
        "programme already has applications."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=SEED, help=f"the same seed, the same programme (default {SEED})"
        )
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="when the programme already has applications, change nothing and succeed (make simulate)",
        )

    def handle(self, *args, seed, skip_existing, **options):
        report = simulate_programme(seed, skip_existing=skip_existing)
        if report is None:
            self.stdout.write("The programme already has applications: nothing simulated.")
            return
        out = self.stdout.write
        out(
            f"Simulated programme as of {format_date(END)} "
            f"(seed {report.seed}, {format_int(report.steps)} steps)"
        )
        out(
            f"Applications: {report.applications} from {report.municipalities} municipalities; "
            f"{format_int(report.selections)} selections, "
            f"{report.selections / max(report.applications, 1):.1f} per application"
        )
        out("By status:")
        for value, label, n in status_lines(report):
            out(f"  {value:<15} {label:<30} {n:>4}")
        included = report.by_status.get("included", 0)
        out(f"Included budget: {format_eur(report.included_budget)} ({included} operations)")
        r = report.records
        out(
            f"Review: {format_int(r['documents'])} documents, {format_int(r['checklist_answers'])} "
            f"checklist answers, {r['returns']} returns with requested items, "
            f"{r['replies']} answers from municipalities"
        )
        out(
            f"Delivery: {r['contracts']} contracts on {r['contracted_operations']} operations "
            f"({format_eur(r['contracted'])}); {r['declarations']} invoices declared "
            f"({format_eur(r['declared'])}), {r['verified_lines']} verified ({format_eur(r['verified'])}); "
            f"{r['payments_authorised']} payments authorised ({format_eur(r['paid'])}), "
            f"{r['payments_prepared']} prepared; {r['progress']} project progress records"
        )
        out("Most chosen catalogue projects (applicants who chose them):")
        for rank, (code, title, n) in enumerate(report.top, start=1):
            out(f"  {rank}. {code} {n:>4}  {title}")
        out(f"Accounts (password: {settings.DEMO_PASSWORD}):")
        for username, role in report.accounts:
            out(f"  {username:<15} {role}")
        site = settings.SITE_URL.rstrip("/")
        out(f"Dashboard: {site}/reports/   Popularity: {site}/reports/popularity/")
