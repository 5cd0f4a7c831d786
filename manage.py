#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from grants.secret_key import UnfitSecretKey

    try:
        execute_from_command_line(sys.argv)
    except UnfitSecretKey as refusal:
        # A configuration mistake, not a bug: the reason alone, without a traceback to dig through.
        sys.exit(f"ImproperlyConfigured: {refusal}")
