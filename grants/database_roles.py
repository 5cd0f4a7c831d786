"""The application's own database role: it reads and writes the tables but owns nothing, so that the
application's connection cannot TRUNCATE, ALTER or drop a table, nor disable the trigger that keeps
the audit trail append-only (only a table's owner can), and on the audit table it may only SELECT and
INSERT. Migrations run as the owner (MIGRATE_DATABASE_URL); the application as this role
(DATABASE_URL). PostgreSQL only."""

import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.utils import ProgrammingError
from psycopg.errors import InsufficientPrivilege

from grants.models import AuditEvent

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
TABLE_WRITE = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_USE = "USAGE, SELECT, UPDATE"
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
# Tables the application reads or appends to but never changes: the audit trail, and the record of
# applied migrations (written by `migrate`, as the owner).
APPEND_ONLY = {AuditEvent._meta.db_table: "SELECT, INSERT", "django_migrations": "SELECT"}


class RoleError(Exception):
    pass


@dataclass
class RoleReport:
    role: str
    created: bool
    owner: str
    schema: str
    tables: int
    sequences: int
    can_create_in_schema: bool


def _ident(name):
    return connection.ops.quote_name(name)


def app_role_ensure(*, role: str, password: str | None = None) -> RoleReport:
    """Create the login role `role`, or bring an existing one back to exactly these rights; run as
    the tables' owner. Idempotent: run it again after every migration (new tables are covered by
    default privileges, but a table re-created by a migration gets its rights set again here)."""
    if connection.vendor != "postgresql":
        raise RoleError(
            f"Database roles exist on PostgreSQL only; DATABASE_URL points at {connection.vendor}."
        )
    if not ROLE_NAME.match(role):
        raise RoleError(
            f"«{role}» is not a usable role name: lower-case letters, digits and _, at most 63, "
            "not starting with a digit."
        )
    with transaction.atomic(), connection.cursor() as cursor:
        # The owner is whoever owns the tables (migrations ran as them), which need not be the role
        # running this command (a superuser, say).
        cursor.execute(
            "SELECT current_user, current_schema(), current_database(), "
            "(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'django_migrations')"
        )
        user, schema, database, owner = cursor.fetchone()
        if owner is None:
            raise RoleError(f"Database «{database}» has no tables yet: run migrate (as the owner) first.")
        if role in (owner, user):
            raise RoleError(f"«{role}» owns the tables or runs this command: choose another name.")
        cursor.execute(
            "SELECT rolsuper, pg_has_role(oid, %s, 'MEMBER'), rolcanlogin AND NOT (rolcreatedb OR "
            "rolcreaterole OR rolreplication OR rolbypassrls) FROM pg_roles WHERE rolname = %s",
            [owner, role],
        )
        row = cursor.fetchone()
        created = row is None
        if row and row[0]:
            raise RoleError(f"«{role}» is a superuser, which no privilege can restrain: use another role.")
        if row and row[1]:
            raise RoleError(
                f"«{role}» is a member of «{owner}», the tables' owner, and so may do what the owner "
                f"does: REVOKE {owner} FROM {role} first, or use another role."
            )
        if row:
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s",
                [role],
            )
            if cursor.fetchone()[0]:
                raise RoleError(f"«{role}» owns tables or other objects in this database: use another role.")

        # CREATE and ALTER ROLE need CREATEROLE, which the owner need not have (docs/deploy.md has the
        # superuser create the role): an existing role that already has exactly these attributes and
        # keeps its password is left alone, so that the owner can re-grant after every migrate.
        if created or password or not row[2]:
            verb = "CREATE" if created else "ALTER"
            try:
                with transaction.atomic():
                    statement = f"{verb} ROLE {_ident(role)} {ROLE_ATTRIBUTES}"
                    if password:
                        cursor.execute(statement + " PASSWORD %s", [password])
                    else:
                        cursor.execute(statement)
            except ProgrammingError as error:
                if not isinstance(error.__cause__, InsufficientPrivilege):
                    raise
                raise RoleError(
                    f"«{user}» may not {verb.lower()} roles ({str(error).strip()}). Have a superuser "
                    + (
                        f"create it once (sudo -u postgres createuser --pwprompt {role}), then run this "
                        "again without --password."
                        if created
                        else f"run ALTER ROLE {role} {ROLE_ATTRIBUTES}"
                        + (" PASSWORD '…'" if password else "")
                        + " (sudo -u postgres psql), then run this again without --password."
                    )
                ) from error
        r, s = _ident(role), _ident(schema)
        statements = [
            f"GRANT CONNECT ON DATABASE {_ident(database)} TO {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            # Start from nothing, so that a re-run also takes back what should not be there.
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT {TABLE_WRITE} ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT {SEQUENCE_USE} ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            # Tables that later migrations create (as the owner) are granted the same.
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_ident(owner)} IN SCHEMA {s} "
            f"GRANT {TABLE_WRITE} ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_ident(owner)} IN SCHEMA {s} "
            f"GRANT {SEQUENCE_USE} ON SEQUENCES TO {r}",
        ]
        for table, allowed in APPEND_ONLY.items():
            statements += [
                f"REVOKE ALL ON {s}.{_ident(table)} FROM {r}",
                f"GRANT {allowed} ON {s}.{_ident(table)} TO {r}",
            ]
        for statement in statements:
            cursor.execute(statement)

        cursor.execute(
            "SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')), count(*) FILTER (WHERE c.relkind = 'S') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            [schema],
        )
        tables, sequences = cursor.fetchone()
        cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
        can_create = cursor.fetchone()[0]
    return RoleReport(role, created, owner, schema, tables, sequences, can_create)
