from .application import Application, ApplicationStatus
from .audit import AuditEvent, Channel
from .geography import Municipality, MunicipalityAccount, Region, RegionalUnit, RegionCategory
from .programme import CapBreakdown, CapOverride, Programme

__all__ = [
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "CapBreakdown",
    "CapOverride",
    "Channel",
    "Municipality",
    "MunicipalityAccount",
    "Programme",
    "Region",
    "RegionCategory",
    "RegionalUnit",
]
