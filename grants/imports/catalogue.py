"""Replacing the project catalogue from a file (CSV or XLSX), all or nothing.

Columns as in projects/data/catalogue.csv: code, title_el, title_en, category_order, official, source,
description, and optionally active. Entries are matched by code and written through
projects.services.catalogue_project_save (channel "import"), so each change is audited. An entry
missing from the file, or marked inactive, is deactivated, never deleted: selections point at it.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants import audit
from grants.imports.readers import ErrorList, RowError, TableSpec, read_records
from grants.models import Channel
from grants.text import fold, quoted
from projects.models import CatalogueProject, Category
from projects.services import catalogue_project_save

FIELDS = ("code", "title_el", "title_en", "category_order", "official", "active", "source", "description")
CATALOGUE = TableSpec(
    columns={fold(name): name for name in FIELDS},
    required=("code", "title_el", "title_en", "category_order"),
    expected=", ".join(FIELDS),
)
TRUE = {"1", "TRUE", "YES", "ΝΑΙ", "Χ", "X"}
FALSE = {"0", "FALSE", "NO", "ΟΧΙ", ""}


@dataclass
class CatalogueReport:
    source: str = ""
    errors: ErrorList = field(default_factory=ErrorList)
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    deactivated_in_use: list = field(default_factory=list)
    deactivated_unused: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def summary(self) -> list[str]:
        if not self.ok:
            return [_("%(n)d errors: nothing was imported.") % {"n": self.errors.total}]
        lines = [
            _("Created: %(c)d, updated: %(u)d, unchanged: %(s)d.")
            % {"c": len(self.created), "u": len(self.updated), "s": len(self.unchanged)}
        ]
        if self.deactivated_in_use:
            lines.append(
                _("Deactivated, not deleted, because municipalities selected them: %(c)s.")
                % {"c": ", ".join(self.deactivated_in_use)}
            )
        if self.deactivated_unused:
            lines.append(
                _("Deactivated because the file no longer lists them (not in use): %(c)s.")
                % {"c": ", ".join(self.deactivated_unused)}
            )
        if not (self.created or self.updated or self.deactivated_in_use or self.deactivated_unused):
            lines.append(_("Nothing changed: the catalogue already matches this file."))
        return lines


def _flag(value, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    key = fold(str(value)).removesuffix(".0")
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise ValueError(_("«%(v)s» is not yes/no (1 or 0)") % {"v": quoted(value)})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check(records, categories, existing):
    """Build every entry from the file without saving; returns (line, project) pairs and errors."""
    projects, errors, seen = [], ErrorList(), {}
    for line, values in records:
        problems = []
        code = _text(values.get("code"))
        if not code:
            problems.append(_("the code is missing"))
        elif code in seen:
            problems.append(
                _("code %(c)s appears twice (also on line %(n)d)") % {"c": quoted(code), "n": seen[code]}
            )
        else:
            seen[code] = line
        order = _text(values.get("category_order"))
        category = categories.get(order)
        if category is None:
            problems.append(_("unknown category_order «%(o)s»") % {"o": quoted(order)})
        flags = {}
        for name, default in (("official", False), ("active", True)):
            try:
                flags[name] = _flag(values.get(name), default)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        project = existing.get(code) or CatalogueProject(code=code)
        project.title_el = _text(values.get("title_el"))
        project.title_en = _text(values.get("title_en"))
        if "description" in values:
            project.description = _text(values.get("description"))
        if "source" in values:
            project.source = _text(values.get("source"))
        project.official, project.active = flags.get("official", False), flags.get("active", True)
        if category is not None:
            project.category = category
        try:
            project.full_clean(exclude=None if category is not None else ["category"], validate_unique=False)
        except ValidationError as exc:
            problems.extend(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        if problems:
            errors.extend(RowError(line, p) for p in problems)
        else:
            projects.append((line, project))
    return projects, errors


def import_catalogue(content, *, fmt: str, actor=None, source="", dry_run=False) -> CatalogueReport:
    report = CatalogueReport(source=source)
    records, report.errors = read_records(content, fmt, CATALOGUE)
    if report.errors:
        return report
    if not records:
        report.errors.append(RowError(None, _("The file has no entries.")))
        return report
    categories = {str(c.order): c for c in Category.objects.all()}
    # Notes are in the site's language, whoever imports.
    where = source or audit.note_text(gettext_lazy("the imported catalogue"))
    line_note = audit.note_text(gettext_lazy("Catalogue %(s)s, line %(n)d."))
    unlisted_note = audit.note_text(
        gettext_lazy("Not listed in %(s)s: deactivated, not deleted."), {"s": where}
    )
    with transaction.atomic():
        existing = {p.code: p for p in CatalogueProject.objects.select_for_update()}
        before = {
            code: (p.title_el, p.title_en, p.category_id, p.description, p.official, p.active, p.source)
            for code, p in existing.items()
        }
        projects, report.errors = _check(records, categories, existing)
        if report.errors:
            return report
        in_use = set(
            CatalogueProject.objects.filter(selections__isnull=False)
            .values_list("code", flat=True)
            .distinct()
        )
        for line, project in projects:
            created = project.pk is None
            catalogue_project_save(
                project=project,
                actor=actor,
                channel=Channel.IMPORT,
                note=line_note % {"s": where, "n": line},
            )
            state = (
                project.title_el,
                project.title_en,
                project.category_id,
                project.description,
                project.official,
                project.active,
                project.source,
            )
            bucket = (
                report.created
                if created
                else report.unchanged
                if before.get(project.code) == state
                else report.updated
            )
            bucket.append(project.code)
            if not project.active and not created and before[project.code][5]:
                (report.deactivated_in_use if project.code in in_use else report.deactivated_unused).append(
                    project.code
                )
        listed = {project.code for _line, project in projects}
        for code, project in sorted(existing.items()):
            if code in listed or not project.active:
                continue
            project.active = False
            catalogue_project_save(
                project=project,
                actor=actor,
                channel=Channel.IMPORT,
                note=unlisted_note,
            )
            (report.deactivated_in_use if code in in_use else report.deactivated_unused).append(code)
        if dry_run:
            transaction.set_rollback(True)
    return report
