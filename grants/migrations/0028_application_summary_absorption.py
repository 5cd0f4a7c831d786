"""The absorption report's figures in the application summary (grants.models.ApplicationSummary: per
programme, status and regional unit): the budget as included (version 1's, else the application's
budget) and the money of the operation's AbsorptionSummary row (contracted, declared, verified,
paid), so that the report's totals, its regions and programmes, and the API's twins read a few
thousand rows instead of joining 100,000 applications to their municipalities and regions.

Kept by PostgreSQL like the rest of the summary (0024), each figure counted once whatever the order
of the writes: an application brings its included budget and its money row with it when it is
inserted, deleted, or changes programme, status, budget or municipality, and a municipality's
applications move with it to another regional unit (0024's two functions, replaced here); the
AbsorptionSummary rows (themselves kept by the money tables' triggers) add their changes to their
application's key, and so do the versions 1 of decisions. Each of these joins the application (and
its municipality): a row written before its application (foreign keys are deferred) is counted when
the application is. The versions' trigger locks the applications FOR SHARE first, as the money
triggers do (0024), so that a concurrent change of status sees its version or is seen by it."""

from django.db import migrations, models

APPLICATIONS = "grants_applicationsummary"
FIGURES = ("applications", "budget", "included_budget", "contracted", "declared", "verified", "paid")
ADD = ", ".join(f"{f} = s.{f} + EXCLUDED.{f}" for f in FIGURES)
SUMS = ", ".join(f"sum({f})" for f in FIGURES)
COLUMNS = ", ".join(FIGURES)


def _brought(rows: str, sign: str, where: str = "") -> str:
    """What each application of `rows` (a relation aliased r, with the application's columns) brings
    to its key, signed: (programme_id, status, municipality_id, and the FIGURES)."""
    return f"""
        SELECT r.programme_id, r.status, r.municipality_id, {sign}1 AS applications,
               {sign}r.budget AS budget, {sign}COALESCE(v.budget, r.budget) AS included_budget,
               {sign}COALESCE(m.contracted, 0) AS contracted, {sign}COALESCE(m.declared, 0) AS declared,
               {sign}COALESCE(m.verified, 0) AS verified, {sign}COALESCE(m.paid, 0) AS paid
        FROM {rows}
        LEFT JOIN grants_decisionversion v ON v.application_id = r.id AND v.version = 1
        LEFT JOIN grants_absorptionsummary m ON m.application_id = r.id
        {where}"""


def _upsert(signed: str) -> str:
    """The upsert of `signed` (programme_id, status, municipality_id, FIGURES) into the summary, by
    the municipality's regional unit."""
    return f"""
    INSERT INTO {APPLICATIONS} AS s (programme_id, status, regional_unit_id, {COLUMNS})
    SELECT x.programme_id, x.status, mu.regional_unit_id, {SUMS}
    FROM ({signed}) x JOIN grants_municipality mu ON mu.id = x.municipality_id
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, status, regional_unit_id) DO UPDATE SET {ADD};"""


CHANGED = (
    "(o.programme_id, o.status, o.municipality_id, o.budget) "
    "IS DISTINCT FROM (w.programme_id, w.status, w.municipality_id, w.budget)"
)
MOVED = "o.regional_unit_id IS DISTINCT FROM w.regional_unit_id"


def _money(rows: str, sign: str) -> str:
    return (
        f"SELECT application_id, 0 AS included_budget, {sign}contracted AS contracted, "
        f"{sign}declared AS declared, {sign}verified AS verified, {sign}paid AS paid FROM {rows}"
    )


def _version(rows: str, sign: str) -> str:
    """A version 1 of `rows` (signed + when written, - when removed): the included budget moves from
    the application's budget to the version's, or back."""
    return (
        f"SELECT r.application_id, {sign}(r.budget - a.budget) AS included_budget, "
        "0 AS contracted, 0 AS declared, 0 AS verified, 0 AS paid "
        f"FROM {rows} r JOIN grants_application a ON a.id = r.application_id WHERE r.version = 1"
    )


def _by_application(signed: str) -> str:
    """The upsert of `signed` (application_id, included_budget and the four money figures) into its
    application's key; applications not (yet) written are left out."""
    return f"""
    INSERT INTO {APPLICATIONS} AS s (programme_id, status, regional_unit_id, {COLUMNS})
    SELECT a.programme_id, a.status, mu.regional_unit_id, 0, 0, sum(x.included_budget),
           sum(x.contracted), sum(x.declared), sum(x.verified), sum(x.paid)
    FROM ({signed}) x JOIN grants_application a ON a.id = x.application_id
    JOIN grants_municipality mu ON mu.id = a.municipality_id
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, status, regional_unit_id) DO UPDATE SET {ADD};"""


def _both(part) -> str:
    """A trigger body that upserts part(rows, sign) of each transition table the operation has."""
    inserted, deleted = part("new_rows", ""), part("old_rows", "-")
    return f"""
    IF TG_OP = 'INSERT' THEN {_by_application(inserted)}
    ELSIF TG_OP = 'DELETE' THEN {_by_application(deleted)}
    ELSE {_by_application(f"{deleted} UNION ALL {inserted}")}
    END IF;"""


UPDATED = (
    _brought("old_rows r JOIN new_rows w ON w.id = r.id", "-", "WHERE " + CHANGED.replace("o.", "r."))
    + " UNION ALL "
    + _brought("new_rows r JOIN old_rows o ON o.id = r.id", "", "WHERE " + CHANGED.replace("w.", "r."))
)
LEAVING = _brought("grants_application r", "-", "WHERE r.municipality_id = o.id")
ARRIVING = _brought("grants_application r", "", "WHERE r.municipality_id = w.id")

FORWARD = f"""
CREATE OR REPLACE FUNCTION grants_application_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_upsert(_brought("new_rows r", ""))}
    ELSIF TG_OP = 'DELETE' THEN
        {_upsert(_brought("old_rows r", "-"))}
    ELSE
        -- Only the applications whose programme, status, municipality or budget changed (most saves
        -- change none of them).
        {_upsert(UPDATED)}
    END IF;
    RETURN NULL;
END;
$$;

-- A municipality that moves to another regional unit takes its applications with it.
CREATE OR REPLACE FUNCTION grants_municipality_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {APPLICATIONS} AS s (programme_id, status, regional_unit_id, {COLUMNS})
    SELECT programme_id, status, regional_unit_id, {SUMS} FROM (
        SELECT o.regional_unit_id, b.* FROM old_rows o JOIN new_rows w ON w.id = o.id
        CROSS JOIN LATERAL ({LEAVING}) b WHERE {MOVED}
        UNION ALL
        SELECT w.regional_unit_id, b.* FROM old_rows o JOIN new_rows w ON w.id = o.id
        CROSS JOIN LATERAL ({ARRIVING}) b
        WHERE {MOVED}
    ) moved
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (programme_id, status, regional_unit_id) DO UPDATE SET {ADD};
    RETURN NULL;
END;
$$;

-- An operation's money (its AbsorptionSummary row, moved by the money tables' triggers).
CREATE FUNCTION grants_absorptionsummary_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_both(_money)}
    RETURN NULL;
END;
$$;
CREATE TRIGGER grants_absorptionsummary_count_insert AFTER INSERT ON grants_absorptionsummary
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_absorptionsummary_count();
CREATE TRIGGER grants_absorptionsummary_count_update AFTER UPDATE ON grants_absorptionsummary
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grants_absorptionsummary_count();
CREATE TRIGGER grants_absorptionsummary_count_delete AFTER DELETE ON grants_absorptionsummary
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_absorptionsummary_count();

-- The included budget: version 1 of the decision, where there is one.
CREATE FUNCTION grants_decisionversion_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM 1 FROM grants_application
            WHERE id IN (SELECT application_id FROM new_rows WHERE version = 1) ORDER BY id FOR SHARE;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM 1 FROM grants_application
            WHERE id IN (SELECT application_id FROM old_rows WHERE version = 1) ORDER BY id FOR SHARE;
    END IF;
    {_both(_version)}
    RETURN NULL;
END;
$$;
CREATE TRIGGER grants_decisionversion_count_insert AFTER INSERT ON grants_decisionversion
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_decisionversion_count();
CREATE TRIGGER grants_decisionversion_count_update AFTER UPDATE ON grants_decisionversion
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grants_decisionversion_count();
CREATE TRIGGER grants_decisionversion_count_delete AFTER DELETE ON grants_decisionversion
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_decisionversion_count();

-- What is there already: the new figures of every key, from every application.
UPDATE {APPLICATIONS} s SET included_budget = f.included_budget, contracted = f.contracted,
    declared = f.declared, verified = f.verified, paid = f.paid
FROM (
    SELECT x.programme_id, x.status, mu.regional_unit_id, sum(x.included_budget) AS included_budget,
           sum(x.contracted) AS contracted, sum(x.declared) AS declared, sum(x.verified) AS verified,
           sum(x.paid) AS paid
    FROM ({_brought("grants_application r", "")}) x JOIN grants_municipality mu ON mu.id = x.municipality_id
    GROUP BY 1, 2, 3
) f
WHERE (s.programme_id, s.status, s.regional_unit_id) = (f.programme_id, f.status, f.regional_unit_id);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS grants_absorptionsummary_count_insert ON grants_absorptionsummary;
DROP TRIGGER IF EXISTS grants_absorptionsummary_count_update ON grants_absorptionsummary;
DROP TRIGGER IF EXISTS grants_absorptionsummary_count_delete ON grants_absorptionsummary;
DROP FUNCTION IF EXISTS grants_absorptionsummary_count();
DROP TRIGGER IF EXISTS grants_decisionversion_count_insert ON grants_decisionversion;
DROP TRIGGER IF EXISTS grants_decisionversion_count_update ON grants_decisionversion;
DROP TRIGGER IF EXISTS grants_decisionversion_count_delete ON grants_decisionversion;
DROP FUNCTION IF EXISTS grants_decisionversion_count();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        previous = import_module("grants.migrations.0024_absorption_and_application_summaries")
        # 0024's functions and triggers again, and its counts rebuilt from the applications (the
        # columns this migration added, removed next, take their default meanwhile).
        schema_editor.execute(BACKWARD, params=None)
        for name in MONEY_COLUMNS:
            schema_editor.execute(
                f"ALTER TABLE {APPLICATIONS} ALTER COLUMN {name} SET DEFAULT 0", params=None
            )
        schema_editor.execute(previous.DROP, params=None)
        schema_editor.execute(
            f"DELETE FROM {APPLICATIONS}; DELETE FROM grants_absorptionmonth; "
            "DELETE FROM grants_absorptionsummary;",
            params=None,
        )
        schema_editor.execute(previous.create_sql(previous.settings.TIME_ZONE), params=None)
        schema_editor.execute(previous.APPLICATION_SUMMARY, params=None)


MONEY_COLUMNS = ("included_budget", "contracted", "declared", "verified", "paid")


def _money_field():
    return models.DecimalField(decimal_places=2, default=0, max_digits=16)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0027_user_search_index"),
    ]

    operations = [
        *[
            migrations.AddField(model_name="applicationsummary", name=name, field=_money_field())
            for name in MONEY_COLUMNS
        ],
        migrations.RunPython(forwards, backwards),
    ]
