"""The user's own notifications: `GET /api/v1/notifications/` (newest first, `unread` filter) and
`POST /api/v1/notifications/{id}/read/`. Anyone else's notification is a 404, staff included."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grants import inbox
from grants.filters import NotificationFilterSet
from grants.models import Notification

from .views import ApiView


class NotificationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    text = serializers.SerializerMethodField(help_text="The notification, in the request's language.")
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_display", "application", "text", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_text(self, obj) -> str:
        return inbox.render(obj.kind, obj.params)

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return inbox.notifications_of(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notification read (again: no change)."""
        try:
            notification = inbox.notification_read(user=request.user, notification_id=pk)
        except (Notification.DoesNotExist, ValueError):
            raise Http404 from None
        return Response(NotificationSerializer(notification).data)
