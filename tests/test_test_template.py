"""The migrated template the test runs keep (tests/conftest.py) is named by a digest of what the
migrated database depends on; a digest that misses something lets a run take a stale template."""

from types import SimpleNamespace

from django.apps import apps

from tests import conftest


def _only_app(monkeypatch, tmp_path, migration: str):
    (tmp_path / "migrations").mkdir(exist_ok=True)
    (tmp_path / "migrations" / "0001_probe.py").write_text(migration)
    monkeypatch.setattr(apps, "get_app_configs", lambda: [SimpleNamespace(label="probe", path=str(tmp_path))])


def test_a_migration_importing_a_name_from_a_module(monkeypatch, tmp_path):
    # find_spec("grants.models.programme.MONEY") raises: every run stopped at its start.
    _only_app(monkeypatch, tmp_path, "from grants.models.programme import MONEY\n")
    assert conftest._schema_digest()


def test_a_module_a_runpython_function_imports_is_digested(monkeypatch, tmp_path):
    _only_app(
        monkeypatch, tmp_path, "def forwards(apps, schema_editor):\n    from grants import summaries_sql\n"
    )
    sql = tmp_path / "summaries_sql.py"
    monkeypatch.setattr(
        conftest, "_module_origin", lambda dotted: str(sql) if dotted == "grants.summaries_sql" else None
    )
    sql.write_text("SQL = 'CREATE TABLE a ()'\n")
    before = conftest._schema_digest()
    sql.write_text("SQL = 'CREATE TABLE b ()'\n")
    assert conftest._schema_digest() != before


def test_the_time_zone_the_summaries_are_computed_in_is_digested(settings):
    before = conftest._schema_digest()
    settings.TIME_ZONE = "UTC"
    assert conftest._schema_digest() != before
