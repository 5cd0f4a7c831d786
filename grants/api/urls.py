"""API v1 routes. tests/api/test_permission_matrix.py walks these patterns: a new endpoint without a
rule in its expected table fails the suite."""

from django.urls import path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import (
    views,
    views_amendments,
    views_checklist,
    views_documents,
    views_exports,
    views_inbox,
    views_money,
    views_reports,
    views_schema,
    views_workflow,
)

app_name = "api"

router = SimpleRouter()
router.register("municipalities", views.MunicipalityViewSet, basename="municipality")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("catalogue", views.CatalogueViewSet, basename="catalogue")
router.register("programmes", views.ProgrammeViewSet, basename="programme")
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("exports", views_exports.ExportJobViewSet, basename="export")
router.register("document-types", views_documents.DocumentTypeViewSet, basename="document-type")
router.register("notifications", views_inbox.NotificationViewSet, basename="notification")

selections = views_workflow.SelectionViewSet
urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    *router.urls,
    path(
        "applications/<int:application_pk>/selections/",
        selections.as_view({"get": "list", "post": "create"}),
        name="selection-list",
    ),
    path(
        "applications/<int:application_pk>/selections/<int:pk>/",
        selections.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="selection-detail",
    ),
    path(
        "applications/<int:application_pk>/transitions/",
        views_workflow.TransitionsView.as_view(),
        name="application-transitions",
    ),
    path(
        "applications/<int:application_pk>/history/",
        views.HistoryViewSet.as_view({"get": "list"}),
        name="application-history",
    ),
    path(
        "applications/<int:application_pk>/documents/",
        views_documents.DocumentViewSet.as_view({"get": "list", "post": "create"}),
        name="document-list",
    ),
    path(
        "applications/<int:application_pk>/documents/<int:pk>/",
        views_documents.DocumentViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="document-detail",
    ),
    path(
        "applications/<int:application_pk>/documents/<int:pk>/download/",
        views_documents.DocumentViewSet.as_view({"get": "download"}),
        name="document-download",
    ),
    path(
        "applications/<int:application_pk>/messages/",
        views_documents.MessageViewSet.as_view({"get": "list", "post": "create"}),
        name="message-list",
    ),
    path(
        "applications/<int:application_pk>/messages/<int:message_pk>/attachments/<int:pk>/download/",
        views_documents.AttachmentDownloadView.as_view({"get": "retrieve"}),
        name="message-attachment-download",
    ),
    path(
        "applications/<int:application_pk>/checklist/",
        views_checklist.ChecklistView.as_view(),
        name="application-checklist",
    ),
    # Issue 14, the decision side: versions, amendments, progress, indicators (views_amendments).
    path(
        "applications/<int:application_pk>/decisions/",
        views_amendments.DecisionsView.as_view(),
        name="application-decisions",
    ),
    path(
        "applications/<int:application_pk>/amendments/",
        views_amendments.AmendmentListView.as_view(),
        name="application-amendments",
    ),
    path(
        "applications/<int:application_pk>/amendments/<int:pk>/",
        views_amendments.AmendmentDetailView.as_view(),
        name="amendment-detail",
    ),
    path(
        "applications/<int:application_pk>/amendments/<int:pk>/transitions/",
        views_amendments.AmendmentTransitionsView.as_view(),
        name="amendment-transitions",
    ),
    path(
        "applications/<int:application_pk>/progress/",
        views_amendments.ProgressView.as_view(),
        name="application-progress",
    ),
    path(
        "applications/<int:application_pk>/indicators/",
        views_amendments.IndicatorsView.as_view(),
        name="application-indicators",
    ),
    path("reports/indicators/", views_amendments.IndicatorTotalsView.as_view(), name="indicator-totals"),
    *views_money.money_urls(),
    path("reports/absorption/", views_money.AbsorptionView.as_view(), name="report-absorption"),
    path("reports/popularity/", views_reports.PopularityView.as_view(), name="report-popularity"),
    path("reports/budgets/", views_reports.BudgetsView.as_view(), name="report-budgets"),
    path("schema/", views_schema.SchemaView.as_view(api_version="v1"), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
]
