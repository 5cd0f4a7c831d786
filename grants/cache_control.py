"""`Cache-Control: no-store` on whatever a signed-in user is answered: pages, API responses, exports.
A shared computer's browser cache or a proxy must not keep a municipality's application or an
officer's report after they signed out."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

HEALTH_PATHS = ("/healthz", "/readyz")


class NoStoreForAuthenticatedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Health checks answer no one in particular and set their own header; reading the session
        # here would make /healthz touch the database it promises not to.
        if request.path in HEALTH_PATHS:
            return response
        # Read after the view: DRF sets request.user for a token only when the view authenticates.
        # A request with credentials that failed (401) is no more cacheable than one that succeeded.
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        # The answer to a write is someone's too: the API token issued for a password, a login.
        private = signed_in or "HTTP_AUTHORIZATION" in request.META or request.method not in ("GET", "HEAD")
        if private and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            add_never_cache_headers(response)
        return response
