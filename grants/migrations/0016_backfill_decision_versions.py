"""Version 1 of the decision for every operation included before versions were kept (issue 14),
from its current figures: the inclusion's ΑΔΑ and date, its budget, its selections and end date.
Operations later de-included keep theirs too: versions stay as what was decided."""

from django.db import migrations

DECIDED = ("included", "deincluded", "completed")


def backfill(apps, schema_editor):
    Application = apps.get_model("grants", "Application")
    DecisionVersion = apps.get_model("grants", "DecisionVersion")
    Selection = apps.get_model("projects", "Selection")
    missing = (
        Application.objects.filter(status__in=DECIDED, decision_versions__isnull=True)
        .exclude(status="deincluded", inclusion_date__isnull=True)
        .order_by("pk")
    )
    batch = []
    for app in missing.iterator(chunk_size=2000):
        rows = Selection.objects.filter(application_id=app.pk).order_by("project__code")
        batch.append(
            DecisionVersion(
                application_id=app.pk,
                version=1,
                kind="inclusion",
                decision_ada=app.decision_ada or "",
                decision_date=app.inclusion_date,
                budget=app.budget,
                selections=[
                    {"project": code, "amount": f"{amount:.2f}"}
                    for code, amount in rows.values_list("project__code", "amount")
                ],
                end_date=app.end_date,
            )
        )
        if len(batch) >= 2000:
            DecisionVersion.objects.bulk_create(batch)
            batch = []
    DecisionVersion.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0015_amendments_progress_indicators_completion"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
