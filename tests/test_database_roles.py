"""`create_app_role`: the role the application runs as reads and writes the tables but owns nothing.
Proved from a connection as that role: the audit trail cannot be truncated, updated, deleted from or
have its trigger disabled, no table can be altered or truncated, and the application itself (a
separate process with DATABASE_URL set to the role) works: a login, selections, a transition, the
portal and the history API. Roles are global to the PostgreSQL cluster: each test makes its own
uniquely named one and drops it."""

import io
import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import CommandError, call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pw-role-" + secrets.token_hex(8)

# Roles created and dropped, committed data, subprocesses: long, so `slow` (CI runs it).
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def role():
    name = f"sc_test_app_{uuid.uuid4().hex[:12]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            # Its privileges and default privileges first, or PostgreSQL refuses to drop it.
            cursor.execute(f'DROP OWNED BY "{name}"')
            cursor.execute(f'DROP ROLE "{name}"')


def settings_dict():
    return connection.settings_dict


def connect_as(role):
    s = settings_dict()
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        dbname=s["NAME"],
        user=role,
        password=PASSWORD,
        autocommit=True,
    )


def role_url(role):
    s = settings_dict()
    return f"postgres://{role}:{PASSWORD}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def make_role(role):
    out = io.StringIO()
    call_command("create_app_role", role, password=PASSWORD, stdout=out)
    return out.getvalue()


def refused(conn, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def privileges(role, table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = %s ORDER BY 1",
            [role, table],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_role_cannot_rewrite_history_nor_change_any_table(role, kalamata_user, programme, catalogue):
    make_role(role)
    with connect_as(role) as conn:
        # The audit trail: read and append only.
        conn.execute("SELECT count(*) FROM grants_auditevent")
        refused(conn, "TRUNCATE grants_auditevent")
        refused(conn, "UPDATE grants_auditevent SET note = 'rewritten'")
        refused(conn, "DELETE FROM grants_auditevent")
        refused(conn, "ALTER TABLE grants_auditevent DISABLE TRIGGER grants_auditevent_append_only")
        refused(conn, "ALTER TABLE grants_auditevent DISABLE TRIGGER ALL")
        refused(conn, "DROP TRIGGER grants_auditevent_append_only ON grants_auditevent")
        refused(conn, "DROP TABLE grants_auditevent")
        # Any other table: rows yes, structure no.
        conn.execute("SELECT count(*) FROM grants_application")
        refused(conn, "TRUNCATE grants_application")
        refused(conn, "ALTER TABLE grants_application ADD COLUMN smuggled integer")
        refused(
            conn,
            "CREATE TRIGGER t BEFORE INSERT ON grants_application FOR EACH ROW EXECUTE FUNCTION "
            "grants_auditevent_append_only()",
        )
        refused(conn, "CREATE TABLE smuggled (id integer)")
        # The record of migrations is the owner's to write.
        refused(conn, "DELETE FROM django_migrations")
        refused(conn, "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())")
    assert privileges(role, "grants_auditevent") == ["INSERT", "SELECT"]
    assert privileges(role, "grants_application") == ["DELETE", "INSERT", "SELECT", "UPDATE"]


# Run in a separate process whose DATABASE_URL is the role: the real settings, services and views.
APP_SCRIPT = """
import json
import django

django.setup()
from django.db import connection
from django.test import Client

from grants.models import AuditEvent, Channel, Municipality, Programme
from grants.services import application_get_or_create
from grants.workflow import transition
from django.contrib.auth.models import User
from projects.models import CatalogueProject
from projects.services import selection_add

with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    who = cursor.fetchone()[0]
user = User.objects.get(username="kalamata")
application, _ = application_get_or_create(
    programme=Programme.objects.get(), municipality=Municipality.objects.get(elstat_code="4401"), actor=user
)
for project in CatalogueProject.objects.order_by("code")[:2]:
    selection_add(application=application, project=project, amount="10000.00",
                  justification="Αιτιολόγηση", actor=user, channel=Channel.PORTAL)
transition(application, "submit", actor=user, channel=Channel.PORTAL)
application.refresh_from_db()

client = Client()
login = client.post("/accounts/login/", {"username": "kalamata", "password": "pw-secret-123"}, secure=True)
portal = client.get("/portal/", secure=True)
history = client.get(f"/api/v1/applications/{application.pk}/history/", secure=True)
print(json.dumps({
    "user": who,
    "status": application.status,
    "events": [e.action for e in AuditEvent.objects.filter(application=application).order_by("pk")],
    "login": login.status_code,
    "portal": portal.status_code,
    "history": history.status_code == 200 and [e["action"] for e in history.json()["results"]],
}))
"""


def run_as(role, script=APP_SCRIPT, *args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": role_url(role),
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "testserver",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    for name in ("DEBUG", "REDIS_URL", "MIGRATE_DATABASE_URL"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_application_works_under_the_role(role, kalamata_user, programme, catalogue):
    # A password the subprocess's own hashers know (the tests' MD5 is not among the defaults).
    kalamata_user.password = PBKDF2PasswordHasher().encode("pw-secret-123", "somesalt1234", iterations=1000)
    kalamata_user.save(update_fields=["password"])
    make_role(role)

    done = run_as(role)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["user"] == role
    assert result["status"] == "submitted"
    assert result["events"].count("selection.add") == 2 and "workflow.submit" in result["events"]
    assert result["login"] == 302 and result["portal"] == 200
    assert "workflow.submit" in result["history"]


def test_tables_created_later_by_the_owner_are_granted_too(role, db):
    make_role(role)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE grants_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x int)"
        )
    try:
        with connect_as(role) as conn:
            conn.execute("INSERT INTO grants_later (x) VALUES (1)")
            conn.execute("UPDATE grants_later SET x = 2")
            assert conn.execute("SELECT x FROM grants_later").fetchall() == [(2,)]
            refused(conn, "TRUNCATE grants_later")
            refused(conn, "ALTER TABLE grants_later ADD COLUMN y int")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE grants_later")


def test_a_rerun_updates_the_role_and_takes_back_what_drifted(role, db):
    make_role(role)
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON grants_auditevent TO "{role}"')
        cursor.execute(f'ALTER ROLE "{role}" CREATEDB')
    assert "TRUNCATE" in privileges(role, "grants_auditevent")

    out = io.StringIO()
    call_command("create_app_role", role, stdout=out)
    assert (
        f"Role «{role}» updated" in out.getvalue()
        and "grants_auditevent: SELECT, INSERT only" in out.getvalue()
    )
    assert privileges(role, "grants_auditevent") == ["INSERT", "SELECT"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = %s", [role])
        assert cursor.fetchone() == (False, True)
    with connect_as(role) as conn:  # the password stands when a re-run does not give one
        conn.execute("SELECT 1")


def test_unusable_roles_are_refused_with_the_reason(db):
    with pytest.raises(CommandError, match="not a usable role name"):
        call_command("create_app_role", "Robert'); DROP TABLE x; --")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="choose another name"):
        call_command("create_app_role", owner)


def test_a_superuser_is_refused(role, db):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" SUPERUSER')
    with pytest.raises(CommandError, match="superuser"):
        call_command("create_app_role", role)


def test_sqlite_is_refused_with_a_clear_message():
    env = {**os.environ, "DATABASE_URL": "sqlite://:memory:", "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "manage.py", "create_app_role", "smartcities_app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "PostgreSQL only" in done.stderr and "sqlite" in done.stderr


@pytest.fixture
def as_owner_without_createrole(db):
    """The connection as docs/deploy.md's owner: it owns the tables (here: is a member of their owner)
    but may not create or alter roles, as `createuser --pwprompt smartcities` makes it."""
    name = f"sc_test_owner_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        tables_owner = cursor.fetchone()[0]
        cursor.execute(f'CREATE ROLE "{name}" NOLOGIN NOSUPERUSER NOCREATEROLE IN ROLE "{tables_owner}"')
        cursor.execute(f'SET ROLE "{name}"')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute(f'DROP ROLE "{name}"')


def test_an_owner_without_createrole_grants_a_role_a_superuser_created(role, as_owner_without_createrole):
    # docs/deploy.md: the superuser creates both roles; the owner runs create_app_role after each migrate.
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{PASSWORD}'")
        cursor.execute(f'SET ROLE "{as_owner_without_createrole}"')
    out = io.StringIO()
    call_command("create_app_role", role, stdout=out)
    assert f"Role «{role}» updated" in out.getvalue()
    with connect_as(role) as conn:
        conn.execute("SELECT count(*) FROM grants_application")
        refused(conn, "TRUNCATE grants_auditevent")
    assert privileges(role, "grants_auditevent") == ["INSERT", "SELECT"]


def test_an_owner_without_createrole_is_told_how_to_create_the_role(role, as_owner_without_createrole):
    with pytest.raises(CommandError, match=f"createuser --pwprompt {role}"):
        call_command("create_app_role", role, password=PASSWORD)
