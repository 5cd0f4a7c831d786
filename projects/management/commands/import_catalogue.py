import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from grants.imports.catalogue import import_catalogue
from grants.imports.readers import format_for


class Command(BaseCommand):
    help = (
        "Replace the project catalogue from a CSV or XLSX file (columns of projects/data/catalogue.csv), "
        "all or nothing. Entries missing from the file or marked inactive are deactivated, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file; «-» reads standard input (CSV).")
        parser.add_argument("--format", choices=("csv", "xlsx"), help="Default: from the extension.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, save nothing.")
        parser.add_argument("--user", help="Record the changes as this user (default: system).")

    def handle(self, *args, path, format=None, dry_run=False, user=None, **options):
        fmt = format_for("" if path == "-" else path, format)
        if fmt == "text":
            fmt = "csv"
        try:
            content = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user «{user}».")
        report = import_catalogue(
            content, fmt=fmt, actor=actor, source=Path(path).name if path != "-" else "stdin", dry_run=dry_run
        )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            if report.errors.more:
                self.stderr.write(report.errors.more_line)
            raise CommandError("\n".join(report.summary()))
        for line in report.summary():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
