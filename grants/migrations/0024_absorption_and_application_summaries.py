"""The absorption summaries (grants.models.AbsorptionSummary per operation, AbsorptionMonth per
programme, status and month), kept by PostgreSQL as the selection summary is (0018): statement-level
triggers with transition tables add and subtract whole statements, so that a COPY of 300,000
declarations costs one grouped upsert per summary. Each money table's rows become flows (application,
month, contracted, declared, verified, paid), the one definition of what each figure counts
(grants.delivery.absorption): contracts by signature, declarations not rejected when declared, the
accepted amounts of verified ones when verified, authorised payments when paid. Months are taken in
settings.TIME_ZONE, as TruncMonth reads them. Upserts take rows in key order, so two writers wait for
each other instead of deadlocking. The money triggers lock their applications FOR SHARE before
reading their status, so that a concurrent status change (which moves the application's money
between AbsorptionMonth rows) either sees their rows or is seen by them. The application summary
(grants.models.ApplicationSummary: applications and budgets per programme, status and regional unit)
is kept the same way by applications' and municipalities' triggers. SQLite gets the tables only."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SUMMARY = "grants_absorptionsummary"
MONTHS = "grants_absorptionmonth"


def _month(column: str, tz: str | None) -> str:
    if tz is None:
        return f"date_trunc('month', {column})::date"
    return f"date_trunc('month', {column} AT TIME ZONE '{tz}')::date"


def flows(table: str, rows: str, tz: str) -> str:
    """SELECT application_id, month, c, d, v, p for the rows `rows` (a relation) of the money `table`."""
    columns = "application_id, {month} AS month, 1 AS n, {c} AS c, {d} AS d, {v} AS v, {p} AS p"
    if table == "grants_contract":
        picked = columns.format(month=_month("signed_on", None), c="amount", d=0, v=0, p=0)
        return f"SELECT {picked} FROM {rows} r"
    if table == "grants_expendituredeclaration":
        declared = columns.format(month=_month("declared_at", tz), c=0, d="amount", v=0, p=0)
        verified = columns.format(
            month=_month("verified_at", tz), c=0, d=0, v="COALESCE(accepted_amount, 0)", p=0
        )
        return (
            f"SELECT {declared} FROM {rows} r WHERE state <> 'rejected' "
            f"UNION ALL SELECT {verified} FROM {rows} r WHERE state = 'verified'"
        )
    assert table == "grants_payment"
    picked = columns.format(month=_month("paid_on", None), c=0, d=0, v=0, p="amount")
    return f"SELECT {picked} FROM {rows} r WHERE state = 'authorised'"


MONEY = ("grants_contract", "grants_expendituredeclaration", "grants_payment")
ADD = (
    "contracted = s.contracted + EXCLUDED.contracted, declared = s.declared + EXCLUDED.declared, "
    "verified = s.verified + EXCLUDED.verified, paid = s.paid + EXCLUDED.paid"
)
ADD_MONTH = f"{ADD}, records = s.records + EXCLUDED.records"


def _upserts(signed_flows: str) -> str:
    """Both summaries' upserts of `signed_flows` (flows, subtracted ones negated)."""
    return f"""
        INSERT INTO {SUMMARY} AS s (application_id, contracted, declared, verified, paid)
        SELECT application_id, sum(c), sum(d), sum(v), sum(p) FROM ({signed_flows}) f
        GROUP BY 1 ORDER BY 1
        ON CONFLICT (application_id) DO UPDATE SET {ADD};
        INSERT INTO {MONTHS} AS s (programme_id, status, month, records, contracted, declared, verified, paid)
        SELECT a.programme_id, a.status, f.month, sum(n), sum(c), sum(d), sum(v), sum(p)
        FROM ({signed_flows}) f JOIN grants_application a ON a.id = f.application_id
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (programme_id, status, month) DO UPDATE SET {ADD_MONTH};"""


def _negated(select: str) -> str:
    return f"SELECT application_id, month, -n AS n, -c AS c, -d AS d, -v AS v, -p AS p FROM ({select}) n"


def create_sql(tz: str) -> str:
    out = []
    for table in MONEY:
        old, new = flows(table, "old_rows", tz), flows(table, "new_rows", tz)
        out.append(f"""
CREATE OR REPLACE FUNCTION {table}_absorb() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM grants_application WHERE id IN (SELECT application_id FROM new_rows)
            ORDER BY id FOR SHARE;
        {_upserts(new)}
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM grants_application WHERE id IN (SELECT application_id FROM old_rows)
            ORDER BY id FOR SHARE;
        {_upserts(_negated(old))}
    ELSE
        PERFORM 1 FROM grants_application
            WHERE id IN (SELECT application_id FROM old_rows UNION SELECT application_id FROM new_rows)
            ORDER BY id FOR SHARE;
        {_upserts(f"{_negated(old)} UNION ALL {new}")}
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER {table}_absorb_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_absorb();
CREATE TRIGGER {table}_absorb_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_absorb();
CREATE TRIGGER {table}_absorb_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_absorb();
""")
    # An application that changes status or programme takes its money from one month row to another.
    moved = "(SELECT t.* FROM {table} t JOIN moved ON moved.id = t.application_id)"
    every = " UNION ALL ".join(flows(table, moved.format(table=table), tz) for table in MONEY)
    out.append(f"""
CREATE OR REPLACE FUNCTION grants_application_absorb() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {MONTHS} AS s (programme_id, status, month, records, contracted, declared, verified, paid)
    WITH moved AS (
        SELECT o.id, o.programme_id AS old_programme, o.status AS old_status,
               w.programme_id AS new_programme, w.status AS new_status
        FROM old_rows o JOIN new_rows w ON w.id = o.id
        WHERE (o.programme_id, o.status) IS DISTINCT FROM (w.programme_id, w.status)),
    f AS ({every})
    SELECT programme_id, status, month, sum(n), sum(c), sum(d), sum(v), sum(p) FROM (
        SELECT moved.old_programme AS programme_id, moved.old_status AS status, f.month,
               -f.n AS n, -f.c AS c, -f.d AS d, -f.v AS v, -f.p AS p
        FROM f JOIN moved ON moved.id = f.application_id
        UNION ALL
        SELECT moved.new_programme, moved.new_status, f.month, f.n, f.c, f.d, f.v, f.p
        FROM f JOIN moved ON moved.id = f.application_id
    ) signed
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, status, month) DO UPDATE SET {ADD_MONTH};
    RETURN NULL;
END;
$$;
CREATE TRIGGER grants_application_absorb_update AFTER UPDATE ON grants_application
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grants_application_absorb();
""")
    # What is there already.
    every = " UNION ALL ".join(flows(table, table, tz) for table in MONEY)
    out.append(_upserts(every))
    return "\n".join(out)


APPLICATIONS = "grants_applicationsummary"
ADD_APPLICATIONS = (
    "applications = s.applications + EXCLUDED.applications, budget = s.budget + EXCLUDED.budget"
)


def _count(signed: str) -> str:
    """The upsert of `signed` (programme_id, status, municipality_id, n, budget) into the application
    summary, by the municipality's regional unit."""
    return f"""
    INSERT INTO {APPLICATIONS} AS s (programme_id, status, regional_unit_id, applications, budget)
    SELECT x.programme_id, x.status, m.regional_unit_id, sum(x.n), sum(x.budget)
    FROM ({signed}) x JOIN grants_municipality m ON m.id = x.municipality_id
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, status, regional_unit_id) DO UPDATE SET {ADD_APPLICATIONS};"""


APPLICATION_SUMMARY = f"""
CREATE OR REPLACE FUNCTION grants_application_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_count("SELECT programme_id, status, municipality_id, 1 AS n, budget FROM new_rows")}
    ELSIF TG_OP = 'DELETE' THEN
        {_count("SELECT programme_id, status, municipality_id, -1 AS n, -budget AS budget FROM old_rows")}
    ELSE
        -- Only the applications whose programme, status, municipality or budget changed (most saves
        -- change none of them).
        {
    _count(
        "SELECT o.programme_id, o.status, o.municipality_id, -1 AS n, -o.budget AS budget "
        "FROM old_rows o JOIN new_rows w ON w.id = o.id "
        "WHERE (o.programme_id, o.status, o.municipality_id, o.budget) "
        "IS DISTINCT FROM (w.programme_id, w.status, w.municipality_id, w.budget) "
        "UNION ALL SELECT w.programme_id, w.status, w.municipality_id, 1, w.budget "
        "FROM old_rows o JOIN new_rows w ON w.id = o.id "
        "WHERE (o.programme_id, o.status, o.municipality_id, o.budget) "
        "IS DISTINCT FROM (w.programme_id, w.status, w.municipality_id, w.budget)"
    )
}
    END IF;
    RETURN NULL;
END;
$$;

-- A municipality that moves to another regional unit takes its applications with it.
CREATE OR REPLACE FUNCTION grants_municipality_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {APPLICATIONS} AS s (programme_id, status, regional_unit_id, applications, budget)
    SELECT programme_id, status, regional_unit_id, sum(n), sum(budget) FROM (
        SELECT a.programme_id, a.status, o.regional_unit_id, -1 AS n, -a.budget AS budget
        FROM old_rows o JOIN new_rows w ON w.id = o.id JOIN grants_application a ON a.municipality_id = o.id
        WHERE o.regional_unit_id IS DISTINCT FROM w.regional_unit_id
        UNION ALL
        SELECT a.programme_id, a.status, w.regional_unit_id, 1, a.budget
        FROM old_rows o JOIN new_rows w ON w.id = o.id JOIN grants_application a ON a.municipality_id = w.id
        WHERE o.regional_unit_id IS DISTINCT FROM w.regional_unit_id
    ) moved
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, status, regional_unit_id) DO UPDATE SET {ADD_APPLICATIONS};
    RETURN NULL;
END;
$$;

CREATE TRIGGER grants_application_count_insert AFTER INSERT ON grants_application
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_application_count();
CREATE TRIGGER grants_application_count_update AFTER UPDATE ON grants_application
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grants_application_count();
CREATE TRIGGER grants_application_count_delete AFTER DELETE ON grants_application
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_application_count();
CREATE TRIGGER grants_municipality_count_update AFTER UPDATE ON grants_municipality
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grants_municipality_count();

-- What is there already.
{_count("SELECT programme_id, status, municipality_id, 1 AS n, budget FROM grants_application")}
"""


DROP = "\n".join(
    [
        f"DROP TRIGGER IF EXISTS {table}_absorb_{op} ON {table}; "
        for table in MONEY
        for op in ("insert", "update", "delete")
    ]
    + [f"DROP FUNCTION IF EXISTS {table}_absorb();" for table in MONEY]
    + [
        "DROP TRIGGER IF EXISTS grants_application_absorb_update ON grants_application;",
        "DROP FUNCTION IF EXISTS grants_application_absorb();",
        "DROP TRIGGER IF EXISTS grants_application_count_insert ON grants_application;",
        "DROP TRIGGER IF EXISTS grants_application_count_update ON grants_application;",
        "DROP TRIGGER IF EXISTS grants_application_count_delete ON grants_application;",
        "DROP TRIGGER IF EXISTS grants_municipality_count_update ON grants_municipality;",
        "DROP FUNCTION IF EXISTS grants_application_count();",
        "DROP FUNCTION IF EXISTS grants_municipality_count();",
    ]
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The month key (NULLS NOT DISTINCT) is an index Django creates at the migration's end; the
        # upserts need it now.
        while schema_editor.deferred_sql:
            schema_editor.execute(schema_editor.deferred_sql.pop(0))
        schema_editor.execute(create_sql(settings.TIME_ZONE), params=None)
        schema_editor.execute(APPLICATION_SUMMARY, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0023_contract_signed_on_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="AbsorptionSummary",
            fields=[
                (
                    "application",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="absorption",
                        serialize=False,
                        to="grants.application",
                    ),
                ),
                ("contracted", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("declared", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("verified", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("paid", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
            ],
            options={
                "verbose_name": "absorption summary",
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="AbsorptionMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=20)),
                ("month", models.DateField(null=True)),
                ("records", models.IntegerField(default=0)),
                ("contracted", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("declared", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("verified", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("paid", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                (
                    "programme",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="grants.programme",
                    ),
                ),
            ],
            options={
                "verbose_name": "absorption month",
                "default_permissions": (),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("programme", "status", "month"),
                        name="absorption_month_key",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ApplicationSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=20)),
                ("applications", models.IntegerField(default=0)),
                ("budget", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                (
                    "programme",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="grants.programme",
                    ),
                ),
                (
                    "regional_unit",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="grants.regionalunit",
                    ),
                ),
            ],
            options={
                "verbose_name": "application summary",
                "default_permissions": (),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("programme", "status", "regional_unit"), name="application_summary_key"
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
