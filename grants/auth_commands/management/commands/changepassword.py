import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from grants import services
from grants.models import Channel


class Command(changepassword.Command):
    help = changepassword.Command.help + " Recorded in the audit trail; the account's API token is revoked."

    def handle(self, *args, **options):
        result = super().handle(*args, **options)
        # Django's command raises before this point when no password was set. Same lookup as its own.
        model = get_user_model()
        user = model._default_manager.using(options["database"]).get(
            **{model.USERNAME_FIELD: options["username"] or getpass.getuser()}
        )
        services.account_password_set(user=user, channel=Channel.COMMAND)
        return result
