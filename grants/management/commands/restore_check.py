"""python manage.py restore_check FILE: see grants/backups.py."""

from django.core.management.base import BaseCommand, CommandError

from grants.backups import BackupError, restore_check


class Command(BaseCommand):
    help = (
        "Verify a dump's SHA-256, restore it into a scratch database, compare the row count of every "
        "table, and drop the scratch database. Exits non-zero on any difference. PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a dump written by `manage.py backup`")

    def handle(self, *args, file, **options):
        try:
            check = restore_check(path=file)
        except BackupError as error:
            raise CommandError(str(error)) from error
        width = max(len(r[0]) for r in check.rows)
        self.stdout.write(f"{'table':<{width}}  {'expected':>10}  {'restored':>10}  {'live now':>10}")
        for table, expected, restored, live, ok in check.rows:
            cells = "".join(f"  {'—' if v is None else v:>10}" for v in (expected, restored, live))
            self.stdout.write(f"{table:<{width}}{cells}  {'ok' if ok else 'MISMATCH'}")
        self.stdout.write(f"Restored into {check.scratch}, which was dropped.")
        if check.mismatches:
            raise CommandError(
                f"{len(check.mismatches)} table(s) differ: "
                + ", ".join(r[0] for r in check.mismatches)
                + ". Do not rely on this backup until the difference is explained."
            )
        self.stdout.write(self.style.SUCCESS(f"{file}: restores, and all {len(check.rows)} tables match."))
