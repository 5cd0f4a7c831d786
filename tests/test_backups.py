"""`backup` and `restore_check` with the real pg_dump and pg_restore on the test database: the dump,
its SHA-256 in sha256sum's format, a restore into a scratch database that is always dropped, and the
row counts compared; a damaged or unverifiable file is refused before anything is restored."""

import io
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from grants import services
from grants.backups import sha256_of

# pg_dump, restores into scratch databases: long, so `slow` (CI runs it).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is missing (postgresql-client)"),
]


@pytest.fixture
def world(kalamata, kalamata_user, programme, catalogue):
    services.application_get_or_create(programme=programme, municipality=kalamata, actor=kalamata_user)


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def backup(tmp_path):
    output = run("backup", "--dir", str(tmp_path))
    return next(tmp_path.glob("*.dump")), output


def scratch_databases():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [connection.settings_dict["NAME"][:32] + "_restore_check_%"],
        )
        return [row[0] for row in cursor.fetchall()]


def count(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def test_backup_writes_a_custom_format_dump_and_its_sha256(tmp_path, world):
    dump, output = backup(tmp_path)
    checksum = dump.with_name(dump.name + ".sha256")
    assert str(dump) in output and str(checksum) in output and sha256_of(dump) in output
    assert dump.name.startswith(connection.settings_dict["NAME"] + "-") and dump.stat().st_mode & 0o077 == 0
    # sha256sum's own format: the standard tool verifies it.
    assert (
        subprocess.run(["sha256sum", "-c", checksum.name], cwd=tmp_path, capture_output=True).returncode == 0
    )
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
    assert "TABLE DATA public grants_auditevent" in listing.stdout
    counts = json.loads(dump.with_name(dump.name + ".counts.json").read_text())["row_counts"]
    assert counts["grants_auditevent"] == count("grants_auditevent") > 0
    assert counts["grants_application"] == 1


def test_restore_check_restores_compares_and_drops_the_scratch(tmp_path, world, pyli, pyli_user, programme):
    dump, _ = backup(tmp_path)
    # The live database moves on after the dump; the dump is judged by its own snapshot's counts.
    services.application_get_or_create(programme=programme, municipality=pyli, actor=pyli_user)
    output = run("restore_check", str(dump))
    row = next(line.split() for line in output.splitlines() if line.startswith("grants_application "))
    assert row == ["grants_application", "1", "1", "2", "ok"]
    assert "MISMATCH" not in output and "tables match" in output
    assert scratch_databases() == []


def test_a_damaged_dump_is_refused_before_anything_is_restored(tmp_path, world):
    dump, _ = backup(tmp_path)
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not match its SHA-256.*damaged"):
        run("restore_check", str(dump))
    assert scratch_databases() == []


def test_a_dump_without_its_checksum_is_refused(tmp_path, world):
    dump, _ = backup(tmp_path)
    dump.with_name(dump.name + ".sha256").unlink()
    with pytest.raises(CommandError, match="missing"):
        run("restore_check", str(dump))


def test_a_dump_missing_rows_is_a_mismatch_and_the_scratch_is_dropped_all_the_same(tmp_path, world):
    dump, _ = backup(tmp_path)
    # As if the dump had lost a row: its recorded count says one more (checksums made to agree).
    counts_path = dump.with_name(dump.name + ".counts.json")
    manifest = json.loads(counts_path.read_text())
    manifest["row_counts"]["grants_municipality"] += 1
    counts_path.write_text(json.dumps(manifest))
    dump.with_name(dump.name + ".sha256").write_text(
        f"{sha256_of(dump)}  {dump.name}\n{sha256_of(counts_path)}  {counts_path.name}\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="grants_municipality"):
        call_command("restore_check", str(dump), stdout=out)
    assert "MISMATCH" in next(
        line for line in out.getvalue().splitlines() if line.startswith("grants_municipality")
    )
    assert scratch_databases() == []


def test_an_audit_trail_shorter_than_in_the_backup_is_reported(tmp_path, world):
    dump, _ = backup(tmp_path)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE grants_auditevent")  # only the tables' owner can; the app role cannot
    with pytest.raises(CommandError, match="grants_auditevent"):
        run("restore_check", str(dump))


def test_sqlite_is_refused_with_a_clear_message(tmp_path):
    import os
    import sys

    env = {**os.environ, "DATABASE_URL": "sqlite://:memory:", "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "manage.py", "backup", "--dir", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "PostgreSQL only" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_role_that_cannot_create_databases_is_told_which_to_use(tmp_path, world):
    dump, _ = backup(tmp_path)
    role = f"sc_test_nocreatedb_{uuid.uuid4().hex[:12]}"
    owner = connection.settings_dict["USER"]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN NOCREATEDB")
    try:
        connection.close()
        connection.settings_dict["USER"] = role  # the next connection is made as that role
        with pytest.raises(CommandError, match="CREATEDB"):
            run("restore_check", str(dump))
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner
        with connection.cursor() as cursor:
            cursor.execute(f"DROP ROLE {role}")
