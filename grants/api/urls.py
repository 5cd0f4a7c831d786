"""API v1 routes. tests/api/test_permission_matrix.py walks these patterns: a new endpoint without a
rule in its expected table fails the suite."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views, views_exports, views_money, views_reports, views_workflow

app_name = "api"

router = SimpleRouter()
router.register("municipalities", views.MunicipalityViewSet, basename="municipality")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("catalogue", views.CatalogueViewSet, basename="catalogue")
router.register("programmes", views.ProgrammeViewSet, basename="programme")
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("exports", views_exports.ExportJobViewSet, basename="export")

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
    *views_money.money_urls(),
    path("reports/absorption/", views_money.AbsorptionView.as_view(), name="report-absorption"),
    path("reports/popularity/", views_reports.PopularityView.as_view(), name="report-popularity"),
    path("reports/budgets/", views_reports.BudgetsView.as_view(), name="report-budgets"),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
]
