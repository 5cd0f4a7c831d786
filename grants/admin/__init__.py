"""The officers' admin, split by topic. Every save goes through grants.services,
projects.services or grants.workflow, which write the AuditEvent with the change."""

from . import (  # noqa: F401  (registration)
    accounts,
    amendments,
    application,
    audit,
    checklist,
    desk,
    documents,
    geography,
    money,
    programme,
    users,
)
