"""Production settings (the tests run as production does, DEBUG off): cookies only over HTTPS and
browsers told to stay there."""

from django.urls import reverse


def test_session_and_csrf_cookies_are_secure_and_hsts_is_sent(client, kalamata_user):
    login = client.get(reverse("login"), secure=True)
    assert login.cookies["csrftoken"]["secure"]
    assert login["Strict-Transport-Security"].startswith("max-age=31536000")

    response = client.post(
        reverse("login"), {"username": "kalamata", "password": "pw-secret-123"}, secure=True
    )
    assert response.status_code == 302 and response.cookies["sessionid"]["secure"]


def test_a_missing_page_is_explained_in_greek_without_debug_details(client, db):
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Η σελίδα δεν βρέθηκε" in body and "Traceback" not in body and "urlpatterns" not in body
