"""Login throttling (django-axes): five wrong passwords for an account from one address lock that
pair out, even with the right password; another address is not affected."""

from django.urls import reverse


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_five_failures_lock_the_account_from_that_address(client, kalamata_user):
    for _ in range(4):
        assert _login(client, "kalamata", "wrong").status_code == 200  # the form again, with its error
    locked = _login(client, "kalamata", "wrong")
    assert locked.status_code == 429
    assert _login(client, "kalamata", "pw-secret-123").status_code == 429  # right password, still locked
    assert "_auth_user_id" not in client.session
    other = _login(client.__class__(), "kalamata", "pw-secret-123", ip="10.0.0.2")
    assert other.status_code == 302  # the municipality is not locked out from its own office


def test_a_success_resets_the_count(client, kalamata_user):
    for _ in range(4):
        _login(client, "kalamata", "wrong")
    assert _login(client, "kalamata", "pw-secret-123").status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "kalamata", "wrong").status_code == 200
