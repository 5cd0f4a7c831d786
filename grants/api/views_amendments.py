"""After inclusion, the decision side (issue 14): the versions of the decision, amendments and their
actions, the progress of each selected project, the indicators and their totals. Thin: reads start
from the scoped application (another municipality's is a 404), writes call grants.delivery with
channel "api", errors are mapped once in .exceptions (a field's fault is a 400, the state of things
a 409)."""

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from grants import audit, roles, selectors
from grants.delivery import amendments as amendment_services
from grants.delivery import indicators as indicator_services
from grants.delivery import progress as progress_services
from grants.models import Amendment, Channel, DecisionVersion, Indicator, ProgressStage

from .permissions import TakeActions
from .serializers import ActionOptionSerializer, MoneyField
from .views import APPLICATION_PK, ApiView, scoped_application

API = Channel.API
AMENDMENT_PK = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="Amendment id")


# --- permissions: the role only; the services decide whether now (409) -------------------------------


class RequestAmendments(BasePermission):
    """The municipality or an officer requests an amendment; every scoped reader lists them."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(roles.municipality_of(request.user) or roles.is_officer(request.user))


class ReportProgress(BasePermission):
    """Only the municipality records its projects' progress; every scoped reader sees it."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return roles.municipality_of(request.user) is not None


class WriteIndicators(BasePermission):
    """An officer sets targets, the municipality reports achieved values; every scoped reader sees them."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(roles.municipality_of(request.user) or roles.is_officer(request.user))


# --- serializers --------------------------------------------------------------------------------------


class SelectionRowSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=_("Catalogue code"))
    amount = serializers.CharField(help_text=_("Two-decimal amount, e.g. 12345.00"))


class DecisionVersionSerializer(serializers.ModelSerializer):
    selections = SelectionRowSerializer(many=True, read_only=True)

    class Meta:
        model = DecisionVersion
        fields = ["version", "kind", "decision_ada", "decision_date", "budget", "selections", "end_date"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.STR)
class ActorField(serializers.Field):
    """A person as history names them (grants.audit.actor_display), or null."""

    def to_representation(self, value):
        return audit.actor_display(value)


class AmendmentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="state", read_only=True)
    status_display = serializers.CharField(source="get_state_display", read_only=True)
    selections = SelectionRowSerializer(many=True, read_only=True, allow_null=True)
    requested_by = ActorField(read_only=True)
    proposed_by = ActorField(read_only=True, allow_null=True)
    approved_by = ActorField(read_only=True, allow_null=True)
    refused_by = ActorField(read_only=True, allow_null=True)
    decision_version = serializers.IntegerField(
        source="decision_version.version", read_only=True, default=None
    )

    class Meta:
        model = Amendment
        fields = [
            "id",
            "application",
            "status",
            "status_display",
            "justification",
            "budget",
            "selections",
            "end_date",
            "requested_by",
            "requested_at",
            "proposed_by",
            "proposed_at",
            "approved_by",
            "approved_at",
            "refused_by",
            "refused_at",
            "decision_ada",
            "decision_date",
            "note",
            "decision_version",
        ]
        read_only_fields = fields


class AmendmentCreateSerializer(serializers.Serializer):
    justification = serializers.CharField(max_length=5000, allow_blank=True)
    budget = MoneyField(required=False, allow_null=True)
    selections = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        allow_null=True,
        max_length=200,
        help_text=_('The full new list: [{"project": "T01", "amount": "1000.00"}, ...]'),
    )
    end_date = serializers.DateField(required=False, allow_null=True)


class AmendmentActionsSerializer(serializers.Serializer):
    amendment = serializers.IntegerField()
    status = serializers.CharField()
    actions = ActionOptionSerializer(many=True)


class AmendmentActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(amendment_services.AMENDMENT_ACTIONS))
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    decision_ada = serializers.CharField(required=False, max_length=40)
    decision_date = serializers.DateField(required=False)


class ProgressSerializer(serializers.Serializer):
    project = serializers.CharField()
    title_el = serializers.CharField()
    title_en = serializers.CharField()
    stage = serializers.ChoiceField(choices=ProgressStage.choices)
    stage_display = serializers.CharField(source="stage_label")
    procurement_on = serializers.DateField(allow_null=True)
    contracted_on = serializers.DateField(allow_null=True)
    implementation_on = serializers.DateField(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)


class ProgressRequestSerializer(serializers.Serializer):
    project = serializers.CharField(max_length=20)
    stage = serializers.ChoiceField(choices=ProgressStage.choices)
    date = serializers.DateField(required=False, allow_null=True, help_text=_("When the stage was reached."))


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    target = serializers.IntegerField(allow_null=True)
    achieved = serializers.IntegerField(allow_null=True)
    measured_on = serializers.DateField(allow_null=True)
    evidence = serializers.CharField()


class IndicatorRequestSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Indicator.choices)
    target = serializers.IntegerField(required=False, min_value=0, help_text=_("An officer sets the target."))
    achieved = serializers.IntegerField(required=False, min_value=0, help_text=_("The municipality reports."))
    measured_on = serializers.DateField(required=False)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs):
        if ("target" in attrs) == ("achieved" in attrs):
            raise serializers.ValidationError(
                {"target": _("Give either a target (officers) or an achieved value (the municipality).")}
            )
        return attrs


class IndicatorTotalSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    target = serializers.IntegerField()
    achieved = serializers.IntegerField()


class IndicatorGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    indicators = IndicatorTotalSerializer(many=True)


# --- views --------------------------------------------------------------------------------------------


class ApplicationScoped:
    @cached_property
    def application(self):
        return scoped_application(self.request, self.kwargs["application_pk"])

    def check_permissions(self, request):
        # Another municipality's operation is a 404 whatever the method and body, before the body is
        # read or the role weighed (as the money endpoints do).
        if request.user.is_authenticated and not getattr(self, "swagger_fake_view", False):
            self.application  # noqa: B018
        super().check_permissions(request)


@extend_schema(parameters=[APPLICATION_PK])
class DecisionsView(ApiView, ApplicationScoped, generics.ListAPIView):
    """The versions of the operation's decision, oldest first: the inclusion, then each approved
    amendment."""

    serializer_class = DecisionVersionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DecisionVersion.objects.none()
        return DecisionVersion.objects.filter(application=self.application).order_by("version")


def _amendments(application):
    return Amendment.objects.filter(application=application).select_related(
        "requested_by", "proposed_by", "approved_by", "refused_by", "decision_version"
    )


class AmendmentListView(ApiView, ApplicationScoped, generics.ListAPIView):
    """GET: the operation's amendments, oldest first. POST: request one (the municipality or an
    officer): `justification` and any of `budget`, `selections` (the full new list), `end_date`."""

    serializer_class = AmendmentSerializer
    permission_classes = [IsAuthenticated, RequestAmendments]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Amendment.objects.none()
        return _amendments(self.application).order_by("requested_at", "id")

    @extend_schema(parameters=[APPLICATION_PK])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        parameters=[APPLICATION_PK],
        request=AmendmentCreateSerializer,
        responses={201: AmendmentSerializer, 409: OpenApiResponse(description="Not possible now.")},
    )
    def post(self, request, application_pk):
        serializer = AmendmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        amendment = amendment_services.amendment_request(
            application=self.application,
            actor=request.user,
            justification=data["justification"],
            budget=data.get("budget"),
            selections=data.get("selections"),
            end_date=data.get("end_date"),
            channel=API,
        )
        fresh = _amendments(self.application).get(pk=amendment.pk)
        return Response(AmendmentSerializer(fresh).data, status=status.HTTP_201_CREATED)


class AmendmentDetailView(ApiView, ApplicationScoped, APIView):
    pagination_class = None

    @extend_schema(parameters=[APPLICATION_PK, AMENDMENT_PK], responses={200: AmendmentSerializer})
    def get(self, request, application_pk, pk):
        amendment = get_object_or_404(_amendments(self.application), pk=pk)
        return Response(AmendmentSerializer(amendment).data)


class AmendmentTransitionsView(ApiView, ApplicationScoped, APIView):
    """GET: every action of the amendment, whether this account may take it now and, if not, why.
    POST: take one (`propose`, `approve` with `decision_ada` and `decision_date`, `refuse` with a
    `note`); a refusal is a 409 with the reason."""

    permission_classes = [IsAuthenticated, TakeActions]
    pagination_class = None

    def _amendment(self, pk):
        return get_object_or_404(_amendments(self.application), pk=pk)

    @extend_schema(parameters=[APPLICATION_PK, AMENDMENT_PK], responses={200: AmendmentActionsSerializer})
    def get(self, request, application_pk, pk):
        amendment = self._amendment(pk)
        amendment.application = self.application
        options = amendment_services.available_amendment_actions(amendment, request.user, channel=API)
        return Response(
            AmendmentActionsSerializer(
                {
                    "amendment": amendment.pk,
                    "status": amendment.state,
                    "actions": [o.__dict__ for o in options],
                }
            ).data
        )

    @extend_schema(
        parameters=[APPLICATION_PK, AMENDMENT_PK],
        request=AmendmentActionRequestSerializer,
        responses={200: AmendmentSerializer, 409: OpenApiResponse(description="The action was refused.")},
    )
    def post(self, request, application_pk, pk):
        amendment = self._amendment(pk)
        serializer = AmendmentActionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        action, note = data.pop("action"), data.pop("note", "")
        amendment_services.amendment_transition(
            amendment, action, actor=request.user, note=note, channel=API, **data
        )
        return Response(AmendmentSerializer(self._amendment(pk)).data)


class ProgressView(ApiView, ApplicationScoped, APIView):
    """GET: each selected project's stage and the dates its stages were reached. POST: the
    municipality records a stage (`project`, `stage`, `date`)."""

    permission_classes = [IsAuthenticated, ReportProgress]
    pagination_class = None

    @extend_schema(parameters=[APPLICATION_PK], responses={200: ProgressSerializer(many=True)})
    def get(self, request, application_pk):
        return Response(ProgressSerializer(progress_services.progress_rows(self.application), many=True).data)

    @extend_schema(
        parameters=[APPLICATION_PK], request=ProgressRequestSerializer, responses={200: ProgressSerializer}
    )
    def post(self, request, application_pk):
        serializer = ProgressRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        progress_services.progress_set(
            application=self.application,
            project=data["project"],
            stage=data["stage"],
            date=data.get("date"),
            actor=request.user,
            channel=API,
        )
        row = next(
            r for r in progress_services.progress_rows(self.application) if r.project == data["project"]
        )
        return Response(ProgressSerializer(row).data)


class IndicatorsView(ApiView, ApplicationScoped, APIView):
    """GET: each indicator of the call (RCO14, RCR11) with the operation's target and its latest
    achieved value. POST: an officer sets a `target`; the municipality reports `achieved`,
    `measured_on` and its `evidence`."""

    permission_classes = [IsAuthenticated, WriteIndicators]
    pagination_class = None

    @extend_schema(parameters=[APPLICATION_PK], responses={200: IndicatorSerializer(many=True)})
    def get(self, request, application_pk):
        return Response(
            IndicatorSerializer(indicator_services.indicator_rows(self.application), many=True).data
        )

    @extend_schema(
        parameters=[APPLICATION_PK], request=IndicatorRequestSerializer, responses={201: IndicatorSerializer}
    )
    def post(self, request, application_pk):
        serializer = IndicatorRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "target" in data:
            indicator_services.indicator_target_set(
                application=self.application,
                code=data["code"],
                target=data["target"],
                actor=request.user,
                channel=API,
            )
        else:
            indicator_services.indicator_report(
                application=self.application,
                code=data["code"],
                achieved=data["achieved"],
                measured_on=data.get("measured_on"),
                evidence=data.get("evidence", ""),
                actor=request.user,
                channel=API,
            )
        row = next(r for r in indicator_services.indicator_rows(self.application) if r.code == data["code"])
        return Response(IndicatorSerializer(row).data, status=status.HTTP_201_CREATED)


GROUP = OpenApiParameter(
    "group",
    str,
    OpenApiParameter.QUERY,
    enum=list(indicator_services.GROUPS),
    description="region or programme",
)


class IndicatorTotalsView(ApiView, APIView):
    """The indicators' targets and latest achieved values added up per region or programme, over the
    operations this account may see."""

    pagination_class = None

    @extend_schema(parameters=[GROUP], responses={200: IndicatorGroupSerializer(many=True)})
    def get(self, request):
        group = request.query_params.get("group", "programme")
        rows = indicator_services.indicator_totals(selectors.applications_for(request.user), group=group)
        return Response(IndicatorGroupSerializer(rows, many=True).data)
