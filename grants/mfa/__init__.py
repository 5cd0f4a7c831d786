"""The second factor for staff (issue 12): an authenticator app (TOTP) and one-time recovery codes,
kept by django-otp, required of officers, approvers, auditors and superusers on every staff URL
(`middleware`), offered to every other account (`views`), recorded in the audit trail (`services`)."""
