"""The indicators of an operation (issue 14): the ERDF common indicators the call uses, RCO14 and
RCR11. An officer sets each target at inclusion; the municipality reports achieved values as measured
on a date, with their evidence; the latest measurement is the operation's achieved value. Totals per
region and per programme add the targets and the latest achieved values of the operations a user
may see (grants.selectors)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import audit, roles
from grants.models import (
    Application,
    Channel,
    Indicator,
    IndicatorSummary,
    IndicatorTarget,
    IndicatorValue,
    Programme,
    Region,
)
from grants.models import ApplicationStatus as S

TARGET_STATUSES = (S.TO_BE_INCLUDED, S.INCLUDED)
REPORT_STATUSES = (S.INCLUDED, S.COMPLETED)
# The groups of the totals: (key, name) of each group, through the application.
GROUPS = {
    "region": ("municipality__regional_unit__region__code", "municipality__regional_unit__region__name"),
    "programme": ("programme__code", "programme__title"),
}


class IndicatorError(ValidationError):
    """A refused indicator target or value: keyed by field (400) or a plain reason (409)."""


@dataclass
class IndicatorRow:
    code: str
    title: str
    target: int | None
    achieved: int | None
    measured_on: object
    evidence: str


def _code(code) -> str:
    code = str(code or "").strip().upper()
    if code not in Indicator.values:
        raise IndicatorError({"code": _("Choose one of: %(c)s.") % {"c": ", ".join(Indicator.values)}})
    return code


def _count(value, field) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise IndicatorError({field: _("Enter a whole number.")}) from None
    if number < 0 or number > 10**15:
        raise IndicatorError({field: _("Enter a whole number from 0.")})
    return number


def _lock(application) -> Application:
    return Application.objects.select_for_update().select_related("municipality").get(pk=application.pk)


def indicator_rows(application) -> list[IndicatorRow]:
    """Each indicator of the call with the operation's target and latest achieved value: two queries."""
    targets = dict(IndicatorTarget.objects.filter(application=application).values_list("code", "target"))
    latest = {}
    for value in IndicatorValue.objects.filter(application=application).order_by("code", "measured_on", "id"):
        latest[value.code] = value
    return [
        IndicatorRow(
            code=code,
            title=str(label),
            target=targets.get(code),
            achieved=latest[code].achieved if code in latest else None,
            measured_on=latest[code].measured_on if code in latest else None,
            evidence=latest[code].evidence if code in latest else "",
        )
        for code, label in Indicator.choices
    ]


def indicator_target_set(*, application, code, target, actor, channel=Channel.CODE) -> IndicatorTarget:
    """An officer sets (or corrects) an indicator's target, while the operation is to be included or
    included."""
    code, target = _code(code), _count(target, "target")
    with transaction.atomic():
        app = _lock(application)
        if not roles.is_officer(actor):
            raise IndicatorError(_("Only an officer sets the indicators' targets."))
        if app.status not in TARGET_STATUSES:
            raise IndicatorError(
                _("Targets are set when the operation is included (now: %(s)s).")
                % {"s": app.get_status_display()}
            )
        row = IndicatorTarget.objects.select_for_update().filter(application=app, code=code).first()
        before = {"target": row.target} if row else {}
        if row is not None and row.target == target:
            return row
        if row is None:
            row = IndicatorTarget.objects.create(application=app, code=code, target=target, set_by=actor)
        else:
            row.target, row.set_by, row.set_at = target, actor, timezone.now()
            row.save()
        audit.record(
            action="indicator.target",
            channel=channel,
            actor=actor,
            obj=row,
            before=before,
            after={"code": code, "target": target},
            municipality=app.municipality,
            application=app,
        )
    return row


def indicator_report(
    *, application, code, achieved, measured_on, evidence, actor, channel=Channel.CODE
) -> IndicatorValue:
    """The municipality reports an achieved value, as measured on a date, with its evidence."""
    code, achieved = _code(code), _count(achieved, "achieved")
    evidence = (evidence or "").strip()
    if measured_on in (None, ""):
        raise IndicatorError({"measured_on": _("Give the date of the measurement.")})
    if measured_on > timezone.localdate():
        raise IndicatorError({"measured_on": _("The date cannot be in the future.")})
    if not evidence:
        raise IndicatorError(
            {"evidence": _("Say what the value rests on (a report, a system's statistics).")}
        )
    with transaction.atomic():
        app = _lock(application)
        own = roles.municipality_of(actor)
        if own is None or own.pk != app.municipality_id:
            raise IndicatorError(_("Only the operation's municipality reports achieved values."))
        if app.status not in REPORT_STATUSES:
            raise IndicatorError(
                _("Achieved values are reported for an included or completed operation (now: %(s)s).")
                % {"s": app.get_status_display()}
            )
        if app.inclusion_date is not None and measured_on < app.inclusion_date:
            raise IndicatorError({"measured_on": _("The measurement cannot be dated before the inclusion.")})
        value = IndicatorValue.objects.create(
            application=app,
            code=code,
            achieved=achieved,
            measured_on=measured_on,
            evidence=evidence,
            reported_by=actor,
        )
        audit.record(
            action="indicator.report",
            channel=channel,
            actor=actor,
            obj=value,
            after=audit.snapshot(value, ["code", "achieved", "measured_on", "evidence"]),
            municipality=app.municipality,
            application=app,
        )
    return value


def indicator_totals(applications, *, group="programme") -> list[dict]:
    """Per group (region or programme) and indicator: the targets' sum and the latest achieved
    values' sum of the operations with a target or a value, over `applications` (already scoped).
    Over every application (staff), the indicator summary the database keeps answers (a few thousand
    rows; joining 52,000 targets and values to 100,000 applications, municipalities and regions took
    170-330 ms at EU scale). Otherwise one query: the targets and each operation's latest value per
    indicator, joined once to the scoped operations and grouped by the database (the operations
    without any are never summed)."""
    if group not in GROUPS:
        raise IndicatorError({"group": _("Choose one of: %(g)s.") % {"g": ", ".join(GROUPS)}})
    found = _summarised(applications.db, group) if _whole(applications) else _counted(applications, group)
    out = {}
    for code, label in Indicator.choices:
        for k in sorted(k for c, k in found if c == code):
            n, target_, achieved = found[(code, k)]
            entry = out.setdefault(k, {"key": k, "name": n, "indicators": []})
            entry["indicators"].append(
                {
                    "code": code,
                    "title": str(label),
                    "target": int(target_ or 0),
                    "achieved": int(achieved or 0),
                }
            )
    return [out[k] for k in sorted(out)]


def _whole(applications) -> bool:
    """Every application (a staff account's), where the database keeps the indicator summary."""
    query = applications.query
    return connections[applications.db].vendor == "postgresql" and not query.where and not query.is_sliced


# The summary's group of each key: a region through the regional unit, a programme directly.
_SUMMARY_GROUPS = {
    "region": ("regional_unit__region__code", "regional_unit__region__name"),
    "programme": ("programme__code", "programme__title"),
}


def _summarised(db, group) -> dict:
    """{(code, key): (name, target, achieved)} of every operation, from the indicator summary's rows
    (per programme, regional unit and indicator; migration 0029): groups with a target or a value."""
    key, name = _SUMMARY_GROUPS[group]
    rows = (
        IndicatorSummary.objects.using(db)
        .order_by()
        .values(key, name, "code")
        .annotate(records=Sum("records"), target=Sum("target"), achieved=Sum("achieved"))
        .filter(records__gt=0)
        .values_list("code", key, name, "target", "achieved")
    )
    return {(code, k): (n, target, achieved) for code, k, n, target, achieved in rows}


def _counted(applications, group) -> dict:
    """_summarised()'s figures from the targets and values of the operations of `applications`."""
    key, name = GROUPS[group]
    # Grouped by the region's or programme's id, named after: hashing integers, not names.
    group_field, group_model = {
        "region": ("municipality__regional_unit__region_id", Region),
        "programme": ("programme_id", Programme),
    }[group]
    scoped = applications.order_by().values(op=F("pk"), g=F(group_field))
    scoped_sql, params = scoped.query.sql_with_params()
    names = group_model.objects.values(g=F("pk"), k=F(key.rsplit("__", 1)[1]), n=F(name.rsplit("__", 1)[1]))
    names_sql, names_params = names.query.sql_with_params()
    target, value = IndicatorTarget._meta.db_table, IndicatorValue._meta.db_table
    # The operation's achieved value is its latest measurement (then the latest entered).
    sql = f"""
        WITH latest AS (
            SELECT DISTINCT ON (application_id, code) application_id, code, achieved FROM {value}
            ORDER BY application_id, code, measured_on DESC, id DESC),
        figures AS (
            SELECT application_id, code, target, 0 AS achieved FROM {target}
            UNION ALL SELECT application_id, code, 0, achieved FROM latest),
        summed AS (
            SELECT s.g, f.code, SUM(f.target) AS target, SUM(f.achieved) AS achieved
            FROM figures f JOIN ({scoped_sql}) s ON s.op = f.application_id
            GROUP BY 1, 2)
        SELECT names.k, names.n, summed.code, summed.target, summed.achieved
        FROM summed JOIN ({names_sql}) names ON names.g = summed.g"""
    with connections[scoped.db].cursor() as cursor:
        cursor.execute(sql, [*params, *names_params])
        return {(code, k): (n, target_, achieved) for k, n, code, target_, achieved in cursor.fetchall()}
