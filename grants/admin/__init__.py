"""The officers' admin, split by topic. Every save goes through grants.services,
projects.services or grants.workflow, which write the AuditEvent with the change."""

from . import accounts, application, audit, geography, money, programme, users  # noqa: F401  (registration)
