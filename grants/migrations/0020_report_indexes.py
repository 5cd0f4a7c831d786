"""The search's exact-code branch over applications (`mis_code` or `decision_ada` iexact,
grants.text.search_q: UPPER(x) = UPPER(term)) read every application, 100,000 at EU scale, and with
the results ordered by municipality walked them all through the name index (3 s). An index on
each UPPER() finds the one or two matches.

The reports' aggregates over applications by status (the dashboard's funnel and commitment by
month, the budgets' commitment, absorption's operations) read the 36 MB table for five narrow
columns; an index on status that includes them is read instead (a seventh of the size: the
commitment by month went from 90 to 18 ms). PostgreSQL only, like 0019's."""

from django.db import migrations

INDEXES = {
    "grants_application_mis_upper_idx": "grants_application (UPPER(mis_code))",
    "grants_application_ada_upper_idx": "grants_application (UPPER(decision_ada))",
    "grants_application_report_idx": (
        "grants_application (status) INCLUDE (budget, municipality_id, inclusion_date, programme_id)"
    ),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("grants", "0019_municipality_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
