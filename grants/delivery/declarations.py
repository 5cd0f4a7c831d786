"""Expenditure declarations («δήλωση δαπανών»): one paid invoice each, declared by the municipality
against one of its contracts; an officer verifies each line (the accepted amount, with the reason for
any cut: the management verification of CPR 2021/1060 Art. 74) or rejects it. What is declared and
not rejected, and what is verified, never exceed the contract: checked on every write and again on
every action, under the application's row lock."""

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.formatting import format_eur
from grants.models import Channel, Contract, DeclarationState, ExpenditureDeclaration

from . import money_common as common
from .contracts import _system_user, declared_on
from .money_common import DeliveryError

DECLARATION_AUDITED = ["contract", "invoice_number", "invoice_date", "amount", "is_final"]
EDITABLE = ["invoice_number", "invoice_date", "amount", "is_final"]


def verified_on(contract_id, *, excluding=None) -> Decimal:
    qs = ExpenditureDeclaration.objects.filter(contract_id=contract_id, state=DeclarationState.VERIFIED)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.aggregate(s=Sum("accepted_amount"))["s"] or Decimal("0")


def _check_declared_room(contract: Contract, amount: Decimal, excluding=None):
    declared = declared_on(contract.pk, excluding=excluding)
    if declared + amount > contract.amount:
        raise DeliveryError(
            {
                "amount": _(
                    "The declarations of this contract would total %(total)s, above its amount of "
                    "%(limit)s (%(free)s still free)."
                )
                % {
                    "total": format_eur(declared + amount),
                    "limit": format_eur(contract.amount),
                    "free": format_eur(max(contract.amount - declared, Decimal("0"))),
                }
            }
        )


def _contract(app, contract) -> Contract:
    pk = contract.pk if isinstance(contract, Contract) else contract
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise DeliveryError({"contract": _("Choose one of this operation's contracts.")}) from None
    found = Contract.objects.select_for_update().filter(pk=pk, application=app).first()
    if found is None:
        raise DeliveryError({"contract": _("Choose one of this operation's contracts.")})
    return found


def _check_invoice(contract: Contract, invoice_number: str, invoice_date, excluding=None):
    if invoice_date < contract.signed_on:
        raise DeliveryError(
            {"invoice_date": _("The invoice cannot be dated before the contract was signed.")}
        )
    qs = ExpenditureDeclaration.objects.filter(contract=contract, invoice_number__iexact=invoice_number)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    if qs.exists():
        raise DeliveryError(
            {
                "invoice_number": _("Invoice %(n)s is already declared on this contract.")
                % {"n": invoice_number}
            }
        )


def _documents(value) -> list:
    """Proof documents by id, from the documents endpoint once it exists: accepted as a list of ids
    and checked then (the documents issue); until then refused only when it is not such a list."""
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise DeliveryError({"documents": _("A list of document ids.")})
    return list(value)


def declaration_create(
    *,
    application,
    contract,
    invoice_number,
    invoice_date,
    amount,
    is_final=False,
    documents=None,
    actor=None,
    channel=Channel.CODE,
) -> ExpenditureDeclaration:
    """Declare one paid invoice of `application` against its `contract` (a Contract or its id)."""
    invoice_number = common.required_text(invoice_number, "invoice_number", 60)
    invoice_date = common.a_date(invoice_date, "invoice_date")
    amount = common.positive_money(amount, "amount")
    _documents(documents)
    with common.atomic():
        app = common.lock_application(application.pk)
        common.check_role(app, actor, (common.MUNICIPALITY,), _("declare expenditure"))
        common.check_included(app, _("Expenditure is declared"))
        locked = _contract(app, contract)
        _check_invoice(locked, invoice_number, invoice_date)
        _check_declared_room(locked, amount)
        declaration = ExpenditureDeclaration.objects.create(
            application=app,
            contract=locked,
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            amount=amount,
            is_final=bool(is_final),
            declared_by=actor if actor else _system_user(),
        )
        audit.record(
            action="declaration.create",
            channel=channel,
            actor=actor,
            obj=declaration,
            after=audit.snapshot(declaration, DECLARATION_AUDITED),
            municipality=app.municipality,
            application=app,
        )
    return declaration


def declaration_update(*, declaration, actor=None, channel=Channel.CODE, **changes) -> ExpenditureDeclaration:
    """Correct a declaration the officer has not yet decided on (the municipality)."""
    unknown = set(changes) - set(EDITABLE) - {"documents"}
    if unknown:
        raise DeliveryError({sorted(unknown)[0]: _("This field cannot be changed.")})
    _documents(changes.pop("documents", None))
    data = {}
    if "invoice_number" in changes:
        data["invoice_number"] = common.required_text(changes["invoice_number"], "invoice_number", 60)
    if "invoice_date" in changes:
        data["invoice_date"] = common.a_date(changes["invoice_date"], "invoice_date")
    if "amount" in changes:
        data["amount"] = common.positive_money(changes["amount"], "amount")
    if "is_final" in changes:
        data["is_final"] = bool(changes["is_final"])
    with common.atomic():
        app = common.lock_application(declaration.application_id)
        common.check_role(app, actor, (common.MUNICIPALITY,), _("change declarations"))
        common.check_included(app, _("Declarations are changed"))
        locked = ExpenditureDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if locked.state != DeclarationState.SUBMITTED:
            raise DeliveryError(
                _("This declaration is «%(s)s»; only one not yet verified can be changed.")
                % {"s": locked.get_state_display()}
            )
        contract = Contract.objects.select_for_update().get(pk=locked.contract_id)
        before = audit.snapshot(locked, DECLARATION_AUDITED)
        for name, value in data.items():
            setattr(locked, name, value)
        _check_invoice(contract, locked.invoice_number, locked.invoice_date, excluding=locked.pk)
        _check_declared_room(contract, locked.amount, excluding=locked.pk)
        old, new = audit.changed(before, audit.snapshot(locked, DECLARATION_AUDITED))
        if not new:
            return locked
        locked.save()
        audit.record(
            action="declaration.change",
            channel=channel,
            actor=actor,
            obj=locked,
            before=old,
            after=new,
            municipality=app.municipality,
            application=app,
        )
    return locked


# --- the officer's verification --------------------------------------------------------------------

ACTIONS = {
    "verify": common.MoneyAction(
        "verify",
        gettext_lazy("Verify"),
        (common.OFFICER,),
        (DeclarationState.SUBMITTED,),
        fields=("accepted_amount",),
        optional_fields=("note",),
    ),
    "reject": common.MoneyAction(
        "reject",
        gettext_lazy("Reject"),
        (common.OFFICER,),
        (DeclarationState.SUBMITTED,),
        note_required=True,
    ),
}


def declaration_actions(declaration, user) -> list:
    return common.options(
        ACTIONS, declaration, declaration.application, user, declaration.get_state_display()
    )


def declaration_act(
    *, declaration, action, actor=None, channel=Channel.CODE, note="", accepted_amount=None
) -> ExpenditureDeclaration:
    """`verify` (accepted_amount; a note when it is less than declared) or `reject` (a note)."""
    if action not in ACTIONS:
        raise common.unknown_action(action)
    spec = ACTIONS[action]
    note = (note or "").strip()
    with common.atomic():
        app = common.lock_application(declaration.application_id)
        locked = ExpenditureDeclaration.objects.select_for_update().get(pk=declaration.pk)
        common.check_static(spec, locked, app, actor, locked.get_state_display())
        before = {"state": locked.state}
        if action == "verify":
            if accepted_amount in (None, ""):
                raise DeliveryError({"accepted_amount": _("Enter the accepted amount.")})
            accepted = common.money(accepted_amount, "accepted_amount")
            if accepted < 0 or accepted > locked.amount:
                raise DeliveryError(
                    {
                        "accepted_amount": _("The accepted amount is between 0 and the declared %(d)s.")
                        % {"d": format_eur(locked.amount)}
                    }
                )
            if accepted < locked.amount and not note:
                raise DeliveryError({"note": _("Say why the declared amount is cut.")})
            contract = Contract.objects.select_for_update().get(pk=locked.contract_id)
            verified = verified_on(contract.pk, excluding=locked.pk)
            if verified + accepted > contract.amount:
                # A sum that a concurrent change broke since the line was declared: a refusal (409).
                raise DeliveryError(
                    _("Verified expenditure of the contract would be %(t)s, above its amount of %(c)s.")
                    % {"t": format_eur(verified + accepted), "c": format_eur(contract.amount)}
                )
            locked.state, locked.accepted_amount = DeclarationState.VERIFIED, accepted
        else:
            if not note:
                raise DeliveryError({"note": _("Say why the declaration is rejected.")})
            locked.state, locked.accepted_amount = DeclarationState.REJECTED, None
        locked.note = note
        locked.verified_by = actor if actor else _system_user()
        locked.verified_at = timezone.now()
        locked.save()
        after = {"state": locked.state}
        if action == "verify":
            after["accepted_amount"] = locked.accepted_amount
        audit.record(
            action=f"declaration.{action}",
            channel=channel,
            actor=actor,
            obj=locked,
            before=before,
            after=after,
            note=note,
            municipality=app.municipality,
            application=app,
        )
    return locked
