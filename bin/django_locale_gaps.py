#!/usr/bin/env python
"""Print, as a .pot, the strings that Django's and the installed apps' Greek catalogues lack.

A gap is a msgid (with its msgctxt and plural) of the app's English catalogue that the Greek one
misses, leaves empty or marks fuzzy; an app without an English catalogue is measured against its
Greek .po, and an app translated into other languages but neither of these against the strings
xgettext finds in its Python sources (django-axes). Gettext merges all the catalogues of a domain,
so a string that another Greek catalogue translates (ours in locale/ included) is no gap.
locale_django/el holds the translations:

    .venv/bin/pip install polib    # only for this script: not a dependency, uninstall it afterwards
    for d in django djangojs; do
        .venv/bin/python bin/django_locale_gaps.py $d > /tmp/$d.pot
        msgmerge -q -U --backup=none --no-fuzzy-matching locale_django/el/LC_MESSAGES/$d.po /tmp/$d.pot
    done
    # translate the new empty entries, delete the obsolete (#~) ones, then:
    DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402

# makemessages' keywords, so that xgettext sees what Django's own extraction would.
KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]


def load(locale_dir, lang, domain):
    base = locale_dir / lang / "LC_MESSAGES" / domain
    if base.with_suffix(".po").exists():
        return polib.pofile(str(base.with_suffix(".po")))
    if base.with_suffix(".mo").exists():
        return polib.mofile(str(base.with_suffix(".mo")))
    return None


def from_sources(package_dir):
    sources = sorted(str(p) for p in package_dir.rglob("*.py") if "migrations" not in p.parts)
    with tempfile.NamedTemporaryFile(suffix=".pot") as pot:
        args = ["xgettext", "-L", "Python", "--from-code=UTF-8", "-o", pot.name]
        subprocess.run(args + [f"--keyword={k}" for k in KEYWORDS] + sources, check=True)
        return polib.pofile(pot.name)


def translated(entry):
    if entry is None or entry.obsolete or "fuzzy" in entry.flags:
        return False
    return all(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)


def gaps(locale_dir, domain, package_dir):
    english, greek = load(locale_dir, "en", domain), load(locale_dir, "el", domain)
    if english is not None:
        reference = english
    elif isinstance(greek, polib.POFile):
        reference = greek
    elif domain == "django" and any(locale_dir.glob(f"*/LC_MESSAGES/{domain}.po")):
        reference = from_sources(package_dir)
    else:
        return []
    return [e for e in reference if e.msgid and not e.obsolete]


def main(domain):
    django_dir = Path(django.__file__).parent
    sources = [(django_dir / "conf" / "locale", django_dir)]
    sources += [(Path(a.path) / "locale", Path(a.path)) for a in apps.get_app_configs()]
    sources = [(d, p) for d, p in sources if d.is_dir()]
    # locale_django itself does not count: what it translates is what this script lists.
    greek = [load(d, "el", domain) for d, _ in sources] + [load(Path(settings.LOCALE_PATHS[0]), "el", domain)]
    known = {(e.msgctxt, e.msgid) for catalogue in greek if catalogue for e in catalogue if translated(e)}
    pot = polib.POFile()
    pot.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
    seen = set()
    site_packages = django_dir.parent
    for locale_dir, package_dir in sources:
        for entry in gaps(locale_dir, domain, package_dir):
            key = (entry.msgctxt, entry.msgid)
            if key in known or key in seen:
                continue
            seen.add(key)
            where = str(locale_dir.relative_to(site_packages))
            pot.append(
                polib.POEntry(
                    msgctxt=entry.msgctxt,
                    msgid=entry.msgid,
                    msgid_plural=entry.msgid_plural,
                    msgstr_plural={0: "", 1: ""} if entry.msgid_plural else {},
                    comment=entry.comment,
                    occurrences=[(where, "")],
                    flags=[f for f in entry.flags if f.endswith("-format")],
                )
            )
    sys.stdout.write(str(pot) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "django")
