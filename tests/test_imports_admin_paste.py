"""Pasted text over Django's DATA_UPLOAD_MAX_MEMORY_SIZE gets the import form back with a clear
error, not a bare "Bad Request (400)", and the CSRF check still guards the page."""

from django.conf import settings
from django.test import Client

from grants.models import AuditEvent

URL = "/admin/grants/import-inclusions/"


def csrf_client(officer):
    # The real browser's path: the CSRF check reads the body first, so it is enforced here.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    token = browser.get(URL).context["csrf_token"]
    return browser, str(token)


def test_pasting_more_than_django_reads_shows_the_form_with_a_clear_error(registry, officer):
    browser, token = csrf_client(officer)
    text = "Ενταγμένη ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 01/01/2024\n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 40)
    before = AuditEvent.objects.count()

    response = browser.post(URL, {"csrfmiddlewaretoken": token, "programme": registry.pk, "text": text})

    assert response.status_code == 413
    page = response.content.decode()
    assert "Pasted text is limited to 2.5\xa0MB; upload it as a file instead." in page
    assert response.context["form"].errors["text"]
    assert "Smart Cities grants" in page and 'name="file"' in page  # the admin's frame and the form
    assert AuditEvent.objects.count() == before


def test_the_csrf_check_still_guards_the_import(registry, officer):
    browser, token = csrf_client(officer)
    small = {"programme": registry.pk, "text": "Προς ένταξη ΔΗΜΟΣ ΠΥΛΗΣ 1,000.00 –"}

    assert browser.post(URL, small).status_code == 403
    assert browser.post(URL, {**small, "csrfmiddlewaretoken": token}).status_code == 200


def test_an_oversized_paste_is_refused_to_those_who_may_not_import(registry, auditor):
    browser = Client()
    browser.force_login(auditor)
    text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert browser.post(URL, {"text": text}).status_code == 403
