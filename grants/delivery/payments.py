"""Payments to the municipality: prepared by an officer, authorised by an approver who did not
prepare them (four eyes; the database refuses it too), or cancelled. Never above the operation's
verified expenditure not yet paid.

How a prepared payment counts: it reserves its amount. Preparing checks authorised + prepared + the
new amount <= verified, so two officers cannot prepare more than there is to pay between them; the
authorisation checks again (authorised + every prepared, this one included <= verified) on the
locked row, a 409 if something moved; a cancelled payment frees its reservation."""

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.formatting import format_eur
from grants.models import (
    ApplicationStatus,
    Channel,
    DeclarationState,
    ExpenditureDeclaration,
    Payment,
    PaymentState,
)

from . import money_common as common
from .contracts import _system_user
from .money_common import DeliveryError

PAYABLE = (ApplicationStatus.INCLUDED, ApplicationStatus.COMPLETED)
PAYMENT_AUDITED = ["amount", "reference", "state"]


def verified_total(app_id) -> Decimal:
    return ExpenditureDeclaration.objects.filter(
        application_id=app_id, state=DeclarationState.VERIFIED
    ).aggregate(s=Sum("accepted_amount"))["s"] or Decimal("0")


def committed_payments(app_id, *, excluding=None) -> Decimal:
    """Authorised (paid) and prepared (reserved) payments of the operation."""
    qs = Payment.objects.filter(
        application_id=app_id, state__in=(PaymentState.PREPARED, PaymentState.AUTHORISED)
    )
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def payable(app_id) -> Decimal:
    """What may still be prepared: verified expenditure less what is paid or prepared."""
    return verified_total(app_id) - committed_payments(app_id)


def _over(app_id, amount, excluding=None) -> str:
    verified = verified_total(app_id)
    committed = committed_payments(app_id, excluding=excluding)
    if committed + amount <= verified:
        return ""
    return _(
        "Paid and prepared payments would total %(t)s, above the verified expenditure of %(v)s "
        "(%(free)s may still be paid)."
    ) % {
        "t": format_eur(committed + amount),
        "v": format_eur(verified),
        "free": format_eur(max(verified - committed, Decimal("0"))),
    }


def payment_prepare(*, application, amount, reference, actor=None, channel=Channel.CODE, note="") -> Payment:
    amount = common.positive_money(amount, "amount")
    reference = common.required_text(reference, "reference", 60)
    with common.atomic():
        app = common.lock_application(application.pk)
        common.check_role(app, actor, (common.OFFICER,), _("prepare payments"))
        common.check_included(app, _("Payments are prepared"), PAYABLE)
        over = _over(app.pk, amount)
        if over:
            raise DeliveryError({"amount": over})
        payment = Payment.objects.create(
            application=app,
            amount=amount,
            reference=reference,
            prepared_by=actor if actor else _system_user(),
            note=(note or "").strip(),
        )
        audit.record(
            action="payment.prepare",
            channel=channel,
            actor=actor,
            obj=payment,
            after=audit.snapshot(payment, PAYMENT_AUDITED),
            note=payment.note,
            municipality=app.municipality,
            application=app,
        )
    return payment


def _not_preparer(payment, app, user):
    if user is not None and payment.prepared_by_id == user.pk:
        raise DeliveryError(_("Four eyes: you prepared this payment, so another approver must authorise it."))


ACTIONS = {
    "authorise": common.MoneyAction(
        "authorise",
        gettext_lazy("Authorise"),
        (common.APPROVER,),
        (PaymentState.PREPARED,),
        fields=("paid_on",),
        check=_not_preparer,
    ),
    "cancel": common.MoneyAction(
        "cancel",
        gettext_lazy("Cancel"),
        (common.OFFICER, common.APPROVER),
        (PaymentState.PREPARED,),
        optional_fields=("note",),
    ),
}


def payment_actions(payment, user) -> list:
    return common.options(ACTIONS, payment, payment.application, user, payment.get_state_display())


def payment_act(*, payment, action, actor=None, channel=Channel.CODE, note="", paid_on=None) -> Payment:
    """`authorise` (an approver other than the preparer, `paid_on`) or `cancel`."""
    if action not in ACTIONS:
        raise common.unknown_action(action)
    spec = ACTIONS[action]
    note = (note or "").strip()
    with common.atomic():
        app = common.lock_application(payment.application_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        common.check_static(spec, locked, app, actor, locked.get_state_display())
        before = {"state": locked.state}
        if action == "authorise":
            common.check_included(app, _("Payments are authorised"), PAYABLE)
            locked.paid_on = common.a_date(paid_on, "paid_on")
            if app.inclusion_date is not None and locked.paid_on < app.inclusion_date:
                raise DeliveryError({"paid_on": _("A payment cannot be dated before the inclusion.")})
            over = _over(app.pk, locked.amount, excluding=locked.pk)
            if over:
                raise DeliveryError(over)
            locked.state = PaymentState.AUTHORISED
            locked.authorised_by = actor if actor else _system_user()
            locked.authorised_at = timezone.now()
        else:
            locked.state = PaymentState.CANCELLED
        if note:
            locked.note = "\n".join(filter(None, [locked.note, note]))
        locked.save()
        after = {"state": locked.state}
        if action == "authorise":
            after["paid_on"] = locked.paid_on
        audit.record(
            action=f"payment.{action}",
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
