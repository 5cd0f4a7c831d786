"""Django's makemessages without msgmerge's fuzzy matching.

A new English string otherwise inherits the Greek of the nearest old one, marked fuzzy (e.g.
"contractor" took "χρήστης"): a wrong translation that looks done. Without fuzzy matching every new
string arrives empty, which tests/test_i18n.py then reports as missing.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
