from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.my_exports, name="list"),
    path("<int:pk>/download/", views.download, name="download"),
]
