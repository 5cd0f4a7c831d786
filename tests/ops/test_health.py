"""/healthz and /readyz: open to everyone, the same answer whoever asks, no data revealed, 503 when a
component is down (a closed port for Redis, the broker or PostgreSQL, an unapplied migration)."""

import os
import socket

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from grants import health

ROLES = ("anonymous", "kalamata_user", "pyli_user", "officer", "approver", "auditor")
CLOSED = "redis://127.0.0.1:1/0"
# Database 1 unless HEALTH_TEST_REDIS_URL says otherwise (several checkouts may share one Redis).
REDIS = os.environ.get("HEALTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def redis_cache(url):
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


def redis_is_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _read_migrations_again(monkeypatch):
    # The positive answer is kept for the process's life; each test starts without it.
    monkeypatch.setattr(health, "_migrations_applied", False)


@pytest.fixture
def as_role(client, request):
    def login(role):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return client

    return login


@pytest.mark.parametrize("role", ROLES)
def test_healthz_answers_everyone_without_touching_the_database(role, as_role, db, django_assert_num_queries):
    client = as_role(role)
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("role", ROLES)
def test_readyz_reports_each_component_and_nothing_else(role, as_role, db):
    response = as_role(role).get("/readyz")
    assert response.status_code == 200
    # Without REDIS_URL (the tests) tasks run in the process: there is no broker to check.
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "migrations": "ok"}


def test_health_endpoints_answer_get_only(client, db):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


@override_settings(CACHES=redis_cache(CLOSED), CELERY_BROKER_URL=CLOSED)
def test_readyz_is_503_when_redis_is_down(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "ok",
        "cache": "fail",
        "broker": "fail",
        "migrations": "ok",
    }
    # The process itself is fine: a restart would not help, so /healthz stays green.
    assert client.get("/healthz").status_code == 200


@pytest.mark.skipif(not redis_is_up(), reason="no Redis at 127.0.0.1:6379")
@override_settings(CACHES=redis_cache(REDIS), CELERY_BROKER_URL=REDIS)
def test_readyz_checks_redis_as_cache_and_broker_when_it_is_configured(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "migrations": "ok",
    }


def test_readyz_is_503_when_a_migration_is_not_applied(client, db):
    latest = MigrationRecorder.Migration.objects.filter(app="grants").latest("id")
    latest.delete()  # as if this release's migration had not run yet (rolled back with the test)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "fail" and response.json()["database"] == "ok"


def test_readyz_is_503_when_the_database_is_down(client, database_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "database": "fail", "cache": "ok", "migrations": "fail"}
    assert client.get("/healthz").status_code == 200
