"""The money chain of an included operation (issue 14): contracts, expenditure declarations and
payments under `/applications/{id}/…`, and their actions at `…/{id}/transitions/` in the style of
the application's (GET the actions with reasons, POST one; 409 when refused). Reads start from the
scoped selectors (another municipality's operation is a 404), writes call grants.delivery."""

from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from grants import roles, selectors
from grants.delivery import absorption, contracts, declarations, payments
from grants.delivery.money_filters import ContractFilterSet, DeclarationFilterSet, PaymentFilterSet
from grants.models import Channel, DeclarationState
from grants.models.programme import MONEY
from grants.reports.report_filtersets import AbsorptionFilterSet

from . import serializers_money as s
from .permissions import TakeActions
from .views import APPLICATION_PK, ApiView, scoped_application
from .views_reports import AggregateView

API = Channel.API
ZERO = Value(Decimal("0.00"), output_field=DecimalField(**MONEY))
RECORD_PK = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="Record id")


class MunicipalityEnters(BasePermission):
    """Contracts and declarations are the municipality's to enter; staff read them (and act)."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or roles.municipality_of(request.user) is not None


class OfficerPrepares(BasePermission):
    """Payments are prepared by officers; everyone scoped reads them."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or roles.is_officer(request.user)


class _OfApplication(ApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    selector = None
    write_serializer = None
    change_serializer = None

    @cached_property
    def application(self):
        return scoped_application(self.request, self.kwargs["application_pk"])

    def check_permissions(self, request):
        # Another municipality's operation is a 404 whatever the method, as if it did not exist.
        if request.user.is_authenticated and not getattr(self, "swagger_fake_view", False):
            self.application  # noqa: B018
        super().check_permissions(request)

    def base_queryset(self):
        return type(self).selector(self.request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.base_queryset().none()
        return self.base_queryset().filter(application=self.application)

    def fresh(self, obj, code):
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=code)

    def _input(self, serializer_class, partial=False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


_WRITE_DOC = {"responses": {400: OpenApiResponse(description="A field is refused (named).")}}


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK]),
    retrieve=extend_schema(parameters=[APPLICATION_PK, RECORD_PK]),
    create=extend_schema(
        parameters=[APPLICATION_PK], request=s.ContractWriteSerializer, responses={201: s.ContractSerializer}
    ),
    partial_update=extend_schema(
        parameters=[APPLICATION_PK, RECORD_PK],
        request=s.ContractChangeSerializer,
        responses={200: s.ContractSerializer},
    ),
)
class ContractViewSet(_OfApplication, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """The operation's legal commitments, with what was declared and verified against each."""

    serializer_class = s.ContractSerializer
    filterset_class = ContractFilterSet
    permission_classes = [IsAuthenticated, MunicipalityEnters]
    ordering_fields = ["signed_on", "amount", "project__code", "id"]
    ordering = ["signed_on", "id"]
    selector = staticmethod(selectors.contracts_for)

    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .annotate(
                declared=Coalesce(
                    Sum("declarations__amount", filter=~Q(declarations__state=DeclarationState.REJECTED)),
                    ZERO,
                ),
                verified=Coalesce(
                    Sum(
                        "declarations__accepted_amount",
                        filter=Q(declarations__state=DeclarationState.VERIFIED),
                    ),
                    ZERO,
                ),
            )
        )

    def create(self, request, *args, **kwargs):
        data = self._input(s.ContractWriteSerializer)
        contract = contracts.contract_create(
            application=self.application, actor=request.user, channel=API, **data
        )
        return self.fresh(contract, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        contract = self.get_object()
        data = self._input(s.ContractChangeSerializer, partial=True)
        contract = contracts.contract_update(contract=contract, actor=request.user, channel=API, **data)
        return self.fresh(contract, status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK]),
    retrieve=extend_schema(parameters=[APPLICATION_PK, RECORD_PK]),
    create=extend_schema(
        parameters=[APPLICATION_PK],
        request=s.DeclarationWriteSerializer,
        responses={201: s.DeclarationSerializer},
    ),
    partial_update=extend_schema(
        parameters=[APPLICATION_PK, RECORD_PK],
        request=s.DeclarationChangeSerializer,
        responses={200: s.DeclarationSerializer},
    ),
)
class DeclarationViewSet(_OfApplication, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """The operation's expenditure declarations, one invoice each, and their verification."""

    serializer_class = s.DeclarationSerializer
    filterset_class = DeclarationFilterSet
    permission_classes = [IsAuthenticated, MunicipalityEnters]
    ordering_fields = ["invoice_date", "amount", "declared_at", "id"]
    ordering = ["invoice_date", "id"]
    selector = staticmethod(selectors.declarations_for)

    def create(self, request, *args, **kwargs):
        data = self._input(s.DeclarationWriteSerializer)
        declaration = declarations.declaration_create(
            application=self.application, actor=request.user, channel=API, **data
        )
        return self.fresh(declaration, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        declaration = self.get_object()
        data = self._input(s.DeclarationChangeSerializer, partial=True)
        declaration = declarations.declaration_update(
            declaration=declaration, actor=request.user, channel=API, **data
        )
        return self.fresh(declaration, status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK]),
    retrieve=extend_schema(parameters=[APPLICATION_PK, RECORD_PK]),
    create=extend_schema(
        parameters=[APPLICATION_PK], request=s.PaymentWriteSerializer, responses={201: s.PaymentSerializer}
    ),
)
class PaymentViewSet(_OfApplication, mixins.CreateModelMixin):
    """Payments to the municipality: prepared by an officer, authorised by another approver."""

    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilterSet
    permission_classes = [IsAuthenticated, OfficerPrepares]
    ordering_fields = ["prepared_at", "paid_on", "amount", "id"]
    ordering = ["prepared_at", "id"]
    selector = staticmethod(selectors.payments_for)

    def create(self, request, *args, **kwargs):
        data = self._input(s.PaymentWriteSerializer)
        payment = payments.payment_prepare(
            application=self.application, actor=request.user, channel=API, **data
        )
        return self.fresh(payment, status.HTTP_201_CREATED)


# --- actions ----------------------------------------------------------------------------------------


class _ActionsView(ApiView, APIView):
    """GET: the record's actions, whether this account may take each now and, if not, why.
    POST: take one; a refusal is a 409 with the reason, a bad input a 400 naming the field."""

    permission_classes = [IsAuthenticated, TakeActions]
    pagination_class = None
    selector = None
    request_serializer = None
    record_serializer = None

    def record(self, application_pk, pk):
        application = scoped_application(self.request, application_pk)
        return get_object_or_404(
            type(self).selector(self.request.user).filter(application=application), pk=pk
        )

    def options(self, record):
        raise NotImplementedError

    def act(self, record, data):
        raise NotImplementedError

    def get(self, request, application_pk, pk):
        record = self.record(application_pk, pk)
        state = {"id": record.pk, "status": getattr(record, "state", ""), "actions": self.options(record)}
        return Response(s.MoneyActionsSerializer(state).data)

    def post(self, request, application_pk, pk):
        record = self.record(application_pk, pk)
        serializer = self.request_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.act(record, dict(serializer.validated_data))
        fresh = self.record(application_pk, pk)
        return Response(self.record_serializer(fresh).data)


def _actions_schema(request, response):
    return extend_schema(
        parameters=[APPLICATION_PK, RECORD_PK],
        request=request,
        responses={
            200: response,
            409: OpenApiResponse(description="The action is refused now; the reason is given."),
        },
    )


class DeclarationTransitionsView(_ActionsView):
    selector = staticmethod(selectors.declarations_for)
    request_serializer = s.DeclarationActionSerializer
    record_serializer = s.DeclarationSerializer

    def options(self, record):
        return [o.__dict__ for o in declarations.declaration_actions(record, self.request.user)]

    def act(self, record, data):
        declarations.declaration_act(declaration=record, actor=self.request.user, channel=API, **data)

    @extend_schema(parameters=[APPLICATION_PK, RECORD_PK], responses={200: s.MoneyActionsSerializer})
    def get(self, request, application_pk, pk):
        return super().get(request, application_pk, pk)

    @_actions_schema(s.DeclarationActionSerializer, s.DeclarationSerializer)
    def post(self, request, application_pk, pk):
        return super().post(request, application_pk, pk)


class PaymentTransitionsView(_ActionsView):
    selector = staticmethod(selectors.payments_for)
    request_serializer = s.PaymentActionSerializer
    record_serializer = s.PaymentSerializer

    def options(self, record):
        return [o.__dict__ for o in payments.payment_actions(record, self.request.user)]

    def act(self, record, data):
        payments.payment_act(payment=record, actor=self.request.user, channel=API, **data)

    @extend_schema(parameters=[APPLICATION_PK, RECORD_PK], responses={200: s.MoneyActionsSerializer})
    def get(self, request, application_pk, pk):
        return super().get(request, application_pk, pk)

    @_actions_schema(s.PaymentActionSerializer, s.PaymentSerializer)
    def post(self, request, application_pk, pk):
        return super().post(request, application_pk, pk)


class ContractTransitionsView(_ActionsView):
    selector = staticmethod(selectors.contracts_for)
    request_serializer = s.ContractActionSerializer
    record_serializer = s.ContractSerializer

    def record(self, application_pk, pk):
        record = super().record(application_pk, pk)
        record.declared = contracts.declared_on(record.pk)
        record.verified = declarations.verified_on(record.pk)
        record.state = "checked" if record.checked_by_id else "unchecked"
        return record

    def options(self, record):
        return [o.__dict__ for o in contracts.contract_actions(record, self.request.user)]

    def act(self, record, data):
        contracts.contract_act(contract=record, actor=self.request.user, channel=API, **data)

    @extend_schema(parameters=[APPLICATION_PK, RECORD_PK], responses={200: s.MoneyActionsSerializer})
    def get(self, request, application_pk, pk):
        return super().get(request, application_pk, pk)

    @_actions_schema(s.ContractActionSerializer, s.ContractSerializer)
    def post(self, request, application_pk, pk):
        return super().post(request, application_pk, pk)


def money_urls():
    """The routes, named `<record>-list`, `<record>-detail`, `<record>-transitions`."""
    from django.urls import path

    base = "applications/<int:application_pk>/"
    found = []
    for name, prefix, viewset, detail, actions in (
        (
            "contract",
            "contracts",
            ContractViewSet,
            {"get": "retrieve", "patch": "partial_update"},
            ContractTransitionsView,
        ),
        (
            "declaration",
            "declarations",
            DeclarationViewSet,
            {"get": "retrieve", "patch": "partial_update"},
            DeclarationTransitionsView,
        ),
        ("payment", "payments", PaymentViewSet, {"get": "retrieve"}, PaymentTransitionsView),
    ):
        found += [
            path(f"{base}{prefix}/", viewset.as_view({"get": "list", "post": "create"}), name=f"{name}-list"),
            path(f"{base}{prefix}/<int:pk>/", viewset.as_view(detail), name=f"{name}-detail"),
            path(f"{base}{prefix}/<int:pk>/transitions/", actions.as_view(), name=f"{name}-transitions"),
        ]
    return found


# --- the absorption report ----------------------------------------------------------------------------

GROUP = OpenApiParameter(
    "group",
    str,
    OpenApiParameter.QUERY,
    enum=list(absorption.GROUPS),
    description="Rows per operation (default), municipality, region or programme.",
)


@extend_schema(parameters=[GROUP])
class AbsorptionView(AggregateView):
    """Included and current budget, contracted, declared, verified and paid per group of the scoped,
    filtered included operations: the figures of `/reports/absorption` (grants.delivery.absorption)."""

    serializer_class = s.AbsorptionRowSerializer
    filterset_class = AbsorptionFilterSet

    def rows(self, applications):
        group = self.request.query_params.get("group") or "operation"
        if group not in absorption.GROUPS:
            raise ValidationError(
                {"group": [_("Choose one of: %(g)s.") % {"g": ", ".join(absorption.GROUPS)}]}
            )
        return absorption.Pages(applications, group)
