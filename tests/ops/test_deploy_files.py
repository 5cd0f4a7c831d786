"""What an operator copies from deploy/ works together: under the units' ProtectSystem=strict the
service user may write only its StateDirectory (/var/lib/smartcities), and the release directory is
root's (docs/deploy.md, step 4). Every place the application writes files must therefore be set there by
the example environment, or export jobs fail on a read-only file system."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Settings read from the environment that name a directory the web or worker processes write into.
WRITTEN_DIRECTORIES = ("MEDIA_ROOT", "PRIVATE_STORAGE_ROOT")


def environment():
    lines = (DEPLOY / "smartcities.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


@pytest.mark.parametrize("unit", ["smartcities-web.service", "smartcities-worker.service"])
@pytest.mark.parametrize("variable", WRITTEN_DIRECTORIES)
def test_every_directory_the_services_write_is_in_their_state_directory(unit, variable):
    text = (DEPLOY / unit).read_text()
    assert "ProtectSystem=strict" in text
    state = re.search(r"^StateDirectory=(\S+)", text, re.M).group(1)
    value = environment().get(variable)
    assert value, f"deploy/smartcities.env.example leaves {variable} in the read-only release directory"
    assert value.startswith(f"/var/lib/{state}/"), value


def gunicorn_check_config(**env):
    base = {name: value for name, value in os.environ.items() if name != "DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--check-config"],
        cwd=ROOT,
        env={**base, "SECRET_KEY": secrets.token_urlsafe(60), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_gunicorn_refuses_debug():
    # docs/deploy.md: every process refuses DEBUG; the web unit's `manage.py check` passes with it.
    done = gunicorn_check_config(DEBUG="1")
    assert done.returncode != 0
    assert "refusing to start with DEBUG on" in done.stderr


@pytest.mark.slow
def test_gunicorn_starts_without_debug():
    done = gunicorn_check_config()
    assert done.returncode == 0, done.stderr
