"""A whole programme in one command (`manage.py simulate_programme`): the plan (plan.py), who acts and
what they write (people.py), carrying it out through the services (run.py), and where the rest of the
product joins in (extensions.py)."""
