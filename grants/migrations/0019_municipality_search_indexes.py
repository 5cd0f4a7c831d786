"""Searching 100,000 municipalities: a trigram index serves the folded-name search (`search_key LIKE
'%word%'`, grants.text.search_q) and an index on UPPER(elstat_code) its exact-code branch (`iexact`),
instead of reading every municipality. PostgreSQL only; pg_trgm is a trusted extension (PostgreSQL 13+),
which the tables' owner may create. Where it cannot be created the search still works, unindexed."""

from django.db import migrations

CODE_INDEX = "CREATE INDEX IF NOT EXISTS grants_municipality_code_upper_idx ON grants_municipality (UPPER(elstat_code))"
TRIGRAM_INDEX = (
    "CREATE INDEX IF NOT EXISTS grants_municipality_search_trgm_idx "
    "ON grants_municipality USING gin (search_key gin_trgm_ops)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CODE_INDEX, params=None)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        installed = cursor.fetchone() is not None
        if not installed:
            cursor.execute("SAVEPOINT sc_trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT sc_trgm")
                installed = True
            except Exception:  # no right to create it: the search stays unindexed
                cursor.execute("ROLLBACK TO SAVEPOINT sc_trgm")
    if installed:
        schema_editor.execute(TRIGRAM_INDEX, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS grants_municipality_search_trgm_idx", params=None)
        schema_editor.execute("DROP INDEX IF EXISTS grants_municipality_code_upper_idx", params=None)


class Migration(migrations.Migration):
    dependencies = [("grants", "0018_selection_summary")]
    operations = [migrations.RunPython(forwards, backwards)]
