from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search_page, name="search"),
    path("<slug:name>/", views.report_page, name="page"),
    path("<slug:name>.<slug:fmt>", views.report_download, name="download"),
]
