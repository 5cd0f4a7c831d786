"""System checks for a production configuration (run by `manage.py check`, `migrate` and `make serve`
before anything starts).

The SECRET_KEY rule also stops the settings from loading (config/settings.py), so that processes that
run no checks (gunicorn, celery) refuse a weak key too; the check says the same for a configuration
changed after load.
"""

from django.conf import settings
from django.core import checks

from grants import secret_key

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"


@checks.register(checks.Tags.security)
def check_secret_key(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    problem = secret_key.problem(settings.SECRET_KEY)
    if problem:
        return [checks.Error(problem, hint=secret_key.HOW_TO, id="grants.E001")]
    return []


@checks.register()
def check_email_backend(app_configs, **kwargs):
    # Mail printed on a server's console is mail lost: notifications of submissions and decisions
    # would vanish without an error. Allowed with DEBUG off only when EMAIL_BACKEND asks for it.
    if settings.DEBUG or settings.EMAIL_BACKEND != CONSOLE_BACKEND:
        return []
    if getattr(settings, "EMAIL_BACKEND_EXPLICIT", False):
        return []
    return [
        checks.Error(
            "E-mail would be printed on the console and lost (EMAIL_HOST and EMAIL_BACKEND are unset).",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) "
            "for SMTP, or EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend to mean it.",
            id="grants.E002",
        )
    ]
