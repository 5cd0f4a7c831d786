"""How a stored audit value reads: the action's label, the field's label, a status's label, a name
instead of an id, «1.234.567,89 €», dd/mm/yyyy. The events keep the raw values they were written with
(history is append-only); only what is shown changes. Used by the admin's history and the portal's timeline.

Related objects are named in bulk: `names_for(events)` runs one query per related model for a whole
page of events, and the renderers below read only that result."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from grants.formatting import EMPTY, date_gr, datetime_gr, eur
from grants.workflow import ACTIONS

# (related model, pk) → the object's name as shown now.
Names = dict[tuple[type, object], str]

# What each recorded action is called. `workflow.<action>` takes the workflow's own label and
# `<model>.bulk_create` / `<model>.update` (reference data) the model's name, so neither list is kept twice.
ACTION_LABELS = {
    "application.create": gettext_lazy("Application created"),
    "selection.add": gettext_lazy("Project added"),
    "selection.change": gettext_lazy("Project changed"),
    "selection.remove": gettext_lazy("Project removed"),
    "municipality.update": gettext_lazy("Municipality changed"),
    "municipality.eligibility_override": gettext_lazy("Eligibility overridden"),
    "cap.override": gettext_lazy("Cap overridden"),
    "cap.override_cleared": gettext_lazy("Cap override removed"),
    "programme.create": gettext_lazy("Programme created"),
    "programme.update": gettext_lazy("Programme changed"),
    "catalogue.create": gettext_lazy("Catalogue entry created"),
    "catalogue.change": gettext_lazy("Catalogue entry changed"),
    "category.create": gettext_lazy("Category created"),
    "category.change": gettext_lazy("Category changed"),
    "account.create": gettext_lazy("Account created"),
    "account.change": gettext_lazy("Account changed"),
    "account.municipality": gettext_lazy("Account's municipality changed"),
    "account.activate": gettext_lazy("Account activated"),
    "account.deactivate": gettext_lazy("Account deactivated"),
    "account.password": gettext_lazy("Password set"),
    "account.token_issue": gettext_lazy("API token issued"),
    "account.token_revoke": gettext_lazy("API token revoked"),
    "account.mfa_enrol": gettext_lazy("Two-step verification set up"),
    "account.mfa_failed": gettext_lazy("Wrong one-time code"),
    "account.mfa_recovery_used": gettext_lazy("Recovery code used"),
    "account.mfa_recovery_regenerate": gettext_lazy("New recovery codes made"),
    "account.mfa_reset": gettext_lazy("Two-step verification reset"),
    "account.delete": gettext_lazy("Account deleted"),
    "report.export": gettext_lazy("Report exported"),
    "report.export_download": gettext_lazy("Export downloaded"),
    "report.export_expire": gettext_lazy("Export deleted after expiry"),
    "import.prepare": gettext_lazy("Import prepared"),
    "import.confirm": gettext_lazy("Import confirmed"),
    "import.refuse": gettext_lazy("Import confirmation refused"),
    "import.cancel": gettext_lazy("Prepared import cancelled"),
    "import.supersede": gettext_lazy("Prepared import superseded"),
    "group.create": gettext_lazy("Role group created"),
    "group.change": gettext_lazy("Role group changed"),
    "group.delete": gettext_lazy("Role group deleted"),
    "document_type.create": gettext_lazy("Document type created"),
    "document_type.change": gettext_lazy("Document type changed"),
    "document.upload": gettext_lazy("Document attached"),
    "document.delete": gettext_lazy("Document removed"),
    "document.download": gettext_lazy("Document downloaded"),
    "message.post": gettext_lazy("Message sent"),
    "message.attachment_download": gettext_lazy("Attachment downloaded"),
    "checklist.answer": gettext_lazy("Evaluation checklist answered"),
    "checklist_criterion.create": gettext_lazy("Evaluation criterion created"),
    "checklist_criterion.change": gettext_lazy("Evaluation criterion changed"),
    # Issue 14, the decision side (grants.delivery).
    "amendment.request": gettext_lazy("Amendment requested"),
    "amendment.propose": gettext_lazy("Amendment proposed"),
    "amendment.approve": gettext_lazy("Amendment approved"),
    "amendment.refuse": gettext_lazy("Amendment refused"),
    "application.amend": gettext_lazy("Decision amended"),
    "progress.set": gettext_lazy("Project progress recorded"),
    "indicator.target": gettext_lazy("Indicator target set"),
    "indicator.report": gettext_lazy("Indicator value reported"),
    "contract.create": gettext_lazy("Contract entered"),
    "contract.change": gettext_lazy("Contract changed"),
    "contract.check": gettext_lazy("Contract checked"),
    "declaration.create": gettext_lazy("Expenditure declared"),
    "declaration.change": gettext_lazy("Expenditure declaration changed"),
    "declaration.verify": gettext_lazy("Expenditure verified"),
    "declaration.reject": gettext_lazy("Expenditure declaration rejected"),
    "payment.prepare": gettext_lazy("Payment prepared"),
    "payment.authorise": gettext_lazy("Payment authorised"),
    "payment.cancel": gettext_lazy("Payment cancelled"),
}
# Values an event records that are no model's field: an import's counts, an export's job.
VALUE_LABELS = {
    "rows": gettext_lazy("Rows"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "warnings": gettext_lazy("Warnings"),
    "needing_approval": gettext_lazy("Rows needing an approver"),
    "total_budget": gettext_lazy("Total budget"),
    "job": gettext_lazy("Export job"),
    "new_budget": gettext_lazy("New budget"),
    "new_selections": gettext_lazy("New selections"),
    "new_end_date": gettext_lazy("New expected end date"),
    "decision_version": gettext_lazy("Version of the decision"),
    "keys": gettext_lazy("Codes"),
    "count": gettext_lazy("Number of records"),
    "model": gettext_lazy("Kind of data"),
    "report": gettext_lazy("Report"),
    "format": gettext_lazy("Format"),
    "filters": gettext_lazy("Filters"),
    "sha256": gettext_lazy("SHA-256 fingerprint"),
    "groups": gettext_lazy("Groups"),
}
# A list longer than this (the 332 municipalities' codes of a reference-data load) is cut short.
LIST_ITEMS = 12
# Of those, the amounts (stored as «877800.00»), shown as money.
AMOUNT_VALUES = {"total_budget", "new_budget"}
_BY_MODEL = {
    "bulk_create": gettext_lazy("%(models)s created from reference data"),
    "update": gettext_lazy("%(model)s changed from reference data"),
}


def action_label(code: str) -> str:
    """The action's name in the current language; an unknown code (an event written by an older
    version) reads as itself."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    prefix, _dot, verb = code.partition(".")
    if prefix == "workflow":
        spec = ACTIONS.get(verb)
        return gettext("Workflow: %(action)s") % {"action": spec.label} if spec else code
    model = _model_named(prefix)
    if model is not None and verb in _BY_MODEL:
        opts = model._meta
        return str(_BY_MODEL[verb]) % {
            "models": capfirst(opts.verbose_name_plural),
            "model": capfirst(opts.verbose_name),
        }
    return code


def action_labels() -> dict[str, str]:
    """Every action code the product writes, with its label in the current language: for reports
    that label actions in SQL (the audit trail's CSV is written by the database)."""
    codes = [
        *ACTION_LABELS,
        *(f"workflow.{name}" for name in ACTIONS),
        *(f"{model._meta.model_name}.{verb}" for model in apps.get_models() for verb in _BY_MODEL),
    ]
    return {code: action_label(code) for code in codes}


def _model_named(model_name: str):
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return model
    return None


def _model_by_label(label: str):
    """The model of a stored «app_label.model_name», or None."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def model_of(event):
    """The model the event is about (None for events about no single object, such as an export).
    ContentType's own cache answers, so a page of events costs no query here."""
    if event.content_type_id is None:
        return None
    return ContentType.objects.get_for_id(event.content_type_id).model_class()


def _field(model, key):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _is_reference(field) -> bool:
    return field is not None and field.is_relation and (field.many_to_one or field.one_to_one)


def _name(obj) -> str:
    if hasattr(obj, "get_username"):
        from grants.audit import actor_display  # the same words as the event's own actor_name

        return actor_display(obj)
    return str(obj)


def names_for(events, keys=None) -> Names:
    """The names of every object the events' values refer to by id (only under `keys`, when given):
    one query per related model."""
    wanted: dict[type, set] = {}
    for event in events:
        model = model_of(event)
        for values in (event.before or {}, event.after or {}):
            for key, value in values.items():
                if keys is not None and key not in keys:
                    continue
                field = _field(model, key)
                if _is_reference(field) and value not in (None, ""):
                    wanted.setdefault(field.related_model, set()).add(value)
    names: Names = {}
    for related, ids in wanted.items():
        for pk, obj in related._default_manager.in_bulk(ids).items():
            names[(related, pk)] = _name(obj)
    return names


def label(model, key) -> str:
    """The field's verbose name in the current language, capitalised as a label; the key itself for
    values that are not fields (an export's filters, a bulk creation's count)."""
    field = _field(model, key)
    if field is None or not hasattr(field, "verbose_name"):
        return str(VALUE_LABELS.get(key, key))
    return str(capfirst(field.verbose_name))


def _decimal(value) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return str(number).replace(".", ",")


def value(model, key, raw, names: Names, missing=None) -> str:
    """One stored value as a reader says it; a reference not in `names` reads as `missing` when
    given (the name the event kept, say), else as its id."""
    if raw is None or raw == "" or raw == []:
        # An event that did not record the reference (a selection's change keeps only what changed)
        # still names what it was about.
        return missing if missing is not None else EMPTY
    field = _field(model, key)
    if isinstance(raw, list):
        # A list of selections as decided ([{"project", "amount"}]) reads as «T01 1.000,00 €».
        items = [
            f"{item['project']} {eur(item['amount'])}"
            if isinstance(item, dict) and "project" in item
            else str(item)
            for item in raw
        ]
        shown = ", ".join(items[:LIST_ITEMS])
        more = len(items) - LIST_ITEMS
        return shown if more <= 0 else gettext("%(items)s and %(n)d more") % {"items": shown, "n": more}
    if isinstance(raw, dict):
        # An export's filters: «region: EL65; status: included».
        return "; ".join(f"{k}: {value(None, k, v, names)}" for k, v in raw.items()) or EMPTY
    if field is None and key == "model":
        named = _model_by_label(str(raw))
        return capfirst(named._meta.verbose_name_plural) if named is not None else str(raw)
    if field is None:
        return eur(raw) if key in AMOUNT_VALUES else str(raw)
    if _is_reference(field):
        return names.get((field.related_model, raw), str(raw) if missing is None else missing)
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if isinstance(field, models.BooleanField):
        return gettext("Yes") if raw else gettext("No")
    if isinstance(field, models.DecimalField):
        # Amounts carry cents; rates (four places) are fractions, not money.
        return eur(raw) if field.decimal_places == 2 else _decimal(raw)
    if isinstance(field, models.DateTimeField):
        parsed = raw if isinstance(raw, datetime) else parse_datetime(str(raw))
        return datetime_gr(parsed) if parsed else str(raw)
    if isinstance(field, models.DateField):
        parsed = raw if isinstance(raw, date) else parse_date(str(raw))
        return date_gr(parsed) if parsed else str(raw)
    return str(raw)


def changes(event, names: Names) -> list[tuple[str, str, str]]:
    """(label, before, after) for every key the event recorded, in the order recorded."""
    model = model_of(event)
    before, after = event.before or {}, event.after or {}
    keys = list(before) + [k for k in after if k not in before]
    rows = [
        (label(model, k), value(model, k, before.get(k), names), value(model, k, after.get(k), names))
        for k in keys
    ]
    # «Justification: — → —» says nothing: a value that reads the same before and after is left out.
    return [row for row in rows if row[1] != row[2]]
