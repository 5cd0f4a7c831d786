"""The money chain's representations (issue 14): money as two-decimal strings, the record's state
as `status`, the project by its catalogue code. Shape only: the rules live in grants.delivery."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grants.models import Contract, ExpenditureDeclaration, Payment, ProcurementProcedure
from grants.models.programme import MONEY

from .serializers import ActionOptionSerializer, MoneyField


class ContractSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    project_title = serializers.CharField(source="project.title_el", read_only=True)
    checked = serializers.SerializerMethodField()
    declared = serializers.DecimalField(**MONEY, read_only=True)
    verified = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "project",
            "project_title",
            "contractor_name",
            "contractor_afm",
            "amount",
            "signed_on",
            "adam",
            "procedure",
            "checked",
            "checked_at",
            "created_at",
            "declared",
            "verified",
        ]
        read_only_fields = fields

    def get_checked(self, obj) -> bool:
        return obj.checked_by_id is not None


class ContractWriteSerializer(serializers.Serializer):
    project = serializers.CharField(max_length=20)
    contractor_name = serializers.CharField(max_length=300)
    contractor_afm = serializers.CharField(max_length=20)
    amount = MoneyField()
    signed_on = serializers.DateField()
    adam = serializers.CharField(max_length=40)
    procedure = serializers.ChoiceField(choices=ProcurementProcedure.choices)


class ContractChangeSerializer(ContractWriteSerializer):
    project = None


class DeclarationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="state", read_only=True)
    status_label = serializers.CharField(source="get_state_display", read_only=True)
    contract = serializers.IntegerField(source="contract_id", read_only=True)
    project = serializers.CharField(source="contract.project.code", read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = ExpenditureDeclaration
        fields = [
            "id",
            "contract",
            "project",
            "invoice_number",
            "invoice_date",
            "amount",
            "is_final",
            "documents",
            "status",
            "status_label",
            "accepted_amount",
            "note",
            "declared_at",
            "verified_at",
        ]
        read_only_fields = fields

    def get_documents(self, obj) -> list[int]:
        # Proof documents arrive with the documents issue; until then none are linked.
        return []


class DeclarationWriteSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    invoice_number = serializers.CharField(max_length=60)
    invoice_date = serializers.DateField()
    amount = MoneyField()
    is_final = serializers.BooleanField(required=False, default=False)
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text=_("Ids of proof documents (the documents endpoint); optional for now."),
    )


class DeclarationChangeSerializer(DeclarationWriteSerializer):
    contract = None


class PaymentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="state", read_only=True)
    status_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "amount",
            "reference",
            "status",
            "status_label",
            "prepared_at",
            "authorised_at",
            "paid_on",
            "note",
        ]
        read_only_fields = fields


class PaymentWriteSerializer(serializers.Serializer):
    amount = MoneyField()
    reference = serializers.CharField(max_length=60)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class MoneyActionOptionSerializer(ActionOptionSerializer):
    target = None
    target_label = None


class MoneyActionsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    actions = MoneyActionOptionSerializer(many=True)


class DeclarationActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["verify", "reject"])
    accepted_amount = MoneyField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class PaymentActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["authorise", "cancel"])
    paid_on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ContractActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["check"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class AbsorptionRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    included_budget = serializers.DecimalField(**MONEY)
    current_budget = serializers.DecimalField(**MONEY)
    contracted = serializers.DecimalField(**MONEY)
    declared = serializers.DecimalField(**MONEY)
    verified = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
