from django.urls import path

from . import views, views_money

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
    path("applications/<int:pk>/money/", views_money.money, name="money"),
    path("applications/<int:pk>/contracts/new/", views_money.contract_new, name="contract_new"),
    path("applications/<int:pk>/declarations/new/", views_money.declaration_new, name="declaration_new"),
    path("selections/<int:pk>/", views.selection_edit, name="selection_edit"),
    path("selections/<int:pk>/remove/", views.selection_remove, name="selection_remove"),
]
