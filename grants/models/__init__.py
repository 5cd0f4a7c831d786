from .application import RELEASED_STATUSES, Application, ApplicationStatus, committed_to_cap
from .audit import AuditEvent, Channel
from .checklist import ChecklistAnswer, ChecklistAnswerChoice, ChecklistCriterion
from .documents import (
    DEFAULT_MAX_SIZE,
    Document,
    DocumentScope,
    DocumentType,
    FileFormat,
    Message,
    MessageAttachment,
    MessageKind,
    MessageSide,
)
from .export import ExportJob, ExportState
from .geography import Municipality, MunicipalityAccount, Region, RegionalUnit, RegionCategory
from .imports import PreparedImport, PreparedImportState
from .programme import CapBreakdown, CapOverride, Programme

__all__ = [
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "CapBreakdown",
    "CapOverride",
    "ChecklistAnswer",
    "ChecklistAnswerChoice",
    "ChecklistCriterion",
    "Channel",
    "DEFAULT_MAX_SIZE",
    "Document",
    "DocumentScope",
    "DocumentType",
    "FileFormat",
    "Message",
    "MessageAttachment",
    "MessageKind",
    "MessageSide",
    "ExportJob",
    "ExportState",
    "Municipality",
    "PreparedImport",
    "PreparedImportState",
    "MunicipalityAccount",
    "Programme",
    "Region",
    "RegionCategory",
    "RegionalUnit",
    "RELEASED_STATUSES",
    "committed_to_cap",
]
