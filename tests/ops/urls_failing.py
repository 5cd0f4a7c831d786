"""The project's URLs plus views that fail, outside DRF, to show what users and API clients get
(config.urls's handler500 is the one under test)."""

from django.contrib.auth.models import User
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns


def broken(request):
    raise RuntimeError("a bug")


def counts_users(request):
    User.objects.count()
    raise AssertionError("the database was expected to be down")


class BrokenApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug in a DRF view")


urlpatterns = [
    path("api/drf-boom/", BrokenApiView.as_view()),
    path("boom/", broken),
    path("api/boom/", broken),
    path("api/plain-db/", counts_users),
    path("plain-db/", counts_users),
    *project_urlpatterns,
]
