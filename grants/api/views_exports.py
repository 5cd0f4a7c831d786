"""Export jobs over the API: POST asks for a file, GET follows it, `download_url` fetches it. Every
job is its owner's alone (anyone else's is a 404, staff included); what goes into the file is
scoped by the owner's permissions (grants.exports.services)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from grants import roles
from grants.exports import services
from grants.exports.views import file_response
from grants.models import Channel, ExportJob, ExportState

from .views import ApiView


class ExportRequestSerializer(serializers.Serializer):
    report = serializers.CharField(help_text="A report's name: operations, popularity, selections, … .")
    format = serializers.CharField(help_text="csv, xlsx, pdf or json (inclusions also txt).")
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text='The report\'s filters as on its page, e.g. {"status": ["included"], "region": "EL65"}.',
    )


class ExportAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ExportState.choices)
    url = serializers.URLField(help_text="Where to follow the job.")


class ExportJobSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(source="state", choices=ExportState.choices, read_only=True)
    download_url = serializers.SerializerMethodField(help_text="The file, once the job is done.")

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "status",
            "report",
            "format",
            "filters",
            "error",
            "row_count",
            "size",
            "sha256",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if job.state != ExportState.DONE:
            return None
        return self.context["request"].build_absolute_uri(reverse("api:export-download", args=[job.pk]))


class MayExport(BasePermission):
    """Staff and municipality accounts; a signed-in user with neither role exports nothing."""

    def has_permission(self, request, view):
        return bool(roles.is_staff_role(request.user) or roles.municipality_of(request.user))


@extend_schema_view(
    create=extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportAcceptedSerializer},
        description=(
            "Ask for a report's file. The worker builds it as you (your scope); follow `url` until "
            "`status` is `done`, then fetch `download_url`. A municipality may export operations, "
            "selections and popularity (its own rows); other reports are a 403."
        ),
    ),
    download=extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, "The file.")},
        description="The finished file, for its owner only (anyone else: 404).",
    ),
)
class ExportJobViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ExportJobSerializer
    permission_classes = [IsAuthenticated, MayExport]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        return services.jobs_of(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            job = services.export_job_create(
                owner=request.user,
                report=data["report"],
                fmt=data["format"],
                filters=data["filters"],
                channel=Channel.API,
            )
        except DjangoPermissionDenied as exc:
            # DRF would answer its generic 403; the reason says which reports are allowed.
            raise exceptions.PermissionDenied(str(exc)) from exc
        job.refresh_from_db()  # without a broker the task has already run
        url = request.build_absolute_uri(reverse("api:export-detail", args=[job.pk]))
        return Response({"id": job.pk, "status": job.state, "url": url}, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        # DRF answers HEAD with the GET action: that would record a download no one received. The
        # download page of «My exports» takes GET alone too.
        if request.method == "HEAD":
            raise exceptions.MethodNotAllowed(request.method)
        try:
            job = services.downloadable(request.user, pk)
        except ExportJob.DoesNotExist:
            raise Http404 from None
        return file_response(
            job, services.export_job_download(job=job, actor=request.user, channel=Channel.API)
        )
