from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from grants.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain, event by event in id order: prints the id of the first event "
        "that does not match (changed, inserted out of order, or the one after a deleted event) and exits "
        "with status 1, or the number of events when the chain holds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="language of the messages (el or en)"
        )

    def handle(self, *args, language=settings.LANGUAGE_CODE, verbosity=1, **options):
        def progress(count):
            if verbosity > 1:
                self.stderr.write(f"{count:,}")

        count, broken, head = verify_chain(progress=progress)
        with translation.override(language):
            if broken is not None:
                self.stderr.write(
                    _(
                        "The audit trail has been altered: event %(id)s does not match its chain "
                        "(%(count)s events before it hold)."
                    )
                    % {"id": broken, "count": count}
                )
                raise SystemExit(1)
            self.stdout.write(
                _("The audit trail's chain holds: %(count)s events, last hash %(hash)s.")
                % {"count": count, "hash": head}
            )
