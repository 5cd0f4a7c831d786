"""After inclusion: the versions of the decision, legal commitments (contracts), expenditure
declarations and payments of an included operation (issue 14).

The figures chain from parent to child and never exceed it: contracts of a project <= the project's
current amount (its Selection); declared and verified <= the contract; paid <= verified. The services
(grants.delivery) hold those sums under row locks; these models only declare the data and the
constraints a single row can carry. Records use `state`, not `status`: Application.status is the
workflow's alone (tests/test_status_writers.py scans every `.status =`); the API calls it status.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .programme import MONEY


class DecisionKind(models.TextChoices):
    INCLUSION = "inclusion", _("Inclusion")
    AMENDMENT = "amendment", _("Amendment")


class DecisionVersion(models.Model):
    """One version of an operation's decision, never changed once written: version 1 is the
    inclusion, each approved amendment adds the next. The operation's current figures (its budget,
    selections and end date on Application/Selection) equal its latest version."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="decision_versions",
        verbose_name=_("application"),
    )
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=12, choices=DecisionKind.choices)
    decision_ada = models.CharField(_("decision ΑΔΑ"), max_length=20, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), **MONEY)
    # [{"project": catalogue code, "amount": "123.45"}, ...] as decided; the catalogue may change later.
    selections = models.JSONField(_("selections"), default=list, blank=True)
    end_date = models.DateField(_("expected end date"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["application", "version"]
        verbose_name = _("decision version")
        verbose_name_plural = _("decision versions")
        constraints = [
            models.UniqueConstraint(fields=["application", "version"], name="decision_version_unique"),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="decision_budget_gte_0"),
        ]

    def __str__(self):
        return f"{self.application_id} v{self.version}"


class ProcurementProcedure(models.TextChoices):
    # Law 4412/2016's procedures, as municipalities name them in ΚΗΜΔΗΣ.
    OPEN = "open", _("Open procedure")
    RESTRICTED = "restricted", _("Restricted procedure")
    NEGOTIATED = "negotiated", _("Negotiated procedure")
    COMPETITIVE_DIALOGUE = "dialogue", _("Competitive dialogue")
    SMALL_VALUE = "small_value", _("Simplified (below threshold) tender")
    DIRECT_AWARD = "direct_award", _("Direct award")
    FRAMEWORK = "framework", _("Framework agreement")
    IN_HOUSE = "in_house", _("In-house / inter-administrative agreement")


class Contract(models.Model):
    """A legal commitment («νομική δέσμευση») for one selected project of an included operation."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("application"),
    )
    project = models.ForeignKey(
        "projects.CatalogueProject",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("project"),
    )
    contractor_name = models.CharField(_("contractor"), max_length=300)
    # ΑΦΜ: nine digits with the Greek check digit (checked by the services).
    contractor_afm = models.CharField(_("contractor ΑΦΜ"), max_length=9)
    # The eligible amount, VAT included.
    amount = models.DecimalField(_("contract amount"), **MONEY)
    signed_on = models.DateField(_("signed on"))
    # ΚΗΜΔΗΣ ΑΔΑΜ: year + kind + number, e.g. 24SYMV014588301.
    adam = models.CharField(_("ΚΗΜΔΗΣ ΑΔΑΜ"), max_length=20)
    procedure = models.CharField(
        _("procurement procedure"), max_length=20, choices=ProcurementProcedure.choices
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        ordering = ["application", "signed_on", "id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="contract_amount_gt_0"),
            models.UniqueConstraint(fields=["adam"], name="contract_adam_unique"),
        ]
        indexes = [
            models.Index(fields=["application", "project"], name="grants_contract_app_project"),
            # The admin list's date hierarchy reads the months and the first and last date from it
            # instead of scanning every contract (150,000 at EU scale, bench/scale.py).
            models.Index(fields=["signed_on"], name="grants_contract_signed_on"),
        ]

    def __str__(self):
        return f"{self.adam} {self.contractor_name}"


class DeclarationState(models.TextChoices):
    SUBMITTED = "submitted", _("Declared")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class ExpenditureDeclaration(models.Model):
    """One paid invoice declared against a contract («δήλωση δαπανών»), verified line by line by an
    officer (the management verification of CPR 2021/1060 Art. 74)."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name=_("application"),
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("contract")
    )
    invoice_number = models.CharField(_("invoice number"), max_length=60)
    invoice_date = models.DateField(_("invoice date"))
    amount = models.DecimalField(_("declared amount"), **MONEY)
    # The municipality marks its last declaration; completion needs it verified.
    is_final = models.BooleanField(_("final declaration"), default=False)
    state = models.CharField(
        _("status"), max_length=10, choices=DeclarationState.choices, default=DeclarationState.SUBMITTED
    )
    accepted_amount = models.DecimalField(_("accepted amount"), **MONEY, null=True, blank=True)
    note = models.TextField(_("verification note"), blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("declared by")
    )
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        ordering = ["application", "invoice_date", "id"]
        verbose_name = _("expenditure declaration")
        verbose_name_plural = _("expenditure declarations")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="declaration_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(accepted_amount__isnull=True)
                | models.Q(accepted_amount__gte=0, accepted_amount__lte=models.F("amount")),
                name="declaration_accepted_within_declared",
            ),
            models.UniqueConstraint(fields=["contract", "invoice_number"], name="declaration_invoice_once"),
        ]
        indexes = [models.Index(fields=["application", "state"], name="grants_decl_app_state")]

    def __str__(self):
        return f"{self.invoice_number} ({self.contract_id})"


class PaymentState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    AUTHORISED = "authorised", _("Authorised")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(models.Model):
    """A payment to the municipality: prepared by an officer, authorised by a different approver
    (four eyes), never above the operation's verified expenditure not yet paid."""

    application = models.ForeignKey(
        "grants.Application", on_delete=models.PROTECT, related_name="payments", verbose_name=_("application")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("payment reference"), max_length=60)
    state = models.CharField(
        _("status"), max_length=10, choices=PaymentState.choices, default=PaymentState.PREPARED
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("prepared by")
    )
    prepared_at = models.DateTimeField(_("prepared at"), default=timezone.now)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("authorised by"),
    )
    authorised_at = models.DateTimeField(_("authorised at"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["application", "prepared_at", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_gt_0"),
            # Four eyes, held by the database too: whoever prepared a payment never authorises it.
            models.CheckConstraint(
                condition=models.Q(authorised_by__isnull=True)
                | ~models.Q(authorised_by=models.F("prepared_by")),
                name="payment_four_eyes",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="authorised")
                | models.Q(authorised_by__isnull=False, paid_on__isnull=False),
                name="payment_authorised_has_actor_and_date",
            ),
        ]
        indexes = [models.Index(fields=["application", "state"], name="grants_payment_app_state")]

    def __str__(self):
        return f"{self.reference} ({self.application_id})"
