"""A version of the municipal registry, moved on by PostgreSQL whenever a statement changes what the
published names depend on (a municipality's name, regional unit, its coming or going; a regional
unit's code, name or region; a region's name). grants.imports.matching keeps the published names
under it: reading it is one row, where the fingerprint it replaces hashed every municipality on
every request (the inclusions report, at 100,000 municipalities). The version is drawn from a
sequence, so a rolled-back change never hands its number to another registry. SQLite (the demo)
keeps the fingerprint of the content itself."""

from django.db import migrations

TRIGGERS = {
    "grants_municipality": "INSERT OR DELETE OR TRUNCATE OR UPDATE OF name, regional_unit_id",
    "grants_regionalunit": "INSERT OR DELETE OR TRUNCATE OR UPDATE OF code, name, region_id",
    "grants_region": "INSERT OR DELETE OR TRUNCATE OR UPDATE OF name",
}

CREATE = """
CREATE SEQUENCE IF NOT EXISTS grants_registry_version_seq;
CREATE TABLE IF NOT EXISTS grants_registryversion (
    id smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO grants_registryversion (id, version) VALUES (1, nextval('grants_registry_version_seq'))
ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION grants_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE grants_registryversion SET version = nextval('grants_registry_version_seq') WHERE id = 1;
    RETURN NULL;
END;
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table, events in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_registry_changed ON {table}", params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_registry_changed AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION grants_registry_changed()",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_registry_changed ON {table}", params=None)
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS grants_registry_changed(); DROP TABLE IF EXISTS grants_registryversion; "
        "DROP SEQUENCE IF EXISTS grants_registry_version_seq",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("grants", "0020_report_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
