from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView

from grants import accounts, health
from grants.admin import inbox as admin_inbox
from grants.imports import admin_views as import_views

# The product's name in the page's language («Χρηματοδοτήσεις Έξυπνων Πόλεων» in Greek).
admin.site.site_header = gettext_lazy("Smart Cities grants")
admin.site.site_title = gettext_lazy("Smart Cities grants")

# An unhandled error: the 500 page with the request id, or JSON under /api/; 503 when the database is down.
handler500 = "grants.errors.server_error"
handler404 = "grants.errors.not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before admin.site.urls, whose catch-all would otherwise answer these paths.
    *import_views.urls(),
    *admin_inbox.urls(),
    *accounts.urls(),
    path("admin/", admin.site.urls),
    path("accounts/mfa/", include("grants.mfa.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("reports/", include("grants.reports.urls")),
    path("exports/", include("grants.exports.urls")),
    path("api/v1/", include("grants.api.urls")),
    path("portal/", include("grants.portal.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
