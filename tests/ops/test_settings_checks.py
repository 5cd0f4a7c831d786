"""With DEBUG off a weak SECRET_KEY stops `manage.py check` (and, at settings load, every start) and
the console e-mail backend is refused unless named; `manage.py check` runs in a subprocess with the
environment under test, as an operator would run it."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from grants import secret_key

STRONG = "Jq3x9ZtVbL0wR2mK7yPfA5uHnC8sEd4GkT1oWiXrYc6BvNaQ-_zh"
SMTP = {"EMAIL_HOST": "smtp.example.gr"}


def manage(*args, **environment):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": "sqlite://:memory:",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


WEAK_KEYS = [
    (None, "SECRET_KEY is not set"),
    ("x7Hq9", "SECRET_KEY has 5 characters; it needs at least 50"),
    ("django-insecure-" + STRONG, "contains «insecure»"),
    (STRONG[:30] + "demo" + STRONG[:30], "contains «demo»"),
    (STRONG + "TEST", "contains «test»"),
    ("please-CHANGE-me-" + STRONG, "contains «change»"),
    ("my-secret-" + STRONG, "contains «secret»"),
    (secret_key.DOCUMENTED_EXAMPLE, "SECRET_KEY is the documented example"),
    ("ab" * 30, "SECRET_KEY repeats too few characters"),
]


@pytest.mark.slow
@pytest.mark.parametrize("key, reason", WEAK_KEYS[:2])
def test_a_weak_secret_key_stops_check_with_a_message_naming_it(key, reason):
    # The settings refuse the key as they load, whichever the reason (secret_key.problem's): two keys
    # prove that path in a process of their own; each reason is proven in process below.
    result = manage("check", **SMTP, **({"SECRET_KEY": key} if key is not None else {}))
    assert result.returncode != 0
    assert reason in result.stderr
    assert "Traceback" not in result.stderr  # the reason, not a stack to dig through


@pytest.mark.parametrize("key, reason", WEAK_KEYS[1:])  # Django itself refuses an empty key on use
def test_each_weak_secret_key_fails_the_check_naming_the_reason(key, reason):
    # The check (grants.E001) says the same of a key changed after load, as `manage.py check` runs it.
    with override_settings(SECRET_KEY=key, DEBUG=False), pytest.raises(SystemCheckError) as refused:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    assert "grants.E001" in str(refused.value) and reason in str(refused.value)


@pytest.mark.slow
def test_a_weak_secret_key_stops_the_wsgi_application_and_celery_too():
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": "sqlite://:memory:", "SECRET_KEY": "short", **SMTP}
    for module in ("config.wsgi", "config.celery"):
        code = f"import {module}; from django.conf import settings; settings.SECRET_KEY"
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
        )
        assert result.returncode != 0 and "SECRET_KEY has 5 characters" in result.stderr, module


@pytest.mark.slow
def test_a_strong_key_with_smtp_passes():
    result = manage("check", SECRET_KEY=STRONG, **SMTP)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_the_demo_needs_no_key_and_prints_mail():
    result = manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_console_backend_is_refused_when_chosen_by_default():
    result = manage("check", SECRET_KEY=STRONG)
    assert result.returncode != 0
    assert "grants.E002" in result.stderr and "EMAIL_HOST" in result.stderr


@pytest.mark.slow
def test_the_console_backend_is_accepted_when_named():
    result = manage(
        "check", SECRET_KEY=STRONG, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_smtp_is_configured_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, "
        "s.EMAIL_USE_TLS)"
    )
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        SECRET_KEY=STRONG,
        EMAIL_HOST="smtp.example.gr",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="grants",
        EMAIL_HOST_PASSWORD="pw",
        EMAIL_USE_TLS="0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.gr",
        "2525",
        "grants",
        "pw",
        "False",
    ]


@pytest.mark.parametrize("key", [STRONG, "qr_hekhRZDpD_SrB7WG1vn4BeLrMTPiCiqnUsYKLV0sJoEkBMisvaeGV9bEf0oIe"])
def test_generated_keys_pass_the_rule(key):
    assert secret_key.problem(key) is None


def test_the_documented_example_key_is_the_one_refused():
    example = (settings.BASE_DIR / "deploy" / "smartcities.env.example").read_text()
    (line,) = [line for line in example.splitlines() if line.startswith("SECRET_KEY=")]
    assert line.removeprefix("SECRET_KEY=") == secret_key.DOCUMENTED_EXAMPLE


@pytest.mark.slow
@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_make_serve_refuses_debug_before_starting_anything(value):
    result = subprocess.run(
        [sys.executable, "bin/serve"],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ["PATH"], "DEBUG": value, "PORT": "8109"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to start with DEBUG on" in result.stderr and "make demo" in result.stderr
