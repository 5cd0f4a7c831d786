"""One order for the summaries' row locks, whichever writer takes them: SelectionSummary, then
ApplicationSummary, then AbsorptionMonth, then IndicatorSummary.

The writers that touch two of them in two statements already take them in that order: selection_add
writes its selection (SelectionSummary), then the application's budget (ApplicationSummary); a money
record adds to its operation's ApplicationSummary row, then to its AbsorptionMonth. But an UPDATE of an
application (a change of status) runs its statement triggers in the order of their names (absorb,
count, indicators, summary), so a submission took the ApplicationSummary row before the
SelectionSummary row: a municipality adding a project while another of its regional unit submitted a
draft with that project waited for each other, and PostgreSQL aborted one with a deadlock error.
Renamed, the application's triggers fire in the one order (PostgreSQL fires triggers of one event by
name); their functions are unchanged."""

from django.db import migrations

TABLE = "grants_application"
# (old name, new name): the number in the new names is the lock order.
RENAMED = (
    ("grants_application_summary_update", "grants_application_1_selections_update"),
    *[
        (f"grants_application_count_{op}", f"grants_application_2_count_{op}")
        for op in ("insert", "update", "delete")
    ],
    ("grants_application_absorb_update", "grants_application_3_absorb_update"),
    *[
        (f"grants_application_indicators_{op}", f"grants_application_4_indicators_{op}")
        for op in ("insert", "update", "delete")
    ],
)


def _rename(schema_editor, pairs):
    if schema_editor.connection.vendor == "postgresql":
        for old, new in pairs:
            schema_editor.execute(f"ALTER TRIGGER {old} ON {TABLE} RENAME TO {new}", params=None)


def forwards(apps, schema_editor):
    _rename(schema_editor, RENAMED)


def backwards(apps, schema_editor):
    _rename(schema_editor, [(new, old) for old, new in RENAMED])


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0030_operations_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
