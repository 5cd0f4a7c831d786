from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Smart Cities grants")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from grants import checks  # noqa: F401  (registers the production checks)
        from grants.permissions_setup import ensure_role_groups

        # post_migrate is sent once per app, in INSTALLED_APPS order, and an app's permissions exist
        # only once its own signal has run (projects comes after grants): the groups are rebuilt once,
        # after the last app's, instead of after each of them. Every test flush sends the signals
        # too, and rebuilding after each of the ~15 apps took about a second per flush.
        last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
        post_migrate.connect(ensure_role_groups, sender=last, dispatch_uid="grants_role_groups")
