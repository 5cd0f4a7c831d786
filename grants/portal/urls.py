from django.urls import path

from . import inbox, views, views_amendments, views_documents, views_money

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("inbox/", inbox.notifications, name="inbox"),
    path("inbox/<int:pk>/", inbox.notification, name="notification"),
    path("inbox/read-all/", inbox.notifications_read_all, name="notifications_read_all"),
    path("preferences/", inbox.preferences, name="preferences"),
    path("programmes/<int:programme_id>/start/", views.start, name="start"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/add/<int:project_id>/", views.selection_add, name="selection_add"),
    path("applications/<int:pk>/cap-bar/", views.cap_bar, name="cap_bar"),
    path("applications/<int:pk>/submit/", views.submit, name="submit"),
    path("applications/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("applications/<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:pk>/documents/", views_documents.documents_page, name="documents"),
    path(
        "applications/<int:pk>/documents/<int:doc_id>/download/",
        views_documents.document_download,
        name="document_download",
    ),
    path(
        "applications/<int:pk>/documents/<int:doc_id>/delete/",
        views_documents.document_delete,
        name="document_delete",
    ),
    path("applications/<int:pk>/messages/", views_documents.messages_page, name="messages"),
    path(
        "applications/<int:pk>/messages/attachments/<int:attachment_id>/download/",
        views_documents.attachment_download,
        name="attachment_download",
    ),
    # Issue 14, after inclusion: the operation, amendments, progress, indicators (views_amendments).
    path("applications/<int:pk>/operation/", views_amendments.operation, name="operation"),
    path("applications/<int:pk>/amendments/new/", views_amendments.amendment_new, name="amendment_new"),
    path("applications/<int:pk>/progress/", views_amendments.progress_set, name="progress_set"),
    path(
        "applications/<int:pk>/indicators/report/", views_amendments.indicator_report, name="indicator_report"
    ),
    path("applications/<int:pk>/money/", views_money.money, name="money"),
    path("applications/<int:pk>/contracts/new/", views_money.contract_new, name="contract_new"),
    path("applications/<int:pk>/declarations/new/", views_money.declaration_new, name="declaration_new"),
    path("selections/<int:pk>/", views.selection_edit, name="selection_edit"),
    path("selections/<int:pk>/remove/", views.selection_remove, name="selection_remove"),
]
