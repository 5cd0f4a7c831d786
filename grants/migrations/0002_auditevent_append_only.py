"""Refuse UPDATE and DELETE of audit events in PostgreSQL itself, so that neither raw SQL nor a
future code path can rewrite history. TRUNCATE stays possible for test-database flushes and
deliberate administrative resets; it is not a row-level operation an application could issue."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION grants_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'grants_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS grants_auditevent_append_only ON grants_auditevent;
CREATE TRIGGER grants_auditevent_append_only
    BEFORE UPDATE OR DELETE ON grants_auditevent
    FOR EACH ROW EXECUTE FUNCTION grants_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS grants_auditevent_append_only ON grants_auditevent;
DROP FUNCTION IF EXISTS grants_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("grants", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
