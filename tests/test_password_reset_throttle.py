"""Password-reset requests are limited per client address and per e-mail address: beyond a limit
nothing is sent and the page says so, with the same answer whether an account has that address or
not. The counters live in the cache (Redis shared by every process in production)."""

import logging
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse


@pytest.fixture(autouse=True)
def limits(settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 5
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    settings.PASSWORD_RESET_LIMIT_WINDOW = 3600


def ask(client, email, ip="10.0.0.1"):
    return client.post(
        reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )


def test_beyond_the_limit_per_e_mail_nothing_is_sent_and_the_page_says_so(client, kalamata_user, caplog):
    for n in (1, 2):
        page = ask(client, kalamata_user.email, ip=f"10.0.0.{n}")
        assert page.redirect_chain[-1][0] == reverse("password_reset_done")
        assert "Too many requests" not in page.content.decode()
    assert len(mail.outbox) == 2

    with caplog.at_level(logging.WARNING, logger="grants.security"):
        page = ask(client, kalamata_user.email.upper(), ip="10.0.0.3")  # another address, same mailbox
    body = page.content.decode()
    assert page.status_code == 200 and page.redirect_chain[-1][0] == reverse("password_reset_done")
    assert "Too many requests to reset a password" in body and "60 minutes" in body
    assert "Check your e-mail" in body  # the same page as ever
    assert len(mail.outbox) == 2
    assert "password reset throttled" in caplog.text and "per e-mail address" in caplog.text

    # The window over (the counters gone from the cache), the link is sent again.
    cache.clear()
    ask(client, kalamata_user.email, ip="10.0.0.4")
    assert len(mail.outbox) == 3


def test_beyond_the_limit_per_address_nothing_is_sent_from_it(client, kalamata_user, pyli_user, caplog):
    for n in range(5):
        ask(client, f"nobody{n}@example.gr")
    with caplog.at_level(logging.WARNING, logger="grants.security"):
        page = ask(client, kalamata_user.email)
    assert "Too many requests to reset a password" in page.content.decode()
    assert mail.outbox == []
    assert "10.0.0.1" in caplog.text and "per address" in caplog.text
    # Another address is not affected.
    page = ask(client, pyli_user.email, ip="10.9.9.9")
    assert "Too many requests" not in page.content.decode()
    assert [m.to for m in mail.outbox] == [[pyli_user.email]]


def test_the_answer_does_not_tell_whether_an_account_has_the_address(client, kalamata_user):
    def answer(email, ip):
        page = ask(client, email, ip=ip)
        # The CSRF token is masked anew for every response: not a difference.
        return page.redirect_chain, re.sub(r'value="[A-Za-z0-9]{64}"', "", page.content.decode())

    assert answer(kalamata_user.email, "10.0.1.1") == answer("nobody@example.gr", "10.0.1.2")
    for _ in range(2):
        ask(client, "nobody@example.gr", ip="10.0.1.3")
        ask(client, kalamata_user.email, ip="10.0.1.3")
    # Throttled alike: an unknown address is counted as a known one is.
    assert answer(kalamata_user.email, "10.0.1.4") == answer("nobody@example.gr", "10.0.1.5")


def test_a_limit_of_zero_turns_it_off(client, settings, kalamata_user):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 0
    for _ in range(4):
        ask(client, kalamata_user.email, ip="10.0.2.1")
    assert len(mail.outbox) == 4
