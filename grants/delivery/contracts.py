"""Legal commitments («νομικές δεσμεύσεις»): the contracts an included operation signs for its
selected projects. Entered by the municipality (portal, API), checked by an officer, audited. The
contracts of one project never exceed the project's current amount (its Selection.amount), held under
the application's row lock; a contract's amount never goes below what was declared against it."""

import re
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.models import Channel, Contract, DeclarationState, ExpenditureDeclaration, ProcurementProcedure
from projects.models import CatalogueProject, Selection

from . import money_common as common
from .afm import normalize_afm
from .money_common import DeliveryError

CONTRACT_AUDITED = [
    "project",
    "contractor_name",
    "contractor_afm",
    "amount",
    "signed_on",
    "adam",
    "procedure",
]
EDITABLE = ["contractor_name", "contractor_afm", "amount", "signed_on", "adam", "procedure"]

# ΚΗΜΔΗΣ ΑΔΑΜ: two digits of the year, the kind of act, nine digits, e.g. 24SYMV014588301.
ADAM_KINDS = ("REQ", "PROC", "AWRD", "SYMV", "PAY")
ADAM_RE = re.compile(r"^(\d{2})(" + "|".join(ADAM_KINDS) + r")(\d{9})$")


def normalize_adam(value, *, field: str = "adam") -> str:
    """The ΑΔΑΜ as stored: capitals, without spaces or dashes; refused unless it is year (2 digits) +
    kind (REQ, PROC, AWRD, SYMV, PAY) + 9 digits."""
    text = re.sub(r"[\s\-]", "", str(value or "")).upper()
    if not ADAM_RE.match(text):
        raise DeliveryError(
            {
                field: _(
                    "«%(v)s» is not a ΚΗΜΔΗΣ ΑΔΑΜ: two digits of the year, the kind (%(kinds)s) and nine "
                    "digits, e.g. 24SYMV014588301."
                )
                % {"v": value or "", "kinds": ", ".join(ADAM_KINDS)}
            }
        )
    return text


def _procedure(value) -> str:
    if value not in ProcurementProcedure.values:
        raise DeliveryError(
            {"procedure": _("Choose one of: %(c)s.") % {"c": ", ".join(ProcurementProcedure.values)}}
        )
    return value


def _project(app, project) -> Selection:
    """The application's selection of `project` (a catalogue project or its code)."""
    code = project.code if isinstance(project, CatalogueProject) else str(project or "").strip()
    selection = (
        Selection.objects.select_related("project")
        .filter(application=app, project__code__iexact=code)
        .first()
    )
    if selection is None:
        raise DeliveryError(
            {"project": _("«%(c)s» is not a selected project of this operation.") % {"c": code}}
        )
    return selection


def contracted_for(app_id, project_id, *, excluding=None) -> Decimal:
    qs = Contract.objects.filter(application_id=app_id, project_id=project_id)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def declared_on(contract_id, *, excluding=None) -> Decimal:
    """What was declared against a contract and not rejected."""
    qs = ExpenditureDeclaration.objects.filter(contract_id=contract_id).exclude(
        state=DeclarationState.REJECTED
    )
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def _check_room(app, selection: Selection, amount: Decimal, excluding=None):
    used = contracted_for(app.pk, selection.project_id, excluding=excluding)
    if used + amount > selection.amount:
        from grants.formatting import format_eur

        raise DeliveryError(
            {
                "amount": _(
                    "The contracts of project %(code)s would total %(total)s, above the project's "
                    "amount of %(limit)s (%(free)s still free)."
                )
                % {
                    "code": selection.project.code,
                    "total": format_eur(used + amount),
                    "limit": format_eur(selection.amount),
                    "free": format_eur(max(selection.amount - used, Decimal("0"))),
                }
            }
        )


def _check_adam_free(adam: str, excluding=None):
    qs = Contract.objects.filter(adam=adam)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    if qs.exists():
        raise DeliveryError({"adam": _("A contract with the ΑΔΑΜ %(a)s is already recorded.") % {"a": adam}})


def _check_signed_before_invoices(contract: Contract):
    """A contract is signed before the invoices declared against it (declarations check the same
    from their side), so a changed signature date may not pass the earliest of them."""
    first = (
        ExpenditureDeclaration.objects.filter(contract_id=contract.pk)
        .exclude(state=DeclarationState.REJECTED)
        .order_by("invoice_date")
        .values_list("invoice_date", flat=True)
        .first()
    )
    if first is not None and contract.signed_on > first:
        from grants.formatting import format_date

        raise DeliveryError(
            {
                "signed_on": _(
                    "An invoice against this contract is dated %(d)s; the contract cannot be signed after it."
                )
                % {"d": format_date(first)}
            }
        )


def _clean(data: dict) -> dict:
    cleaned = {}
    if "contractor_name" in data:
        cleaned["contractor_name"] = common.required_text(data["contractor_name"], "contractor_name", 300)
    if "contractor_afm" in data:
        cleaned["contractor_afm"] = normalize_afm(data["contractor_afm"])
    if "amount" in data:
        cleaned["amount"] = common.positive_money(data["amount"], "amount")
    if "signed_on" in data:
        cleaned["signed_on"] = common.a_date(data["signed_on"], "signed_on")
    if "adam" in data:
        cleaned["adam"] = normalize_adam(data["adam"])
    if "procedure" in data:
        cleaned["procedure"] = _procedure(data["procedure"])
    return cleaned


WHO_ENTERS = (common.MUNICIPALITY,)


def contract_create(
    *,
    application,
    project,
    contractor_name,
    contractor_afm,
    amount,
    signed_on,
    adam,
    procedure,
    actor=None,
    channel=Channel.CODE,
) -> Contract:
    """Record a contract of `application` for its selected `project` (a catalogue project or code)."""
    data = _clean(
        {
            "contractor_name": contractor_name,
            "contractor_afm": contractor_afm,
            "amount": amount,
            "signed_on": signed_on,
            "adam": adam,
            "procedure": procedure,
        }
    )
    with common.atomic():
        app = common.lock_application(application.pk)
        common.check_role(app, actor, WHO_ENTERS, _("enter contracts"))
        common.check_included(app, _("Contracts are entered"))
        selection = _project(app, project)
        _check_room(app, selection, data["amount"])
        _check_adam_free(data["adam"])
        contract = Contract.objects.create(
            application=app, project=selection.project, created_by=actor if actor else _system_user(), **data
        )
        audit.record(
            action="contract.create",
            channel=channel,
            actor=actor,
            obj=contract,
            after=audit.snapshot(contract, CONTRACT_AUDITED),
            municipality=app.municipality,
            application=app,
        )
    return contract


def _system_user():
    """Commands and the demo act as the system; the row needs a person who entered it: the first
    superuser (the demo creates one), as Django's own createsuperuser makes for an installation."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        raise DeliveryError(_("A command needs a superuser to record money rows in the name of."))
    return user


def contract_update(*, contract, actor=None, channel=Channel.CODE, **changes) -> Contract:
    """Change an unchecked contract (the municipality) — a checked one is the officer's word, so a
    change takes its check away. The amount never falls below what was declared against it."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DeliveryError({sorted(unknown)[0]: _("This field cannot be changed.")})
    data = _clean(changes)
    with common.atomic():
        app = common.lock_application(contract.application_id)
        common.check_role(app, actor, WHO_ENTERS, _("change contracts"))
        common.check_included(app, _("Contracts are changed"))
        locked = Contract.objects.select_for_update().select_related("project").get(pk=contract.pk)
        before = audit.snapshot(locked, CONTRACT_AUDITED + ["checked_by"])
        for name, value in data.items():
            setattr(locked, name, value)
        if "amount" in data:
            selection = _project(app, locked.project)
            _check_room(app, selection, locked.amount, excluding=locked.pk)
            declared = declared_on(locked.pk)
            if locked.amount < declared:
                from grants.formatting import format_eur

                raise DeliveryError(
                    {
                        "amount": _("%(d)s is already declared against this contract; it cannot be less.")
                        % {"d": format_eur(declared)}
                    }
                )
        if "signed_on" in data:
            _check_signed_before_invoices(locked)
        if "adam" in data:
            _check_adam_free(locked.adam, excluding=locked.pk)
        old, new = audit.changed(before, audit.snapshot(locked, CONTRACT_AUDITED + ["checked_by"]))
        if not new:
            return locked
        locked.checked_by, locked.checked_at = None, None
        old, new = audit.changed(before, audit.snapshot(locked, CONTRACT_AUDITED + ["checked_by"]))
        locked.save()
        audit.record(
            action="contract.change",
            channel=channel,
            actor=actor,
            obj=locked,
            before=old,
            after=new,
            municipality=app.municipality,
            application=app,
        )
    return locked


# --- the officer's check --------------------------------------------------------------------------


def _not_checked(contract, app, user):
    if contract.checked_by_id is not None:
        raise DeliveryError(_("This contract is already checked."))


ACTIONS = {
    "check": common.MoneyAction(
        "check", gettext_lazy("Mark as checked"), (common.OFFICER,), (), check=_not_checked
    ),
}


def contract_state_label(contract) -> str:
    return str(_("Checked") if contract.checked_by_id else _("Not checked"))


def contract_actions(contract, user) -> list:
    return common.options(ACTIONS, contract, contract.application, user, contract_state_label(contract))


def contract_act(*, contract, action, actor=None, channel=Channel.CODE, note="") -> Contract:
    if action not in ACTIONS:
        raise common.unknown_action(action)
    with common.atomic():
        app = common.lock_application(contract.application_id)
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        common.check_static(ACTIONS[action], locked, app, actor, contract_state_label(locked))
        locked.checked_by = actor if actor else _system_user()
        locked.checked_at = timezone.now()
        locked.save(update_fields=["checked_by", "checked_at"])
        audit.record(
            action="contract.check",
            channel=channel,
            actor=actor,
            obj=locked,
            before={"checked_by": None},
            after={"checked_by": locked.checked_by_id},
            note=(note or "").strip(),
            municipality=app.municipality,
            application=app,
        )
    return locked
