"""bin/serve (make serve) for real: gunicorn, a Celery worker and beat start and answer; SIGINT stops
every process they started; when one of them dies the others are stopped too. On the run's PostgreSQL
test database, which pytest-django has migrated (each serve finds nothing to migrate, as a restart in
production does; migrating a fresh SQLite file for it took 7.6 s of CPU), and without Redis (tasks
in-process, the worker on an in-memory broker)."""

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc"),
]

PORT = "8109"
KEY = "Jq3x9ZtVbL0wR2mK7yPfA5uHnC8sEd4GkT1oWiXrYc6BvNaQ-_zh"


def parent_of(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root):
    found, parents = set(), {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parents[int(entry.name)] = parent_of(entry.name)
    frontier = {root}
    while frontier:
        children = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=5) as response:
        return response.status, response.read().decode()


def environment(home, database_url):
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "TMPDIR": str(home),
        "DATABASE_URL": database_url,
        "SECRET_KEY": KEY,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "HTTPS": "0",
        "PORT": PORT,
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "1",
        "STOP_TIMEOUT": "20",
    }


@pytest.fixture(scope="module")
def database_url(django_db_setup):
    """The test database: nothing of this module's holds a transaction open on it while serve runs."""
    from django.db import connection

    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = ":" + urllib.parse.quote(db["PASSWORD"], safe="") if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s")
        time.sleep(0.1)


@pytest.fixture
def serve(tmp_path, database_url, transactional_db):
    # transactional_db: without a test that asks for the database, pytest-django creates none, and
    # this file run on its own served the project's own (absent) database. No transaction is held
    # open while serve migrates; what serve writes is flushed after it has stopped.
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "bin/serve"],
        cwd=settings.BASE_DIR,
        env=environment(tmp_path, database_url),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    process.log = log

    def answers():
        assert process.poll() is None, log.read_text()
        try:
            return get("/healthz")[0] == 200
        except OSError:
            return False

    try:
        wait_for(answers, 180, "make serve did not answer")
        # gunicorn's master, its workers, Celery's worker and pool, beat: everything this serve started.
        wait_for(lambda: len(descendants(process.pid)) >= 6, 60, "serve did not start its 6 processes")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        for pid in descendants(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_sigint_stops_gunicorn_the_worker_and_beat(serve):
    status, body = get("/readyz")
    assert status == 200 and '"database": "ok"' in body
    assert get("/admin/login/")[0] == 200
    started = descendants(serve.pid)
    commands = {Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in started}
    assert any("gunicorn" in c for c in commands)
    assert any("celery -A config worker" in c for c in commands)
    assert any("celery -A config beat" in c for c in commands)

    serve.send_signal(signal.SIGINT)
    assert serve.wait(timeout=60) == 0
    output = serve.log.read_text()
    assert "SIGINT received" in output and "serve: stopped" in output
    assert [pid for pid in started if alive(pid)] == []


def test_when_one_process_dies_the_others_are_stopped(serve):
    started = descendants(serve.pid)
    beat = next(pid for pid in started if "beat" in Path(f"/proc/{pid}/cmdline").read_text())
    os.kill(beat, signal.SIGKILL)
    assert serve.wait(timeout=60) == 1
    assert "beat exited" in serve.log.read_text()
    assert [pid for pid in started if alive(pid)] == []
