from .application import RELEASED_STATUSES, Application, ApplicationStatus, committed_to_cap
from .audit import AuditEvent, Channel
from .checklist import ChecklistAnswer, ChecklistAnswerChoice, ChecklistCriterion
from .delivery import (
    Contract,
    DecisionKind,
    DecisionVersion,
    DeclarationState,
    ExpenditureDeclaration,
    Payment,
    PaymentState,
    ProcurementProcedure,
)
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
from .notification import MANDATORY_EMAIL, Notification, NotificationKind, Reminder, UserPreferences
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
    "Contract",
    "DecisionKind",
    "DecisionVersion",
    "DeclarationState",
    "ExpenditureDeclaration",
    "Payment",
    "PaymentState",
    "ProcurementProcedure",
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
    "MANDATORY_EMAIL",
    "Municipality",
    "Notification",
    "NotificationKind",
    "PreparedImport",
    "PreparedImportState",
    "MunicipalityAccount",
    "Programme",
    "Region",
    "RegionCategory",
    "RegionalUnit",
    "Reminder",
    "UserPreferences",
    "RELEASED_STATUSES",
    "committed_to_cap",
]
