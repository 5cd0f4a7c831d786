"""The indicator summary (grants.models.IndicatorSummary: targets and latest achieved values per
programme, regional unit and indicator), kept by PostgreSQL like the application summary (0024, 0025):
statement triggers with transition tables, so that COPY and bulk SQL are counted. An operation's
achieved value is its latest measurement (then the latest entered): the values' trigger takes the
latest of each touched operation and indicator after the statement, less the latest before it (the
table without the statement's new rows, with its old ones). An application brings its targets and
latest values when it is inserted, deleted or moved to another programme or municipality, and a
municipality its applications' when it moves to another regional unit. Each trigger reaches the key
through the application: a row written before its application (deferred keys) is counted when the
application is. The targets' and values' triggers lock their applications FOR SHARE first, as the
money triggers do (0024). Upserts take keys in order, so two writers wait instead of deadlocking.
SQLite gets the table only."""

import django.db.models.deletion
from django.db import migrations, models

SUMMARY = "grants_indicatorsummary"
UPSERT_HEAD = f"INSERT INTO {SUMMARY} AS s (programme_id, regional_unit_id, code, records, target, achieved)"
ADD = (
    "records = s.records + EXCLUDED.records, target = s.target + EXCLUDED.target, "
    "achieved = s.achieved + EXCLUDED.achieved"
)
LATEST = "ORDER BY application_id, code, measured_on DESC, id DESC"


def _upsert(signed: str) -> str:
    """The upsert of `signed` (programme_id, regional_unit_id, code, records, target, achieved)."""
    return f"""
    {UPSERT_HEAD}
    SELECT programme_id, regional_unit_id, code, sum(records), sum(target), sum(achieved) FROM ({signed}) x
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, regional_unit_id, code) DO UPDATE SET {ADD};"""


def _figures(ids: str) -> str:
    """(application_id, code, records, target, achieved) of the applications `ids` selects: their
    targets and their latest values."""
    return f"""
        SELECT application_id, code, 1 AS records, target, 0::bigint AS achieved
        FROM grants_indicatortarget WHERE application_id IN ({ids})
        UNION ALL
        SELECT application_id, code, 1, 0, achieved FROM (
            SELECT DISTINCT ON (application_id, code) application_id, code, achieved
            FROM grants_indicatorvalue WHERE application_id IN ({ids}) {LATEST}) latest"""


def _brought(rows: str, sign: str, where: str = "TRUE") -> str:
    """What the applications of `rows` (aliased r) bring to their keys, signed."""
    return f"""
        SELECT r.programme_id, mu.regional_unit_id, f.code, {sign}f.records AS records,
               {sign}f.target AS target, {sign}f.achieved AS achieved
        FROM {rows} JOIN grants_municipality mu ON mu.id = r.municipality_id
        JOIN ({_figures(f"SELECT r.id FROM {rows} WHERE {where}")}) f ON f.application_id = r.id
        WHERE {where}"""


def _keyed(signed: str) -> str:
    """`signed` (application_id, code, records, target, achieved) by its application's key;
    applications not (yet) written are left out."""
    return f"""
        SELECT a.programme_id, mu.regional_unit_id, x.code, x.records, x.target, x.achieved
        FROM ({signed}) x JOIN grants_application a ON a.id = x.application_id
        JOIN grants_municipality mu ON mu.id = a.municipality_id"""


def _lock(table: str) -> str:
    return (
        f"PERFORM 1 FROM grants_application WHERE id IN (SELECT application_id FROM {table}) "
        "ORDER BY id FOR SHARE;"
    )


MOVED_APPLICATION = "(o.programme_id, o.municipality_id) IS DISTINCT FROM (w.programme_id, w.municipality_id)"
MOVED_MUNICIPALITY = "o.regional_unit_id IS DISTINCT FROM w.regional_unit_id"


def _targets(rows: str, sign: str) -> str:
    return (
        f"SELECT application_id, code, {sign}1 AS records, {sign}target AS target, "
        f"0::bigint AS achieved FROM {rows}"
    )


def _values(new: bool, old: bool) -> str:
    """The latest values of the touched operations and indicators, after the statement (+) and before
    it (-)."""
    touched = " UNION ".join(
        f"SELECT application_id, code FROM {t}" for t, used in (("new_rows", new), ("old_rows", old)) if used
    )
    mine = f"SELECT v.* FROM grants_indicatorvalue v JOIN ({touched}) t USING (application_id, code)"
    before = f"SELECT application_id, code, achieved, measured_on, id FROM ({mine}) v"
    if new:
        before += " WHERE v.id NOT IN (SELECT id FROM new_rows)"
    if old:
        before += " UNION ALL SELECT application_id, code, achieved, measured_on, id FROM old_rows"
    return f"""
        SELECT application_id, code, 1 AS records, 0::bigint AS target, achieved FROM (
            SELECT DISTINCT ON (application_id, code) application_id, code, achieved FROM ({mine}) m {LATEST}
        ) after_
        UNION ALL
        SELECT application_id, code, -1, 0, -achieved FROM (
            SELECT DISTINCT ON (application_id, code) application_id, code, achieved
            FROM ({before}) b {LATEST}
        ) before_"""


def _by_op(insert: str, delete: str, update: str) -> str:
    return f"""
    IF TG_OP = 'INSERT' THEN {insert}
    ELSIF TG_OP = 'DELETE' THEN {delete}
    ELSE {update}
    END IF;"""


MOVED_FROM = "old_rows o JOIN new_rows w ON w.id = o.id"
MOVED_FIGURES = _figures(
    f"SELECT a.id FROM {MOVED_FROM} JOIN grants_application a ON a.municipality_id = o.id "
    f"WHERE {MOVED_MUNICIPALITY}"
)
FORWARD = f"""
CREATE FUNCTION grants_indicatortarget_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {
    _by_op(
        _lock("new_rows") + _upsert(_keyed(_targets("new_rows", ""))),
        _lock("old_rows") + _upsert(_keyed(_targets("old_rows", "-"))),
        _lock("old_rows")
        + _lock("new_rows")
        + _upsert(_keyed(_targets("old_rows", "-") + " UNION ALL " + _targets("new_rows", ""))),
    )
}
    RETURN NULL;
END;
$$;

CREATE FUNCTION grants_indicatorvalue_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {
    _by_op(
        _lock("new_rows") + _upsert(_keyed(_values(True, False))),
        _lock("old_rows") + _upsert(_keyed(_values(False, True))),
        _lock("old_rows") + _lock("new_rows") + _upsert(_keyed(_values(True, True))),
    )
}
    RETURN NULL;
END;
$$;

CREATE FUNCTION grants_application_indicators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {
    _by_op(
        _upsert(_brought("new_rows r", "")),
        _upsert(_brought("old_rows r", "-")),
        _upsert(
            _brought("old_rows r JOIN new_rows w ON w.id = r.id", "-", MOVED_APPLICATION.replace("o.", "r."))
            + " UNION ALL "
            + _brought("new_rows r JOIN old_rows o ON o.id = r.id", "", MOVED_APPLICATION.replace("w.", "r."))
        ),
    )
}
    RETURN NULL;
END;
$$;

-- A municipality that moves to another regional unit takes its applications' indicators with it.
CREATE FUNCTION grants_municipality_indicators() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {
    _upsert(f'''
        SELECT a.programme_id, o.regional_unit_id, f.code, -f.records AS records, -f.target AS target,
               -f.achieved AS achieved
        FROM {MOVED_FROM} JOIN grants_application a ON a.municipality_id = o.id
        JOIN ({MOVED_FIGURES}) f
            ON f.application_id = a.id
        WHERE {MOVED_MUNICIPALITY}
        UNION ALL
        SELECT a.programme_id, w.regional_unit_id, f.code, f.records, f.target, f.achieved
        FROM {MOVED_FROM} JOIN grants_application a ON a.municipality_id = o.id
        JOIN ({MOVED_FIGURES}) f
            ON f.application_id = a.id
        WHERE {MOVED_MUNICIPALITY}''')
}
    RETURN NULL;
END;
$$;
"""
for table, function in (
    ("grants_indicatortarget", "grants_indicatortarget_count"),
    ("grants_indicatorvalue", "grants_indicatorvalue_count"),
    ("grants_application", "grants_application_indicators"),
):
    FORWARD += f"""
CREATE TRIGGER {function}_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {function}_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {function}_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
FORWARD += f"""
CREATE TRIGGER grants_municipality_indicators_update AFTER UPDATE ON grants_municipality
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grants_municipality_indicators();

-- What is there already.
{_upsert(_keyed(_figures("SELECT id FROM grants_application")))}
"""

BACKWARD = "\n".join(
    [
        f"DROP TRIGGER IF EXISTS {function}_{op} ON {table};"
        for table, function in (
            ("grants_indicatortarget", "grants_indicatortarget_count"),
            ("grants_indicatorvalue", "grants_indicatorvalue_count"),
            ("grants_application", "grants_application_indicators"),
        )
        for op in ("insert", "update", "delete")
    ]
    + [
        "DROP TRIGGER IF EXISTS grants_municipality_indicators_update ON grants_municipality;",
        "DROP FUNCTION IF EXISTS grants_indicatortarget_count();",
        "DROP FUNCTION IF EXISTS grants_indicatorvalue_count();",
        "DROP FUNCTION IF EXISTS grants_application_indicators();",
        "DROP FUNCTION IF EXISTS grants_municipality_indicators();",
    ]
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The key (a unique constraint) is an index Django creates at the migration's end; the
        # upserts need it now.
        while schema_editor.deferred_sql:
            schema_editor.execute(schema_editor.deferred_sql.pop(0))
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0028_application_summary_absorption"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndicatorSummary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=10)),
                ("records", models.IntegerField(default=0)),
                ("target", models.BigIntegerField(default=0)),
                ("achieved", models.BigIntegerField(default=0)),
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
                "verbose_name": "indicator summary",
                "default_permissions": (),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("programme", "regional_unit", "code"), name="indicator_summary_key"
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
