"""Greek is the default language and English is complete: the catalogues are checked as files
(nothing empty, nothing fuzzy, placeholders kept, the committed .mo matching its .po) and as
behaviour (published status terms, a workflow refusal in each language). locale_django/ fills the
gaps of Django's and the installed apps' own Greek catalogues, checked the same way and on the
pages where those strings show."""

import ast
import gettext
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from grants import workflow
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create

LOCALE = Path(settings.LOCALE_PATHS[0])
GAPS = settings.BASE_DIR / "locale_django"

OWN = [pytest.param(LOCALE, lang, "django", id=f"locale-{lang}") for lang in ("el", "en")]
CATALOGUES = OWN + [
    pytest.param(GAPS, "el", domain, id=f"locale_django-el-{domain}") for domain in ("django", "djangojs")
]

# The terms under which the statuses are published (inclusion decisions, open-data lists).
PUBLISHED = {
    S.DRAFT: "Σε σύνταξη",
    S.SUBMITTED: "Υποβλήθηκε",
    S.UNDER_REVIEW: "Σε αξιολόγηση",
    S.RETURNED: "Επιστράφηκε για διορθώσεις",
    S.TO_BE_INCLUDED: "Προς ένταξη",
    S.INCLUDED: "Ενταγμένη",
    S.REJECTED: "Απορρίφθηκε",
    S.WITHDRAWN: "Αποσύρθηκε",
    S.DEINCLUDED: "Απενταγμένη",
    S.COMPLETED: "Ολοκληρωμένη",
}

# Named and positional printf placeholders, and str.format ones (DRF, django-axes, the admin).
PLACEHOLDERS = re.compile(r"%\([^)]+\)[sdifr]|%[sdif]|\{[^{}]*\}")


def read_po(path):
    """A minimal .po reader (polib is not a dependency): entries as dicts of msgid, msgid_plural,
    msgctxt, msgstr (a list, one per plural form) and flags."""
    entries, entry, key = [], None, None

    def close():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and "msgid" in entry:
                close()
                entry = None
            entry = entry or {"flags": set(), "msgstr": {}}
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, int):
                entry["msgstr"][key] += value
            else:
                entry[key] += value
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid") and entry is not None and "msgid" in entry:
            close()
            entry = None
        entry = entry or {"flags": set(), "msgstr": {}}
        value = ast.literal_eval(rest)
        if word.startswith("msgstr["):
            key = int(word[7:-1])
            entry["msgstr"][key] = value
        elif word == "msgstr":
            key = 0
            entry["msgstr"][0] = value
        else:
            key = word
            entry[word] = value
    close()
    for e in entries:
        e["msgstr"] = [e["msgstr"][i] for i in sorted(e["msgstr"])]
    return entries


def catalogue(lang, locale=LOCALE, domain="django"):
    entries = read_po(locale / lang / "LC_MESSAGES" / f"{domain}.po")
    header = next(e for e in entries if e["msgid"] == "")
    return header, [e for e in entries if e["msgid"] != ""]


def label(e):
    return f"{e.get('msgctxt', '')}|{e['msgid']}"


@pytest.mark.parametrize("locale, lang, domain", CATALOGUES)
def test_catalogue_is_complete_and_not_fuzzy(locale, lang, domain):
    header, entries = catalogue(lang, locale, domain)
    assert "fuzzy" not in header["flags"], "a fuzzy header is skipped by msgfmt, and Plural-Forms with it"
    assert f"Language: {lang}\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]
    assert entries
    fuzzy = [label(e) for e in entries if "fuzzy" in e["flags"]]
    empty = [label(e) for e in entries if not all(e["msgstr"])]
    assert fuzzy == []
    assert empty == []
    assert all(len(e["msgstr"]) == 2 for e in entries if "msgid_plural" in e)


def test_both_catalogues_hold_the_same_strings():
    assert len(catalogue("el")[1]) > 100
    assert {label(e) for e in catalogue("el")[1]} == {label(e) for e in catalogue("en")[1]}


@pytest.mark.parametrize("locale, lang, domain", CATALOGUES)
def test_every_placeholder_survives_translation(locale, lang, domain):
    wrong = []
    for e in catalogue(lang, locale, domain)[1]:
        sources = [e["msgid"], e.get("msgid_plural", e["msgid"])]
        for i, msgstr in enumerate(e["msgstr"]):
            # Greek has two forms; the singular may keep the plural's placeholders and vice versa.
            expected = sorted(PLACEHOLDERS.findall(sources[min(i, 1)]))
            if sorted(PLACEHOLDERS.findall(msgstr)) != expected:
                wrong.append((e["msgid"], msgstr))
            if "python-format" in e["flags"] and msgstr.count("%%") != sources[min(i, 1)].count("%%"):
                wrong.append((e["msgid"], msgstr))
    assert wrong == []


@pytest.mark.parametrize("locale, lang, domain", CATALOGUES)
def test_committed_mo_matches_its_po(locale, lang, domain):
    # CI may lack msgfmt, so the .mo is committed: it must not lag behind the .po.
    with open(locale / lang / "LC_MESSAGES" / f"{domain}.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for e in catalogue(lang, locale, domain)[1]:
        ctx = e.get("msgctxt")
        if "msgid_plural" in e:
            got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
            if ctx:
                got = [compiled.npgettext(ctx, e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
        else:
            got = [compiled.pgettext(ctx, e["msgid"]) if ctx else compiled.gettext(e["msgid"])]
        if got != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == []


def test_greek_is_the_default_language():
    assert settings.LANGUAGE_CODE == "el"
    with translation.override(settings.LANGUAGE_CODE):
        assert str(S.SUBMITTED.label) == "Υποβλήθηκε"


def test_status_labels_are_the_published_greek_terms():
    with translation.override("el"):
        assert {status: str(status.label) for status in S} == PUBLISHED


def test_status_labels_in_english():
    with translation.override("en"):
        assert str(S.RETURNED.label) == "Returned for corrections"
        assert str(S.DEINCLUDED.label) == "De-included"


@pytest.fixture
def draft(programme, kalamata):
    application, _ = application_get_or_create(programme=programme, municipality=kalamata)
    assert application.status == S.DRAFT
    return application


def _refusal(application, officer):
    with pytest.raises(workflow.TransitionError) as refused:
        workflow.transition(application, "start_review", actor=officer)
    return refused.value.messages


def test_workflow_refusal_in_greek(draft, officer):
    with translation.override("el"):
        messages = _refusal(draft, officer)
    assert messages == ["Η ενέργεια «Έναρξη αξιολόγησης» δεν είναι δυνατή όσο η αίτηση είναι «Σε σύνταξη»."]


def test_workflow_refusal_in_english(draft, officer):
    with translation.override("en"):
        messages = _refusal(draft, officer)
    assert messages == ["«Start review» is not possible while the application is «Draft»."]


def test_our_catalogue_comes_before_the_gaps_of_djangos():
    # The first of LOCALE_PATHS wins where two translate the same string: our wording stays ours.
    assert [Path(p) for p in settings.LOCALE_PATHS] == [settings.BASE_DIR / "locale", GAPS]


# Strings missing from the Greek catalogue of Django's admin, with the Greek our pages show. "Skip to
# main content" is translated by our own catalogue (the portal has it too), the others by locale_django.
ADMIN_GAPS = {
    "/admin/": {
        "Skip to main content": "Μετάβαση στο κύριο περιεχόμενο",
        "Toggle theme (current theme: auto)": "Εναλλαγή θέματος (τρέχον θέμα: αυτόματο)",
        "Model name": "Όνομα μοντέλου",
        "Change or view list link": "Σύνδεσμος αλλαγής ή προβολής λίστας",
    },
    "/admin/auth/user/": {
        "Breadcrumbs": "Διαδρομή πλοήγησης",
        "Start typing to filter…": "Πληκτρολογήστε για φιλτράρισμα…",
        "Show counts": "Εμφάνιση πλήθους",
    },
    "/admin/auth/user/add/": {
        "Password-based authentication": "Πιστοποίηση με κωδικό πρόσβασης",
        "Enabled": "Ενεργοποιημένη",
    },
}


@pytest.mark.parametrize("url", ADMIN_GAPS)
def test_greek_admin_shows_no_english_from_djangos_gaps(admin_client, url):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    page = admin_client.get(url).content.decode()
    for english, greek in ADMIN_GAPS[url].items():
        assert greek in page
        assert english not in page


def test_greek_admin_javascript_catalogue_fills_djangos_gaps(admin_client):
    # JavaScriptCatalog reads LOCALE_PATHS too, whatever packages the admin asks for.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    script = admin_client.get(reverse("admin:jsi18n")).content.decode()
    assert json.dumps("Κυριακή") in script
    assert f'"Choose all %s": {json.dumps("Επιλογή όλων (%s)")}' in script


def test_a_locked_out_login_is_refused_in_greek(client, kalamata_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(
            reverse("login"), {"username": "kalamata", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="el"
        )
    assert locked.status_code == 429
    assert locked.content.decode().startswith("Ο λογαριασμός κλειδώθηκε: πάρα πολλές προσπάθειες σύνδεσης.")


def test_a_greek_admin_form_with_errors_says_so_in_greek(admin_client):
    # Django 5.2's change form asks for the sentence in the singular and the plural; its Greek catalogue
    # has two singular sentences, so a form with errors opened in English without locale_django's.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    page = admin_client.post("/admin/auth/user/add/", {}).content.decode()
    assert "Διορθώστε τα παρακάτω σφάλματα." in page
    assert "Please correct" not in page


def test_the_status_label_is_djangos_own_in_both_languages():
    """Application.get_status_display (a faster twin of Django's) says what Django's would."""
    from django.db.models import Model

    from grants.models import Application

    field = Application._meta.get_field("status")
    for language in ("el", "en"):
        with translation.override(language):
            for value, _label in S.choices:
                app = Application(status=value)
                assert app.get_status_display() == Model._get_FIELD_display(app, field)
    assert Application(status="unknown").get_status_display() == "unknown"
