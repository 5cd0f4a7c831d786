"""Health endpoints for the proxy, systemd and monitoring: no authentication, no data revealed.

- `GET /healthz`: the process answers (touches neither the database nor the cache), so a restart is
  only triggered by a process that is truly stuck.
- `GET /readyz`: this process can serve: the database answers, the cache reads back what it wrote,
  the broker accepts a connection (when there is one, i.e. REDIS_URL is set) and every migration of
  this code is applied. 503 when any of them fails, so a load balancer sends requests elsewhere.

Each component is reported as "ok" or "fail" and nothing more; the cause goes to the log.
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("grants.health")

TIMEOUT_SECONDS = 2
# Once every migration of this code is applied it stays so for the life of the process (a later
# release's migrations are that release's business), so the migration graph is read until then only.
_migrations_applied = False


def _database():
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _cache():
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=TIMEOUT_SECONDS * 5)
    try:
        return cache.get(key) == value
    finally:
        cache.delete(key)


def _broker():
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS
        )
        return connection.connected


def _migrations():
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def _checks():
    checks = {"database": _database, "cache": _cache}
    # Without REDIS_URL tasks run in the web process (memory://): there is no broker to reach.
    if not settings.CELERY_BROKER_URL.startswith("memory://"):
        checks["broker"] = _broker
    checks["migrations"] = _migrations
    return checks


def _answer(components):
    ok = all(state == "ok" for state in components.values())
    return JsonResponse({"status": "ok" if ok else "fail", **components}, status=200 if ok else 503)


@never_cache
@require_GET
def healthz(request):
    return _answer({})


@never_cache
@require_GET
def readyz(request):
    components = {}
    for name, check in _checks().items():
        try:
            healthy = check()
        except Exception:
            logger.warning("readyz: %s is down", name, exc_info=True)
            healthy = False
        components[name] = "ok" if healthy else "fail"
    return _answer(components)
