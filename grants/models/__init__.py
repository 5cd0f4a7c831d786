from .application import RELEASED_STATUSES, Application, ApplicationStatus, committed_to_cap
from .audit import AuditEvent, Channel
from .export import ExportJob, ExportState
from .geography import Municipality, MunicipalityAccount, Region, RegionalUnit, RegionCategory
from .imports import PreparedImport, PreparedImportState
from .programme import CapBreakdown, CapOverride, Programme
from .summary import SelectionSummary

__all__ = [
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "CapBreakdown",
    "CapOverride",
    "Channel",
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
    "SelectionSummary",
    "RELEASED_STATUSES",
    "committed_to_cap",
]
