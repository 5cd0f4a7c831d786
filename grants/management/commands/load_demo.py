from django.conf import settings
from django.core.management.base import BaseCommand

from grants.demo import load_demo


class Command(BaseCommand):
    help = "Load the reference data, demo accounts and demo applications (refused unless DEBUG is on)."

    def handle(self, *args, **options):
        report = load_demo()
        self.stdout.write(f"Demo applications created: {report.created_applications}")
        self.stdout.write(f"Accounts (password: {settings.DEMO_PASSWORD}):")
        for username, role in report.accounts:
            self.stdout.write(f"  {username:<10} {role}")
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(f"Officers' admin: {site}/admin/   Municipalities' portal: {site}/portal/")
