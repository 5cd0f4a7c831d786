"""A search for a common word at EU scale (issue 15: «gemeinde», 20,000 of 100,000 municipalities):
the municipalities' name index carries the search's columns, so the list's page is found in name order
from the index alone, and the applications' municipality index carries what the list's totals sum.
Each replaces an index on the same key (no new index to keep on writes); the new ones are built before
the old ones go, so lookups stay indexed throughout. The foreign key's own index is dropped by its
name alone: Django's AlterField would also drop and re-check the constraint on every application."""

import django.db.models.deletion
from django.db import migrations, models

FK_INDEX = "grants_application_municipality_id_887b72dd"


class Migration(migrations.Migration):
    dependencies = [("grants", "0025_message_latest_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["municipality"], include=("id", "status", "budget"), name="application_municipality_idx"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{FK_INDEX}"',
                    f'CREATE INDEX "{FK_INDEX}" ON "grants_application" ("municipality_id")',
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="application",
                    name="municipality",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="applications",
                        to="grants.municipality",
                        verbose_name="municipality",
                    ),
                )
            ],
        ),
        migrations.AddIndex(
            model_name="municipality",
            index=models.Index(
                fields=["name"], include=("id", "search_key", "elstat_code"), name="municipality_name_search_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="municipality", name="grants_municipality_name_idx"),
    ]
