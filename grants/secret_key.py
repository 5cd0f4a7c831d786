"""What makes a SECRET_KEY unfit for production: one rule, used by the settings (a hard stop at load,
so that gunicorn, celery and every manage.py command refuse it) and by the system check.

Imports nothing of Django's that needs configured settings: the settings module imports it.
"""

from django.core.exceptions import ImproperlyConfigured


class UnfitSecretKey(ImproperlyConfigured):
    """Raised while the settings load; manage.py prints its reason without a traceback."""


MIN_LENGTH = 50
# The placeholder in deploy/smartcities.env.example and docs/deploy.md: copied unchanged, it is public.
DOCUMENTED_EXAMPLE = "replace-me-with-the-output-of-the-command-in-docs-deploy-md-0123456789"
# Words that give away a key written by hand for a demo, a test or a tutorial.
DEMO_WORDS = ("insecure", "demo", "test", "change", "secret", "example", "replace")


def problem(key: str) -> str | None:
    """Why `key` must not sign production sessions, or None when it looks like a generated key."""
    if not key:
        return "SECRET_KEY is not set."
    if key == DOCUMENTED_EXAMPLE:
        return "SECRET_KEY is the documented example, which is public."
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY has {len(key)} characters; it needs at least {MIN_LENGTH}."
    lowered = key.lower()
    for word in DEMO_WORDS:
        if word in lowered:
            return f"SECRET_KEY looks like a demo or placeholder value (it contains «{word}»)."
    if len(set(key)) < 10:
        return "SECRET_KEY repeats too few characters to be random."
    return None


HOW_TO = (
    "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))' "
    "(or set DEBUG=1 for a local demo)."
)
