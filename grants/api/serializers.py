"""Representations: field names as in the models, related objects by their stable public key
(programme code, ELSTAT code, catalogue code), money as strings with two decimals, ISO 8601 dates.
Serializers validate shape only; the rules live in the services and the workflow."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grants import amounts, roles
from grants.models import Application, AuditEvent, Municipality, Programme
from grants.models.programme import MONEY
from grants.services import PROGRAMME_AUDITED
from grants.workflow import ACTIONS
from projects.catalogue_text import for_municipalities
from projects.models import CatalogueProject, Category, Selection


class CodeField(serializers.SlugRelatedField):
    """A related object by its public code. A NUL character is refused here, as this field's error:
    PostgreSQL cannot hold one in text, so the lookup would fail as a database error instead."""

    default_error_messages = {"null_characters": _("Null characters are not allowed.")}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class MunicipalitySerializer(serializers.ModelSerializer):
    regional_unit = serializers.CharField(source="regional_unit.code", read_only=True)
    regional_unit_name = serializers.CharField(source="regional_unit.name", read_only=True)
    region = serializers.CharField(source="regional_unit.region.code", read_only=True)
    region_name = serializers.CharField(source="regional_unit.region.name", read_only=True)
    region_category = serializers.CharField(source="regional_unit.region.category", read_only=True)
    is_eligible = serializers.BooleanField(read_only=True)

    class Meta:
        model = Municipality
        fields = [
            "id",
            "elstat_code",
            "name",
            "regional_unit",
            "regional_unit_name",
            "region",
            "region_name",
            "region_category",
            "population_2011",
            "population_2021",
            "eligible",
            "eligibility_override",
            "is_eligible",
        ]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "order", "title_el", "title_en"]


class CatalogueProjectSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(
        slug_field="order", queryset=Category.objects.all(), help_text=_("The category's order number.")
    )

    class Meta:
        model = CatalogueProject
        fields = [
            "id",
            "code",
            "title_el",
            "title_en",
            "category",
            "description",
            "official",
            "active",
            "source",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and roles.municipality_of(request.user) is not None:
            # Notes for officers (where the entry comes from) are not the municipality's reading.
            data["description"] = for_municipalities(data["description"])
        return data


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        # The fields an officer may change are exactly those the service audits: one list for both.
        fields = ["id", *PROGRAMME_AUDITED]
        read_only_fields = fields


class ApplicationSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    municipality = serializers.SlugRelatedField(slug_field="elstat_code", read_only=True)
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    region = serializers.CharField(source="municipality.regional_unit.region.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    tracking_number = serializers.CharField(read_only=True)
    selections_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "tracking_number",
            "programme",
            "municipality",
            "municipality_name",
            "region",
            "status",
            "status_display",
            "budget",
            "selections_count",
            "inclusion_date",
            "end_date",
            "decision_ada",
            "mis_code",
            "deinclusion_ada",
            "submitted_at",
            "review_due",
            "submission_hash",
            "response_due",
            "version",
            "is_demo",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationCreateSerializer(serializers.Serializer):
    programme = CodeField(slug_field="code", queryset=Programme.objects.all())


class VersionField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        kwargs.setdefault(
            "help_text",
            _(
                "The application's version you last read; a different current version answers 409. "
                "The If-Match header does the same."
            ),
        )
        super().__init__(**kwargs)


class SelectionSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    project_title_el = serializers.CharField(source="project.title_el", read_only=True)
    project_title_en = serializers.CharField(source="project.title_en", read_only=True)
    category = serializers.IntegerField(source="project.category.order", read_only=True)

    class Meta:
        model = Selection
        fields = [
            "id",
            "application",
            "project",
            "project_title_el",
            "project_title_en",
            "category",
            "amount",
            "justification",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MoneyField(serializers.DecimalField):
    """An amount a client writes: a third decimal refused in the words the portal and the admin use
    (grants.amounts), not DRF's own, never rounded."""

    def __init__(self, **kwargs):
        super().__init__(**MONEY, **kwargs)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if "max_decimal_places" in exc.get_codes():
                message = gettext(amounts.TOO_MANY_DECIMALS) % {"v": data}
                raise serializers.ValidationError(message, code="decimals") from None
            raise


class SelectionCreateSerializer(serializers.Serializer):
    project = CodeField(slug_field="code", queryset=CatalogueProject.objects.all())
    amount = MoneyField(min_value=0)
    justification = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    version = VersionField()


class SelectionUpdateSerializer(serializers.Serializer):
    amount = MoneyField(min_value=0)
    justification = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = VersionField()


class ActionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(help_text=_("Why the action is unavailable now; empty when allowed."))
    note_required = serializers.BooleanField()
    fields = serializers.ListField(child=serializers.CharField())
    optional_fields = serializers.ListField(child=serializers.CharField())
    target = serializers.CharField(allow_null=True)
    target_label = serializers.CharField()


class TransitionsSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    actions = ActionOptionSerializer(many=True)


LISTED_ACTIONS = [name for name, action in ACTIONS.items() if action.listed]


class TransitionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=LISTED_ACTIONS)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    budget = MoneyField(min_value=0, required=False)
    inclusion_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    decision_ada = serializers.CharField(required=False, max_length=40)
    decision_date = serializers.DateField(required=False)
    mis_code = serializers.CharField(required=False, max_length=20)
    requested_items = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=50
    )
    response_due = serializers.DateField(required=False)
    version = VersionField()

    def fields_for_workflow(self) -> dict:
        data = dict(self.validated_data)
        for key in ("action", "note", "version"):
            data.pop(key, None)
        return data


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_name",
            "channel",
            "action",
            "object_repr",
            "before",
            "after",
            "note",
        ]
        read_only_fields = fields


class PopularityRowSerializer(serializers.Serializer):
    project = serializers.CharField()
    title_el = serializers.CharField()
    title_en = serializers.CharField()
    category = serializers.IntegerField()
    applications = serializers.IntegerField()
    total_amount = serializers.DecimalField(**MONEY)


class BudgetRowSerializer(serializers.Serializer):
    region = serializers.CharField()
    region_name = serializers.CharField()
    region_category = serializers.CharField()
    applications = serializers.IntegerField()
    total_budget = serializers.DecimalField(**MONEY)
    included = serializers.IntegerField()
    included_budget = serializers.DecimalField(**MONEY)
