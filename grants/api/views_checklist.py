"""The evaluation checklist of an application: every criterion of its programme with the current
review's answer. Read by whoever may read the application (another municipality's is a 404, like the
application); answered by officers, through grants.checklist, while the application is under review
(409 after: the answers freeze at the proposal)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from grants import checklist, roles
from grants.models import Channel, ChecklistAnswerChoice

from .views import APPLICATION_PK, ApiView, scoped_application


class ChecklistRowSerializer(serializers.Serializer):
    criterion = serializers.CharField(help_text="The criterion's code.")
    text_el = serializers.CharField()
    text_en = serializers.CharField()
    order = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=ChecklistAnswerChoice.choices, allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    answered_by = serializers.CharField(
        allow_null=True, help_text="The officer's username; null for municipality accounts."
    )
    answered_at = serializers.DateTimeField(allow_null=True)


class ChecklistAnswerSerializer(serializers.Serializer):
    """One row of a PUT (the shape only: grants.checklist checks every row and names the bad ones)."""

    criterion = serializers.CharField()
    answer = serializers.ChoiceField(choices=ChecklistAnswerChoice.choices)
    comment = serializers.CharField(required=False, allow_blank=True, help_text="Required for «no» and «na».")


def _row(row, *, staff: bool) -> dict:
    answer, criterion = row.answer, row.criterion
    return {
        "criterion": criterion.code,
        "text_el": criterion.text_el,
        "text_en": criterion.text_en,
        "order": criterion.order,
        "answer": answer.answer if answer else None,
        "comment": answer.comment if answer else "",
        # Officers' names stay with the managing authority, as on the portal's timeline.
        "answered_by": answer.answered_by.get_username() if answer and staff else None,
        "answered_at": answer.answered_at if answer else None,
    }


class ChecklistView(ApiView, APIView):
    """GET: every criterion with the current review's answer (null until answered).
    PUT: `[{"criterion": code, "answer": "yes|no|na", "comment": …}]` sets the answers it lists (the
    others keep theirs); officers only, while under review; all rows or none."""

    permission_classes = [IsAuthenticated]
    pagination_class = None

    def _answer(self, application):
        staff = roles.is_staff_role(self.request.user)
        rows = checklist.rows(application)
        return Response(ChecklistRowSerializer([_row(r, staff=staff) for r in rows], many=True).data)

    @extend_schema(parameters=[APPLICATION_PK], responses={200: ChecklistRowSerializer(many=True)})
    def get(self, request, application_pk):
        return self._answer(scoped_application(request, application_pk))

    @extend_schema(
        parameters=[APPLICATION_PK],
        request=ChecklistAnswerSerializer(many=True),
        responses={
            200: ChecklistRowSerializer(many=True),
            400: OpenApiResponse(description="A row is wrong: each message names its row and criterion."),
            403: OpenApiResponse(description="Only officers answer the checklist."),
            409: OpenApiResponse(description="Not under review, or frozen since the proposal."),
        },
    )
    def put(self, request, application_pk):
        application = scoped_application(request, application_pk)
        if not roles.is_officer(request.user):
            raise PermissionDenied("Only an officer answers the evaluation checklist.")
        checklist.checklist_answer(
            application=application, answers=request.data, actor=request.user, channel=Channel.API
        )
        application.refresh_from_db()
        return self._answer(application)
