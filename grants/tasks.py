"""Celery tasks (found by config.celery's autodiscovery; the e-mail tasks live in grants.notifications,
imported here so that the worker registers them). Thin: each takes ids, reads fresh rows and
calls a service; all are safe to run twice. Enqueued only after the transaction that asked for them
commits (`transaction.on_commit(lambda: task.delay(id))`), so a worker never looks for a row that
is not there yet. Without REDIS_URL they run in the calling process."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

from grants.inbox import deliver  # noqa: F401  (registered)
from grants.notifications import send_status_email, send_status_emails  # noqa: F401  (registered)

logger = logging.getLogger(__name__)

# The database restarting or a connection dropped: worth trying again, later.
TRANSIENT = (OperationalError, InterfaceError)
RETRIES = 5


def backoff(retries: int) -> int:
    """Seconds before retry number `retries` + 1: 10 s, 20 s, 40 s … at most 10 minutes."""
    return min(10 * 2**retries, 600)


@shared_task(bind=True, max_retries=RETRIES)
def build_export(self, job_id: int):
    from grants.exports import services

    try:
        services.export_job_build(job_id=job_id)
    except TRANSIENT as exc:
        # Run in the process with errors re-raised (no broker: the demo), a retry would only raise:
        # the job fails at once rather than staying «running».
        in_process = self.request.is_eager and self.app.conf.task_eager_propagates
        if self.request.retries < self.max_retries and not in_process:
            raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
        logger.exception("export job %s failed after %s retries", job_id, self.max_retries)
        services.export_job_fail(job_id=job_id, error=_("The file could not be prepared; try again later."))
    except Exception:
        # The owner sees that it failed and may ask again; the details are for the operator's log.
        logger.exception("export job %s failed", job_id)
        services.export_job_fail(job_id=job_id, error=_("The file could not be prepared."))


@shared_task
def expire_exports():
    from grants.exports import services

    return services.export_jobs_expire()


@shared_task
def send_deadline_reminders():
    """Daily: municipalities 3 days before a deadline, officers of overdue work; each reminder once."""
    from grants import deadlines

    return deadlines.reminders_send()
