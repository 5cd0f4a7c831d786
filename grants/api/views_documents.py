"""Document types, an application's documents and its clarifications thread over the API.

Reads start from the scoped selectors (another municipality's application, documents and messages
are a 404 like a missing one); writes call grants.documents and grants.conversation with channel
"api"; every file is served by a view that found it through that scope, and the read is audited."""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from grants import conversation, documents, file_checks, roles, selectors
from grants.filters import DocumentTypeFilterSet
from grants.models import Channel, Document, DocumentType, Message, MessageAttachment
from projects.models import CatalogueProject

from .views import APPLICATION_PK, ApiView, scoped_application

API = Channel.API


# --- representations ----------------------------------------------------------------------------


class DocumentTypeSerializer(serializers.ModelSerializer):
    formats = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = DocumentType
        fields = ["code", "title_el", "title_en", "required", "scope", "formats", "max_size"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="document_type.code", read_only=True)
    project = serializers.CharField(source="project.code", read_only=True, allow_null=True, default=None)
    uploaded_by = serializers.CharField(source="uploaded_by_name", read_only=True)

    class Meta:
        model = Document
        fields = ["id", "kind", "project", "filename", "size", "sha256", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=40, help_text=gettext_lazy("The document type's code."))
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    project = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("A selected project's catalogue code, for a type attached to each project."),
    )


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = MessageAttachment
        fields = ["id", "filename", "format", "size", "sha256", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        message = attachment.message
        return self.context["request"].build_absolute_uri(
            reverse(
                "api:message-attachment-download", args=[message.application_id, message.pk, attachment.pk]
            )
        )


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "side",
            "kind",
            "author",
            "body",
            "requested_items",
            "response_due",
            "created_at",
            "attachments",
        ]
        read_only_fields = fields


class MessagePostSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=conversation.MAX_BODY, trim_whitespace=True)
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False,
        default=list,
        help_text=gettext_lazy("Files sent with the message (multipart only)."),
    )


# --- who may call what ----------------------------------------------------------------------------


class MunicipalityWrites(BasePermission):
    """Everyone in scope reads; only municipality accounts add or remove documents (the service then
    holds that it is their own application, in a status that allows it)."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or roles.municipality_of(request.user) is not None


class ThreadWriters(BasePermission):
    """Everyone in scope reads the thread; the municipality and the officers and approvers write,
    auditors only read."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(roles.municipality_of(user) or roles.is_officer(user) or roles.is_approver(user))


def file_response(stored, handle) -> FileResponse:
    return FileResponse(
        handle,
        as_attachment=True,
        filename=stored.filename,
        content_type=file_checks.CONTENT_TYPES.get(stored.format, "application/octet-stream"),
    )


def _refuse_head(request):
    # DRF answers HEAD with the GET action: that would record a download no one received.
    if request.method == "HEAD":
        raise exceptions.MethodNotAllowed(request.method)


BINARY = {(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, "The file.")}


# --- document types -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        description="The documents a programme asks for: `?programme=CODE` for one programme's.",
    )
)
class DocumentTypeViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentTypeSerializer
    queryset = DocumentType.objects.select_related("programme")
    filterset_class = DocumentTypeFilterSet
    ordering_fields = ["code", "order"]
    ordering = ["programme__code", "order", "code"]


# --- documents ----------------------------------------------------------------------------------


DOC_PK = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="Document id")


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK]),
    retrieve=extend_schema(parameters=[APPLICATION_PK, DOC_PK]),
    create=extend_schema(
        parameters=[APPLICATION_PK],
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            201: DocumentSerializer,
            400: OpenApiResponse(description="The file was refused (format from its content, size)."),
            409: OpenApiResponse(description="The application is not a draft or returned."),
        },
        description=(
            "Attach a document (multipart: `kind` = the document type's code, `file`, and `project` = a "
            "selected project's catalogue code for a type attached to each project). Its format is read "
            "from its content; its size is checked before it is stored."
        ),
    ),
    destroy=extend_schema(parameters=[APPLICATION_PK, DOC_PK], responses={204: None}),
    download=extend_schema(parameters=[APPLICATION_PK, DOC_PK], responses=BINARY),
)
class DocumentViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DocumentSerializer
    permission_classes = [IsAuthenticated, MunicipalityWrites]
    parser_classes = [parsers.MultiPartParser]
    filter_backends = []

    @cached_property
    def application(self):
        return scoped_application(self.request, self.kwargs["application_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        return (
            selectors.documents_for(self.request.user)
            .filter(application=self.application)
            .order_by("document_type__order", "document_type__code", "uploaded_at", "id")
        )

    def create(self, request, *args, **kwargs):
        application = self.application
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kind = DocumentType.objects.filter(programme_id=application.programme_id, code=data["kind"]).first()
        if kind is None:
            raise exceptions.ValidationError(
                {"kind": [_("«%(k)s» is not a document type of this programme.") % {"k": data["kind"]}]}
            )
        project = None
        if data.get("project"):
            project = CatalogueProject.objects.filter(code=data["project"]).first()
            if project is None:
                raise exceptions.ValidationError(
                    {"project": [_("«%(p)s» is not in the catalogue.") % {"p": data["project"]}]}
                )
        document = documents.document_upload(
            application=application,
            document_type=kind,
            file=data["file"],
            project=project,
            actor=request.user,
            channel=API,
        )
        fresh = self.get_queryset().get(pk=document.pk)
        return Response(DocumentSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        documents.document_delete(document=instance, actor=self.request.user, channel=API)

    @action(detail=True, methods=["get"])
    def download(self, request, application_pk=None, pk=None):
        _refuse_head(request)
        document = self.get_object()
        return file_response(
            document, documents.document_open(document=document, actor=request.user, channel=API)
        )


# --- the thread ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK], description="The thread, oldest first."),
    create=extend_schema(
        parameters=[APPLICATION_PK],
        request={"application/json": MessagePostSerializer, "multipart/form-data": MessagePostSerializer},
        responses={
            201: MessageSerializer,
            409: OpenApiResponse(description="The operation is closed: the thread takes no more messages."),
        },
        description='Write in the thread: `{"body": "…"}`, or multipart with `attachments`. Never edited '
        "or deleted once sent.",
    ),
)
class MessageViewSet(ApiView, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = MessageSerializer
    permission_classes = [IsAuthenticated, ThreadWriters]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]
    filter_backends = []

    @cached_property
    def application(self):
        return scoped_application(self.request, self.kwargs["application_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return (
            selectors.messages_for(self.request.user)
            .filter(application=self.application)
            .order_by("created_at", "id")
        )

    def create(self, request, *args, **kwargs):
        application = self.application
        serializer = MessagePostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = conversation.post_message(
            application=application,
            author=request.user,
            body=serializer.validated_data["body"],
            attachments=serializer.validated_data["attachments"],
            channel=API,
        )
        fresh = self.get_queryset().get(pk=message.pk)
        return Response(
            MessageSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    parameters=[
        APPLICATION_PK,
        OpenApiParameter("message_pk", int, OpenApiParameter.PATH),
        OpenApiParameter("pk", int, OpenApiParameter.PATH),
    ],
    responses=BINARY,
)
class AttachmentDownloadView(ApiView, viewsets.GenericViewSet):
    """A message's attachment, for whoever reads the thread; the read is audited."""

    queryset = MessageAttachment.objects.none()
    filter_backends = []

    def retrieve(self, request, application_pk, message_pk, pk):
        _refuse_head(request)
        application = scoped_application(request, application_pk)
        attachment = (
            selectors.attachments_for(request.user)
            .filter(pk=pk, message_id=message_pk, message__application=application)
            .first()
        )
        if attachment is None:
            raise Http404
        return file_response(
            attachment, conversation.attachment_open(attachment=attachment, actor=request.user, channel=API)
        )
