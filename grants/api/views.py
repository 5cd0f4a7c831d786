"""API v1 views. Thin: reads start from the scoped selectors and the shared FilterSets, writes call
the services and the workflow with channel "api", and errors are mapped once in .exceptions."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from grants import roles, selectors, services
from grants.filters import (
    ApplicationFilterSet,
    AuditEventFilterSet,
    CatalogueFilterSet,
    MunicipalityFilterSet,
)
from grants.mfa import services as mfa_services
from grants.models import Channel, Programme
from grants.pagination import KeysFirstPaginator
from projects import services as project_services
from projects.models import CatalogueProject, Category, Selection

from . import serializers as s
from .permissions import CreateOwnApplication, ReadAllWriteOfficers

API = Channel.API


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class KeysFirstPagination(Pagination):
    """Pages read by their keys first (grants.pagination.by_keys): a search for a common word walks the
    municipalities' name index alone until the page is found, instead of reading every row it passes."""

    django_paginator_class = KeysFirstPaginator


class ApiView:
    """What every resource view shares: JSON bodies only (anything else is a 415) and pagination."""

    parser_classes = [parsers.JSONParser]
    pagination_class = Pagination


# --- authentication -----------------------------------------------------------------------------


class TokenResponseSerializer(s.serializers.Serializer):
    token = s.serializers.CharField()


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password, and for accounts that sign in with a second factor (staff, anyone
    enrolled) a current code of their authenticator app or an unused recovery code in `otp`."""

    otp = s.serializers.CharField(
        label=gettext_lazy("One-time code"),
        required=False,
        allow_blank=True,
        max_length=32,
        trim_whitespace=True,
        help_text=gettext_lazy(
            "Required for staff and for accounts with two-step verification: the app's 6 digits or a "
            "recovery code."
        ),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if not mfa_services.mfa_needed(user):
            return attrs
        if not mfa_services.mfa_enrolled(user):
            raise s.serializers.ValidationError(
                {
                    "otp": [
                        _(
                            "Set up two-step verification on the site first (%(url)s), "
                            "then send a code in «otp»."
                        )
                        % {"url": reverse("mfa:setup")}
                    ]
                }
            )
        if not attrs.get("otp"):
            raise s.serializers.ValidationError(
                {
                    "otp": [
                        _(
                            "This account needs a one-time code: "
                            "send the code of your authenticator app in «otp»."
                        )
                    ]
                }
            )
        try:
            mfa_services.mfa_verify(user=user, code=attrs["otp"], channel=Channel.API)
        except DjangoValidationError as exc:
            raise s.serializers.ValidationError({"otp": exc.messages}) from exc
        return attrs


class LoginThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"


class TokenView(APIView):
    """POST username and password (and `otp` for staff) for this account's token; DELETE revokes it."""

    parser_classes = [parsers.JSONParser, parsers.FormParser]
    throttle_scope = "login"

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        # Password guessing is throttled harder than ordinary use.
        return [LoginThrottle()] if self.request.method == "POST" else super().get_throttles()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = services.api_token_get_or_create(user=serializer.validated_data["user"])
        return Response({"token": key})

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Token revoked.")})
    def delete(self, request):
        services.api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- reference data -----------------------------------------------------------------------------


class MunicipalityViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.MunicipalitySerializer
    filterset_class = MunicipalityFilterSet
    pagination_class = KeysFirstPagination
    ordering_fields = ["name", "elstat_code", "population_2011", "population_2021"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.municipalities_for(self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # The status filter joins applications: one municipality may match through several.
        return queryset.distinct() if "status" in self.request.query_params else queryset


class ProgrammeViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ProgrammeSerializer
    queryset = Programme.objects.all()
    ordering_fields = ["code", "opens_on", "closes_on"]
    ordering = ["code"]


class OfficerWritableViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone reads, officers write through an audited service; nothing is deleted (entries are
    referenced by history), an officer deactivates instead."""

    permission_classes = [IsAuthenticated, ReadAllWriteOfficers]

    def save_through_service(self, obj):
        raise NotImplementedError

    def perform_create(self, serializer):
        serializer.instance = self.save_through_service(serializer.Meta.model(**serializer.validated_data))

    def perform_update(self, serializer):
        obj = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(obj, name, value)
        serializer.instance = self.save_through_service(obj)


class CategoryViewSet(OfficerWritableViewSet):
    serializer_class = s.CategorySerializer
    queryset = Category.objects.all()
    ordering_fields = ["order", "title_el", "title_en"]
    ordering = ["order"]

    def save_through_service(self, obj):
        return project_services.category_save(category=obj, actor=self.request.user, channel=API)


class CatalogueViewSet(OfficerWritableViewSet):
    serializer_class = s.CatalogueProjectSerializer
    queryset = CatalogueProject.objects.select_related("category")
    filterset_class = CatalogueFilterSet
    ordering_fields = ["code", "title_el", "title_en", "category__order"]
    ordering = ["category__order", "code"]

    def save_through_service(self, obj):
        return project_services.catalogue_project_save(project=obj, actor=self.request.user, channel=API)


# --- applications -------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=s.ApplicationCreateSerializer,
        responses={
            201: s.ApplicationSerializer,
            200: OpenApiResponse(s.ApplicationSerializer, description="The draft already existed."),
        },
        description="A municipality account opens (or finds) its own draft application in a programme.",
    )
)
class ApplicationViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ApplicationSerializer
    filterset_class = ApplicationFilterSet
    permission_classes = [IsAuthenticated, CreateOwnApplication]
    ordering_fields = [
        "municipality__name",
        "status",
        "budget",
        "inclusion_date",
        "submitted_at",
        "updated_at",
    ]
    ordering = ["municipality__name", "id"]

    def get_queryset(self):
        # A subquery per row, not a GROUP BY join of every selection: PostgreSQL evaluates it for the
        # page's rows only, after the sort and the limit.
        selections = (
            Selection.objects.filter(application=OuterRef("pk"))
            .order_by()
            .values("application")
            .annotate(n=Count("pk"))
            .values("n")
        )
        count = Coalesce(Subquery(selections, output_field=IntegerField()), Value(0))
        return selectors.applications_for(self.request.user).annotate(selections_count=count)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def create(self, request, *args, **kwargs):
        serializer = s.ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application, created = services.application_get_or_create(
            programme=serializer.validated_data["programme"],
            municipality=roles.municipality_of(request.user),
            actor=request.user,
            channel=API,
        )
        fresh = self.get_queryset().get(pk=application.pk)
        return Response(
            s.ApplicationSerializer(fresh).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def scoped_application(request, pk):
    """The application if this account may see it; another municipality's is a 404 like a missing one."""
    return get_object_or_404(selectors.applications_for(request.user), pk=pk)


APPLICATION_PK = OpenApiParameter("application_pk", int, OpenApiParameter.PATH, description="Application id")


@extend_schema_view(list=extend_schema(parameters=[APPLICATION_PK]))
class HistoryViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The application's audit trail, oldest first, as the account is allowed to see it."""

    serializer_class = s.AuditEventSerializer
    filterset_class = AuditEventFilterSet
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.audit_events_for(self.request.user).none()
        application = scoped_application(self.request, self.kwargs["application_pk"])
        return selectors.audit_events_for(self.request.user).filter(application=application)
