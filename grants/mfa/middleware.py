"""The second factor enforced on the server for every URL, not at the login page alone: a session
signed in with a password only, of an account that needs a second factor (grants.mfa.services.mfa_needed),
reaches nothing but the pages that let it pass one, sign out or change language.

- pages: a redirect to enrolment (no authenticator yet) or to verification, with `next` kept;
- the API: 403 in JSON for a session. A request carrying a token is left to the API's token
  authentication: a staff token is issued only with a valid one-time code (grants.api.authentication).

Installed after django_otp's OTPMiddleware, which tells whether this session passed the second factor."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from . import services

API_PREFIX = "/api/"
# Outside the URL configuration (served by other layers, or added by the deployment).
ALWAYS_OPEN = ("/healthz", "/readyz", "/favicon.ico")


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def open_prefixes(self) -> tuple[str, ...]:
        """Paths an unverified session may still reach. Resolved on first use, after the URLconf loaded."""
        names = [
            "mfa:setup",
            "mfa:verify",
            "logout",
            "login",
            "admin:logout",
            "admin:login",
            "set_language",
            "api:schema",
            "api:docs",
        ]
        return (*(reverse(name) for name in names), "/" + settings.STATIC_URL.lstrip("/"), *ALWAYS_OPEN)

    @cached_property
    def token_path(self) -> str:
        return reverse("api:auth-token")

    def __call__(self, request):
        return self.refusal(request) or self.get_response(request)

    @staticmethod
    def carries_a_token(request) -> bool:
        """As DRF's TokenAuthentication reads the header: when its first word is «Token», the token
        alone decides (a valid one authenticates, anything else is a 401), whatever the session. Any
        other scheme falls through to the session, which must then be verified."""
        # Read with DRF's own function and split on bytes as it does: str.split() also splits on
        # characters such as U+00A0 or U+001F, which DRF does not, and a header «Token\xa0x» would
        # then skip this check here while DRF, seeing no token, authenticated the session.
        words = get_authorization_header(request).split()
        return bool(words) and words[0].lower() == TokenAuthentication.keyword.lower().encode()

    def refusal(self, request):
        path = request.path_info
        # The path first: open pages (health checks above all) must not load the session's user.
        if path.startswith(self.open_prefixes):
            return None
        # Asking for a token is open (the code travels with the password); revoking one is not: a
        # password alone must not cut the account owner's integrations off.
        if path == self.token_path and request.method in ("POST", "OPTIONS"):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        if path.startswith(API_PREFIX) and self.carries_a_token(request):
            return None
        if user.is_verified():
            return None
        enrolled = services.mfa_enrolled(user)
        if not enrolled and not services.mfa_forced(user):
            return None
        if path.startswith(API_PREFIX):
            return JsonResponse(
                {
                    "detail": _(
                        "This session has not passed two-step verification: sign in on the site "
                        "with your one-time code, or use an API token."
                    ),
                    "code": "mfa_required",
                },
                status=403,
            )
        target = reverse("mfa:verify" if enrolled else "mfa:setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
