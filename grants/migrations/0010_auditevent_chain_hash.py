"""Chain the audit trail: every event stores a hash of its content and of the event before it
(grants.audit_chain). Events written before this migration are hashed here, in id order, with the same
function the writers and `verify_audit` use. The append-only trigger is switched off for that UPDATE
only, inside this migration's transaction (migrations run as the table's owner)."""

from django.db import migrations, models
from django.db.models import TextField
from django.db.models.functions import Cast

from grants import audit_chain

PAGE = 5000
TRIGGER = "grants_auditevent_append_only"


def hash_existing(apps, schema_editor):
    AuditEvent = apps.get_model("grants", "AuditEvent")
    connection = schema_editor.connection
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    postgresql = connection.vendor == "postgresql"
    stored = [c for c in audit_chain.COLUMNS if c not in ("before", "after")]
    events = AuditEvent.objects.using(connection.alias).order_by("id")
    previous, after_id = audit_chain.GENESIS, 0
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}")
        while True:
            page = list(
                events.filter(id__gt=after_id)
                .annotate(before_text=Cast("before", TextField()), after_text=Cast("after", TextField()))
                .values_list("id", *stored, "before_text", "after_text")[:PAGE]
            )
            if not page:
                break
            ids, hashes = [], []
            for pk, *values in page:
                before, after = audit_chain.parse_json(values[11]), audit_chain.parse_json(values[12])
                previous = audit_chain.event_hash(previous, (*values[:10], before, after, values[10]))
                ids.append(pk)
                hashes.append(previous)
            if postgresql:
                cursor.execute(
                    f"UPDATE {table} AS a SET chain_hash = v.h "
                    "FROM unnest(%s::bigint[], %s::varchar[]) AS v(id, h) WHERE a.id = v.id",
                    [ids, hashes],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET chain_hash = %s WHERE id = %s", list(zip(hashes, ids, strict=True))
                )
            after_id = ids[-1]
        if postgresql:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("grants", "0009_prepared_import")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="chain hash"),
            preserve_default=False,
        ),
        migrations.RunPython(hash_existing, migrations.RunPython.noop),
    ]
