"""Django's own account commands (changepassword, createsuperuser), recorded like every other account
change. A separate app because Django takes a command from the first app that has it: this one is
listed before django.contrib.auth, and holds nothing else (no models, templates or translations), so
its place in INSTALLED_APPS changes nothing more."""
