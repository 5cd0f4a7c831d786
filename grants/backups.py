"""Backups with PostgreSQL's own tools (Debian's postgresql-client): `pg_dump` in its custom format,
a SHA-256 beside it in sha256sum's format, and a check that a dump really restores.

The dump is taken in one snapshot, and the row count of every table is recorded in that same snapshot
(NAME.counts.json, covered by the checksum). A restore check compares the restored counts with those,
so that it means something on any later day, when the live database has moved on; the live counts are
shown beside them, and the audit trail, which only grows, must never have fewer rows live than in a
backup."""

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from psycopg import sql

from grants.models import AuditEvent

AUDIT_TABLE = AuditEvent._meta.db_table


class BackupError(Exception):
    pass


def _require_postgresql():
    if connection.vendor != "postgresql":
        raise BackupError(
            f"Backups are made with pg_dump, for PostgreSQL only; DATABASE_URL points at {connection.vendor}."
        )


def _params(dbname=None) -> dict:
    s = settings.DATABASES["default"]
    params = {
        "dbname": dbname or s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or None,
        "port": str(s["PORT"]) if s.get("PORT") else None,
    }
    if s.get("OPTIONS", {}).get("sslmode"):
        params["sslmode"] = s["OPTIONS"]["sslmode"]
    return {k: v for k, v in params.items() if v is not None}


def _libpq_env(dbname=None) -> dict:
    """The connection for pg_dump and pg_restore, in libpq's variables: a password never appears in
    the process list."""
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST"}
    names |= {"port": "PGPORT", "sslmode": "PGSSLMODE"}
    return {**os.environ, **{names[k]: v for k, v in _params(dbname).items()}}


def _connect(dbname=None, **kwargs):
    return psycopg.connect(**_params(dbname), **kwargs)


def _tool(name) -> str:
    """The client tool, of the server's major version: a newer pg_dump writes settings an older
    server refuses on restore, and an older one cannot dump a newer server."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: apt-get install postgresql-client (Debian).")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    client = int(re.search(r"\) (\d+)", out).group(1))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0]) // 10000
    if client != server:
        raise BackupError(
            f"{name} is version {client} and the server {server}: install postgresql-client-{server} "
            f"and put its {name} first on the PATH."
        )
    return path


def _tables() -> list[str]:
    return sorted(connection.introspection.table_names())


def _count(conn, tables) -> dict[str, int]:
    return {
        t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
        for t in tables
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Backup:
    path: Path
    checksum_path: Path
    sha256: str
    counts: dict = field(default_factory=dict)


def backup_create(*, directory) -> Backup:
    """pg_dump of the database into DIRECTORY/<database>-<UTC time>.dump (readable by the owner only:
    it holds personal data), its row counts beside it, and NAME.dump.sha256 for both."""
    _require_postgresql()
    pg_dump = _tool("pg_dump")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    database = settings.DATABASES["default"]["NAME"]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{database}-{stamp}.dump"
    counts_path = path.with_name(path.name + ".counts.json")
    checksum_path = path.with_name(path.name + ".sha256")
    partial = path.with_name(path.name + ".partial")
    tables = _tables()

    old_umask = os.umask(0o077)
    try:
        with _connect(autocommit=True) as conn:
            # One snapshot for the counts and for pg_dump, held open until the dump is done.
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = _count(conn, tables)
            done = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
                env=_libpq_env(),
                capture_output=True,
                text=True,
            )
            conn.execute("COMMIT")
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        partial.rename(path)
        counts_path.write_text(
            json.dumps({"database": database, "taken_at": stamp, "row_counts": counts}, indent=1) + "\n"
        )
        digest = sha256_of(path)
        checksum_path.write_text(f"{digest}  {path.name}\n{sha256_of(counts_path)}  {counts_path.name}\n")
    finally:
        os.umask(old_umask)
    return Backup(path=path, checksum_path=checksum_path, sha256=digest, counts=counts)


@dataclass
class RestoreCheck:
    scratch: str
    rows: list  # (table, expected, restored, live, ok)

    @property
    def mismatches(self):
        return [r for r in self.rows if not r[4]]


def _verify_checksums(path: Path) -> dict:
    """The dump's and its counts' SHA-256 against NAME.sha256; the recorded counts, if any."""
    checksum_path = path.with_name(path.name + ".sha256")
    if not checksum_path.exists():
        raise BackupError(
            f"{checksum_path.name} is missing: without its checksum the dump cannot be trusted."
        )
    expected = {}
    for line in checksum_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        expected[name.strip().lstrip("*")] = digest.strip()
    if path.name not in expected:
        raise BackupError(f"{checksum_path.name} has no checksum for {path.name}.")
    for name, digest in expected.items():
        target = path.with_name(name)
        if not target.exists() or sha256_of(target) != digest:
            raise BackupError(
                f"{name} does not match its SHA-256 in {checksum_path.name}: the file is damaged."
            )
    counts_path = path.with_name(path.name + ".counts.json")
    if counts_path.name in expected:
        return json.loads(counts_path.read_text())["row_counts"]
    return {}


def restore_check(*, path) -> RestoreCheck:
    """Restore the dump into a scratch database of its own, compare row counts, drop the scratch
    (whatever happened)."""
    _require_postgresql()
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    at_backup = _verify_checksums(path)
    pg_restore = _tool("pg_restore")
    live_name = settings.DATABASES["default"]["NAME"]
    scratch = f"{live_name[:32]}_restore_check_{datetime.now(UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(scratch)}")
    except DatabaseError as error:
        raise BackupError(
            f"Cannot create the scratch database ({str(error).strip()}): run restore_check as a role with "
            "CREATEDB, such as the tables' owner (ALTER ROLE … CREATEDB), not as the application's role."
        ) from error
    try:
        done = subprocess.run(
            # Only the data matter here: owners and grants belong to roles the check need not have.
            # One transaction: one commit to wait for instead of one per table, index and constraint
            # (a restore of the test database took 1.9 s instead of 3.5 s), and nothing half-restored.
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={scratch}",
                str(path),
            ],
            env=_libpq_env(scratch),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        tables = sorted(set(_tables()) | set(at_backup))
        with _connect(autocommit=True) as live:
            live_counts = _count(live, _tables())
        with _connect(scratch, autocommit=True) as restored_db:
            restored_tables = {
                r[0]
                for r in restored_db.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                ).fetchall()
            }
            restored = _count(restored_db, [t for t in tables if t in restored_tables])
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(scratch)} WITH (FORCE)")
    rows = []
    for table in tables:
        got, now = restored.get(table), live_counts.get(table)
        # Against the counts of the dump's own snapshot when recorded (a table created since is
        # in neither), else against the live database, which is right only just after the dump.
        expected = at_backup.get(table) if at_backup else now
        ok = got == expected
        if table == AUDIT_TABLE and got is not None and now is not None and now < got:
            ok = False  # the audit trail, shorter live than in a backup: rows were removed
        rows.append((table, expected, got, now, ok))
    return RestoreCheck(scratch=scratch, rows=rows)
