"""The demo as the inbox needs it: every account and demo municipality has an address (the console
backend prints what would be sent), the call stays open, and the demo's history filled inboxes."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from grants.models import Municipality, Notification, Programme


@pytest.mark.slow
def test_demo_accounts_municipalities_and_an_open_call(db, settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-pass-for-tests"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=None)
    for username in ("officer", "approver", "auditor", "kalamata", "pyli"):
        assert User.objects.get(username=username).email == f"{username}@example.gr"
    for code in ("4401", "2603"):
        assert Municipality.objects.get(elstat_code=code).contact_email_list
    programme = Programme.objects.get(code="SMART-CITIES")
    assert programme.closes_on > timezone.localdate() + datetime.timedelta(days=7)
    assert programme.is_open()
    # The demo's decisions were told to the accounts that were there to hear them.
    assert Notification.objects.filter(recipient__username="pyli").exists()
