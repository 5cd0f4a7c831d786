import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from grants.imports.inclusions import ProgrammeChoiceError, import_inclusions, resolve_programme
from grants.imports.readers import FORMATS, format_for
from grants.models import Channel

PROGRESS_FROM = 2000  # rows; shorter lists finish before a bar would be useful


class Command(BaseCommand):
    help = (
        "Import a published list of inclusion decisions (text, CSV or XLSX), all or nothing: any wrong "
        "row stops the import, every error is printed with its line, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The list; «-» reads standard input.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the extension, else text.")
        parser.add_argument("--programme", help="Programme code (may be left out when there is one).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, save nothing.")
        parser.add_argument("--user", help="Record the decisions as this officer (default: system).")
        # -v 2 also prints each row with its outcome, as the admin's report shows it.

    def handle(
        self, *args, path, format=None, programme=None, dry_run=False, user=None, verbosity=1, **options
    ):
        fmt = format_for("" if path == "-" else path, format)
        content = self._read(path, fmt)
        try:
            programme_obj = resolve_programme(programme)
        except ProgrammeChoiceError as exc:
            raise CommandError(str(exc)) from None
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user «{user}».")

        bar = None

        def progress(done, total):
            nonlocal bar
            if bar is None and total >= PROGRESS_FROM and self.stdout.isatty():
                from tqdm import tqdm

                bar = tqdm(total=total, unit=" rows", file=sys.stderr)
            if bar is not None:
                bar.update(done)

        report = import_inclusions(
            content,
            fmt=fmt,
            programme=programme_obj,
            actor=actor,
            dry_run=dry_run,
            source=Path(path).name if path != "-" else "stdin",
            progress=progress,
            # An operator's tool, not the admin's four-eyes import: recorded as such, row by row.
            channel=Channel.COMMAND,
        )
        if bar is not None:
            bar.close()
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"⚠ {warning}"))
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            if report.errors.more:
                self.stderr.write(report.errors.more_line)
            raise CommandError("\n".join(report.summary()))
        if verbosity >= 2:
            # Row by row only when asked: a published list may have 100,000 lines.
            for row in report.rows:
                self.stdout.write(
                    f"{row.line}\t{row.municipality.name}\t{row.status_label}\t{row.budget_display}"
                    f"\t{row.outcome_label}"
                )
        for line in report.summary():
            self.stdout.write(line)

    def _read(self, path, fmt):
        if path == "-":
            stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
            return stream.read()
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
