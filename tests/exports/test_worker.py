"""An export built by a real Celery worker over Redis, as production runs it: the test process
enqueues on Redis (database 3 unless EXPORT_TEST_REDIS_URL says otherwise), a `celery -A config
worker` in a subprocess reads the committed job from the test database and writes the file into
the shared private storage. Skipped when Redis is not reachable."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from grants.models import ExportJob, ExportState

from .conftest import api_client

REDIS_URL = os.environ.get("EXPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def on_redis(monkeypatch):
    """The test process publishes to Redis instead of running tasks in the process."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "broker_url", REDIS_URL)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    app._after_fork()  # forget the in-memory broker's connection pool
    yield
    monkeypatch.undo()
    app._after_fork()


@pytest.fixture
def worker(private_root, tmp_path):
    redis_client = _redis_or_skip()
    redis_client.flushdb()  # no message left over from an earlier run
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "PRIVATE_STORAGE_ROOT": str(private_root),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "HTTPS": "0",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        # The export is checked by then: nothing of the worker's shutdown is under test, and its warm
        # shutdown took 2-3 s on the busy test machine. Its Redis database is flushed below.
        process.kill()
        process.wait()
        log.close()
        redis_client.flushdb()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_export(
    kalamata_user, two_applications, private_root, on_redis, worker, tmp_path
):
    client = api_client(kalamata_user)
    response = client.post("/api/v1/exports/", {"report": "operations", "format": "xlsx"}, format="json")
    assert response.status_code == 202 and response.data["status"] == "pending"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        detail = client.get(response.data["url"]).data
        if detail["status"] in (ExportState.DONE, ExportState.FAILED) or time.monotonic() > deadline:
            break
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.3)
    assert detail["status"] == ExportState.DONE, (tmp_path / "worker.log").read_text()
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content[:2] == b"PK" and content == (private_root / ExportJob.objects.get().file).read_bytes()
    assert detail["row_count"] == 1  # Kalamata's own application: the worker ran in its owner's scope
