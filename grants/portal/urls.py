from django.urls import path

from . import views, views_amendments

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("programmes/<int:programme_id>/start/", views.start, name="start"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/add/<int:project_id>/", views.selection_add, name="selection_add"),
    path("applications/<int:pk>/cap-bar/", views.cap_bar, name="cap_bar"),
    path("applications/<int:pk>/submit/", views.submit, name="submit"),
    path("applications/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("applications/<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    # Issue 14, after inclusion: the operation, amendments, progress, indicators (views_amendments).
    path("applications/<int:pk>/operation/", views_amendments.operation, name="operation"),
    path("applications/<int:pk>/amendments/new/", views_amendments.amendment_new, name="amendment_new"),
    path("applications/<int:pk>/progress/", views_amendments.progress_set, name="progress_set"),
    path(
        "applications/<int:pk>/indicators/report/", views_amendments.indicator_report, name="indicator_report"
    ),
    path("selections/<int:pk>/", views.selection_edit, name="selection_edit"),
    path("selections/<int:pk>/remove/", views.selection_remove, name="selection_remove"),
]
