"""python manage.py create_app_role ROLE [--password …]: see grants/database_roles.py."""

import sys

from django.core.management.base import BaseCommand, CommandError

from grants.database_roles import APPEND_ONLY, SEQUENCE_USE, TABLE_WRITE, RoleError, app_role_ensure


class Command(BaseCommand):
    help = (
        "Create or update (idempotent) the login role the application runs as: it reads and writes the "
        "tables but owns nothing; on the audit table only SELECT and INSERT. Run with the owner's "
        "DATABASE_URL, and again after migrations. PostgreSQL only."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role's name, e.g. smartcities_app")
        parser.add_argument(
            "--password",
            help="set (or change) the role's password; '-' reads it from the standard input, which keeps "
            "it out of the process list and the shell's history",
        )

    def handle(self, *args, role, password=None, **options):
        if password == "-":
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("No password on the standard input.")
        try:
            report = app_role_ensure(role=role, password=password)
        except RoleError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Role «{report.role}» {'created' if report.created else 'updated'}"
            f"{', password set' if password else ''}; it owns nothing (the owner is «{report.owner}»).\n"
            f"  {report.tables} tables in schema «{report.schema}»: {TABLE_WRITE}\n"
            + "".join(f"  except {table}: {allowed} only\n" for table, allowed in APPEND_ONLY.items())
            + f"  {report.sequences} sequences: {SEQUENCE_USE}\n"
            f"  tables and sequences that «{report.owner}» creates later: the same (default privileges)\n"
            "  no TRUNCATE, REFERENCES or TRIGGER anywhere; ALTER, DROP and disabling triggers need "
            "the owner\n"
            "Run the application with this role in DATABASE_URL, and migrations with the owner in "
            "MIGRATE_DATABASE_URL; run this command again after each migrate."
        )
        if report.can_create_in_schema:
            self.stderr.write(
                self.style.WARNING(
                    f"«{report.role}» can still create tables in schema «{report.schema}» (PostgreSQL before "
                    f"15 grants it to everyone): REVOKE CREATE ON SCHEMA {report.schema} FROM PUBLIC."
                )
            )
