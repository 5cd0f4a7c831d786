from .amendments import (
    OPEN_AMENDMENT_STATES,
    STAGE_DATE_FIELDS,
    Amendment,
    AmendmentState,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    ProgressStage,
    ProjectProgress,
)
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
from .export import ExportJob, ExportState
from .geography import Municipality, MunicipalityAccount, Region, RegionalUnit, RegionCategory
from .imports import PreparedImport, PreparedImportState
from .programme import CapBreakdown, CapOverride, Programme

__all__ = [
    "Amendment",
    "AmendmentState",
    "Indicator",
    "IndicatorTarget",
    "IndicatorValue",
    "OPEN_AMENDMENT_STATES",
    "ProgressStage",
    "ProjectProgress",
    "STAGE_DATE_FIELDS",
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
