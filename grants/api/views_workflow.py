"""Selections and transitions: the writes that change an application, guarded by its version."""

from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from grants import selectors
from grants.filters import SelectionFilterSet
from grants.models import Application, Channel
from grants.version_check import application_at_version
from grants.workflow import available_actions, transition
from projects import services as project_services

from . import serializers as s
from .if_match import etag, expected_version
from .permissions import EditSelections, TakeActions
from .views import APPLICATION_PK, ApiView, scoped_application

API = Channel.API
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The application\'s version you last read, e.g. "3"; a newer one answers 409.',
)


def _current_version(application) -> int:
    return Application.objects.values_list("version", flat=True).get(pk=application.pk)


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK]),
    retrieve=extend_schema(parameters=[APPLICATION_PK]),
    create=extend_schema(
        parameters=[APPLICATION_PK, IF_MATCH],
        request=s.SelectionCreateSerializer,
        responses={201: s.SelectionSerializer},
    ),
    update=extend_schema(
        parameters=[APPLICATION_PK, IF_MATCH],
        request=s.SelectionUpdateSerializer,
        responses={200: s.SelectionSerializer},
    ),
    partial_update=extend_schema(
        parameters=[APPLICATION_PK, IF_MATCH],
        request=s.SelectionUpdateSerializer,
        responses={200: s.SelectionSerializer},
    ),
    destroy=extend_schema(parameters=[APPLICATION_PK, IF_MATCH], responses={204: None}),
)
class SelectionViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """An application's chosen catalogue projects. Writes go through projects.services, which hold
    the cap under a lock and refuse changes once the application is submitted (409)."""

    serializer_class = s.SelectionSerializer
    filterset_class = SelectionFilterSet
    permission_classes = [IsAuthenticated, EditSelections]
    ordering_fields = ["project__code", "amount", "created_at"]
    ordering = ["project__category__order", "project__code"]

    @cached_property
    def application(self):
        return scoped_application(self.request, self.kwargs["application_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.selections_for(self.request.user).none()
        return selectors.selections_for(self.request.user).filter(application=self.application)

    def _written(self, selection, code):
        headers = {"ETag": etag(_current_version(self.application))}
        if selection is None:
            return Response(status=code, headers=headers)
        selection = self.get_queryset().get(pk=selection.pk)
        return Response(s.SelectionSerializer(selection).data, status=code, headers=headers)

    def create(self, request, *args, **kwargs):
        serializer = s.SelectionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with application_at_version(self.application, expected_version(request, data.get("version"))):
            selection = project_services.selection_add(
                application=self.application,
                project=data["project"],
                amount=data["amount"],
                justification=data.get("justification", ""),
                actor=request.user,
                channel=API,
            )
        return self._written(selection, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        selection = self.get_object()
        serializer = s.SelectionUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with application_at_version(self.application, expected_version(request, data.get("version"))):
            project_services.selection_update(
                selection=selection,
                amount=data.get("amount"),
                justification=data.get("justification"),
                actor=request.user,
                channel=API,
            )
        return self._written(selection, status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        selection = self.get_object()
        with application_at_version(self.application, expected_version(request)):
            project_services.selection_remove(selection=selection, actor=request.user, channel=API)
        return self._written(None, status.HTTP_204_NO_CONTENT)


class TransitionsView(ApiView, APIView):
    """GET: every action, whether this account may take it now and, if not, why.
    POST: take one through grants.workflow.transition; a refusal is a 409 with the reason."""

    permission_classes = [IsAuthenticated, TakeActions]
    pagination_class = None

    def _state(self, application):
        options = available_actions(application, self.request.user, channel=API)
        return {
            "application": application.pk,
            "status": application.status,
            "version": application.version,
            "actions": [o.__dict__ for o in options],
        }

    @extend_schema(parameters=[APPLICATION_PK], responses={200: s.TransitionsSerializer})
    def get(self, request, application_pk):
        application = scoped_application(request, application_pk)
        return Response(s.TransitionsSerializer(self._state(application)).data)

    @extend_schema(
        parameters=[APPLICATION_PK, IF_MATCH],
        request=s.TransitionRequestSerializer,
        responses={
            200: s.ApplicationSerializer,
            409: OpenApiResponse(description="The workflow refused the action, or the version is stale."),
        },
    )
    def post(self, request, application_pk):
        application = scoped_application(request, application_pk)
        serializer = s.TransitionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with application_at_version(application, expected_version(request, data.get("version"))):
            transition(
                application,
                data["action"],
                actor=request.user,
                note=data.get("note", ""),
                channel=API,
                **serializer.fields_for_workflow(),
            )
        fresh = selectors.applications_for(request.user).get(pk=application.pk)
        fresh.selections_count = fresh.selections.count()
        return Response(s.ApplicationSerializer(fresh).data, headers={"ETag": etag(fresh.version)})
