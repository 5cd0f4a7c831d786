"""python manage.py backup [--dir DIR]: see grants/backups.py."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grants.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Dump the database with pg_dump (custom format, timestamped name) and write its SHA-256 beside "
        "it (NAME.sha256, sha256sum's format) with the row counts of the same snapshot. PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", default=settings.BACKUP_DIR, help="where to write (default: BACKUP_DIR, %(default)s)"
        )

    def handle(self, *args, dir, **options):
        try:
            backup = backup_create(directory=dir)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{backup.path}\n{backup.checksum_path}\nSHA-256 {backup.sha256}\n"
            f"{len(backup.counts)} tables, {sum(backup.counts.values())} rows. "
            f"Check it with: python manage.py restore_check {backup.path}"
        )
