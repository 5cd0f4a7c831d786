from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Smart Cities grants")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from grants import checks  # noqa: F401  (registers the production checks)
        from grants.permissions_setup import ensure_role_groups

        # No sender: permissions of apps migrated after grants (projects) exist only once their own
        # post_migrate has run, so the groups are rebuilt after each app (idempotent, cheap).
        post_migrate.connect(ensure_role_groups, dispatch_uid="grants_role_groups")
