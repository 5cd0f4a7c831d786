"""The Celery application: jobs and periodic tasks run on a worker, with Redis as the broker.

Without REDIS_URL (the demo, the tests) tasks run in the calling process (`task_always_eager`), so
nothing needs a broker; production sets REDIS_URL and runs `celery -A config worker` and
`celery -A config beat` beside gunicorn (see `make serve` and deploy/).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("smartcities")
# Every Celery setting lives in Django's settings under the CELERY_ prefix, read from the environment.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
