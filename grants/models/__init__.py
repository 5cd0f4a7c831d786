from .application import RELEASED_STATUSES, Application, ApplicationStatus, committed_to_cap
from .audit import AuditEvent, Channel
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
from .programme import CapBreakdown, CapOverride, Programme

__all__ = [
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "CapBreakdown",
    "CapOverride",
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
