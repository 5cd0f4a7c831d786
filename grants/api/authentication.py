"""Token authentication that holds staff to the second factor. A staff token is issued only with a
one-time code (the token endpoint asks for one), and setting up the authenticator revokes a staff
account's earlier token; so, while MFA_REQUIRED is on, a staff account without an authenticator holds
a token obtained with a password alone (before the second factor was required): it is refused, with
the way to a new one."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from grants.mfa import services as mfa_services


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if mfa_services.mfa_forced(user) and not mfa_services.mfa_enrolled(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "This token was issued without a one-time code: set up two-step verification on "
                    "the site, then ask for a new token with your authenticator app's code in «otp»."
                )
            )
        return user, token
