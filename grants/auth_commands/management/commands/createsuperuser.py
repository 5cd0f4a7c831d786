from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.db.models import Max

from grants import services
from grants.models import Channel


class Command(createsuperuser.Command):
    help = createsuperuser.Command.help + " Recorded in the audit trail."

    def handle(self, *args, **options):
        # The username may come from a prompt, an option or the environment: the new account is
        # found as the one that did not exist before, whichever way it was named.
        users = get_user_model()._default_manager.using(options["database"])
        last = users.aggregate(m=Max("pk"))["m"] or 0
        result = super().handle(*args, **options)
        for user in users.filter(pk__gt=last):
            services.account_edit_record(user=user, before=None, channel=Channel.COMMAND)
            if user.has_usable_password():
                services.account_password_set(user=user, channel=Channel.COMMAND)
        return result
