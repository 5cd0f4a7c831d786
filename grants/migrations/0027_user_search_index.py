"""The staff search's accounts (grants.search: username, first or last name containing the term, in any
case) among 80,000 accounts at EU scale (one per municipality): a trigram index on the upper-cased
three columns, the expressions Django's `icontains` writes, finds them instead of reading every
account. PostgreSQL with pg_trgm only (migration 0019 creates the extension where it may); elsewhere the
search still works, unindexed. One GIN index over the three: an OR of the three uses it three times."""

from django.db import migrations

INDEX = "grants_user_search_trgm_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON auth_user USING gin "
        "(UPPER(username) gin_trgm_ops, UPPER(first_name) gin_trgm_ops, UPPER(last_name) gin_trgm_ops)",
        params=None,
    )
    # The planner's statistics of the indexed expressions: without them it guesses that a term matches
    # thousands of accounts and walks every username in order rather than use the index.
    schema_editor.execute("ANALYZE auth_user", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [("grants", "0026_search_indexes"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]
