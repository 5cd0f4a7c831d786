"""Loading the reference registry: regions, regional units, municipalities, the Smart Cities programme,
the catalogue's categories and entries (`manage.py load_reference_data`).

Ownership decides what a second run may touch:
- the census owns the geography (region names, categories and populations; unit names and regions;
  municipality name, regional unit, populations and the eligibility rule). A changed file updates those
  fields, each change audited with before/after. Officers' fields (eligibility override and its reason,
  contact e-mails) are never written here.
- the programme, the categories and the catalogue are seeded: created when missing, then left to the
  officers (the admin and the catalogue import), so a re-run never reverts the call's annex or an
  amended budget.
The whole load is one transaction, and every file is checked before the first write.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy

from grants import audit, checklist, documents, services
from grants.models import (
    Channel,
    ChecklistCriterion,
    DocumentScope,
    DocumentType,
    Municipality,
    Programme,
    Region,
    RegionalUnit,
)
from grants.reference_files import ReferenceData, ReferenceDataError, read_all
from grants.text import fold
from projects.models import CatalogueProject, Category

__all__ = ["LoadReport", "ReferenceDataError", "load_reference_data", "PROGRAMME"]

PROGRAMME = {
    "code": "SMART-CITIES",
    "title": "Έξυπνες Πόλεις",
    "fund": "ERDF",
    "managing_authority": 'Ειδική Υπηρεσία Διαχείρισης Προγράμματος "Ψηφιακός Μετασχηματισμός"',
    "total_budget": Decimal("235285163.00"),
    "call_date": date(2023, 1, 24),
    "min_projects": 1,
    "max_projects": 38,
}
# The documents the call asks for, as far as they are known: ILLUSTRATIVE defaults (official=False) for
# officers to confirm against the call's text in the admin («Document types»), as the catalogue's
# unconfirmed entries are. Seeded when the programme has no document type yet, then left to the officers.
DOCUMENT_TYPES = [
    {
        "code": "council-decision",
        "title_el": "Απόφαση Δημοτικού Συμβουλίου",
        "title_en": "Municipal council decision",
        "required": True,
        "scope": DocumentScope.APPLICATION,
        "formats": ["pdf"],
        "order": 1,
    },
    {
        "code": "technical-sheet",
        "title_el": "Τεχνικό Δελτίο Πράξης",
        "title_en": "Technical sheet of the operation",
        "required": True,
        "scope": DocumentScope.APPLICATION,
        "formats": ["pdf"],
        "order": 2,
    },
    {
        "code": "project-documentation",
        "title_el": "Τεκμηρίωση έργου",
        "title_en": "Project documentation",
        "required": False,
        "scope": DocumentScope.PROJECT,
        "formats": ["pdf", "docx", "odt", "xlsx"],
        "order": 3,
    },
]
# The evaluation checklist of the call: ILLUSTRATIVE DEFAULTS, the checks an officer makes on every
# proposal, to be confirmed against the call's evaluation annex by the managing authority (officers edit
# them in the admin). (code, Greek, English), asked in this order.
CHECKLIST = [
    (
        "eligible_beneficiary",
        "Ο δικαιούχος είναι επιλέξιμος δήμος της πρόσκλησης",
        "The beneficiary is a municipality eligible under the call",
    ),
    (
        "council_decision",
        "Έχει επισυναφθεί η απόφαση του Δημοτικού Συμβουλίου για την υποβολή της πρότασης",
        "The municipal council's decision to submit the proposal is attached",
    ),
    (
        "catalogue_selections",
        "Τα έργα της πρότασης επιλέγονται από τον κατάλογο της πρόσκλησης",
        "The proposal's projects are selected from the call's catalogue",
    ),
    (
        "number_of_projects",
        "Ο αριθμός των έργων είναι εντός των ορίων της πρόσκλησης",
        "The number of projects is within the call's limits",
    ),
    (
        "total_within_cap",
        "Ο συνολικός προϋπολογισμός δεν υπερβαίνει το ανώτατο όριο του δήμου",
        "The total budget does not exceed the municipality's cap",
    ),
    (
        "amounts_justified",
        "Τα ποσά κάθε έργου τεκμηριώνονται επαρκώς",
        "The amount of every project is adequately justified",
    ),
    (
        "no_double_funding",
        "Έχει δηλωθεί ότι τα έργα δεν χρηματοδοτούνται από άλλη πηγή (μη διπλή χρηματοδότηση)",
        "It is declared that the projects are not funded from another source (no double funding)",
    ),
]
REGION_OWNED = ["name", "category", "population_2021"]
UNIT_OWNED = ["name", "region"]
MUNICIPALITY_OWNED = ["name", "regional_unit", "population_2011", "population_2021", "eligible"]


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)

    @property
    def changed_anything(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def lines(self) -> list[str]:
        kinds = [
            "regions",
            "regional units",
            "municipalities",
            "programmes",
            "document types",
            "categories",
            "catalogue entries",
            "checklist criteria",
        ]
        return [
            f"{kind}: {self.created.get(kind, 0)} created, {self.updated.get(kind, 0)} updated"
            for kind in kinds
        ]


def load_reference_data(*, data_dir=None, catalogue_path=None, actor=None, channel=Channel.COMMAND):
    """Check every file, then bring the database in line with them in one transaction."""
    data = read_all(data_dir, catalogue_path)
    report = LoadReport()
    ctx = {"actor": actor, "channel": channel, "report": report}
    with transaction.atomic():
        regions = _sync_regions(data, **ctx)
        units = _sync_units(data, regions, **ctx)
        _sync_municipalities(data, units, **ctx)
        _seed_programme(**ctx)
        categories = _seed_categories(data, **ctx)
        _seed_catalogue(data, categories, **ctx)
        _seed_checklist(**ctx)
    return report


def _updated_note(source) -> str:
    return audit.note_text(gettext_lazy("Reference data: updated from %(source)s."), {"source": source})


def _summary(model, kind, keys, source, *, actor, channel, report):
    """One event for a bulk creation: which keys were created, and from which file."""
    report.created[kind] = len(keys)
    if keys:
        audit.record(
            action=f"{model._meta.model_name}.bulk_create",
            channel=channel,
            actor=actor,
            after={"model": model._meta.label_lower, "count": len(keys), "keys": sorted(keys)},
            note=audit.note_text(
                gettext_lazy("Reference data: %(n)d %(what)s created from %(source)s."),
                {"n": len(keys), "what": model._meta.verbose_name_plural, "source": source},
            ),
        )


def _sync_owned(model, key, rows: dict, owned, kind, source, *, actor, channel, report):
    """Create the missing rows, update owned fields of the others; returns key → object."""
    existing = {getattr(o, key): o for o in model.objects.select_for_update()}
    new, updated = [], 0
    note = _updated_note(source)
    for code, values in rows.items():
        obj = existing.get(code)
        if obj is None:
            new.append(model(**{key: code}, **values))
            continue
        before = audit.snapshot(obj, owned)
        for name, value in values.items():
            setattr(obj, name, value)
        old, changes = audit.changed(before, audit.snapshot(obj, owned))
        if not changes:
            continue
        updated += 1
        obj.save(update_fields=list(changes))
        audit.record(
            action=f"{model._meta.model_name}.update",
            channel=channel,
            actor=actor,
            obj=obj,
            before=old,
            after=changes,
            note=note,
        )
    model.objects.bulk_create(new)
    _summary(model, kind, [getattr(o, key) for o in new], source, actor=actor, channel=channel, report=report)
    report.updated[kind] = updated
    return {getattr(o, key): o for o in model.objects.all()}


def _sync_regions(data: ReferenceData, **ctx):
    return _sync_owned(Region, "code", data.regions, REGION_OWNED, "regions", data.sources["region"], **ctx)


def _sync_units(data: ReferenceData, regions, **ctx):
    rows = {
        code: {"name": values["name"], "region": regions[values["region_code"]]}
        for code, values in data.units.items()
    }
    return _sync_owned(
        RegionalUnit, "code", rows, UNIT_OWNED, "regional units", data.sources["regionalunit"], **ctx
    )


def _sync_municipalities(data: ReferenceData, units, *, actor, channel, report):
    source = data.sources["municipality"]
    existing = {m.elstat_code: m for m in Municipality.objects.select_for_update()}
    new, updated = [], 0
    note = _updated_note(source)
    for code, values in data.municipalities.items():
        wanted = {
            "name": values["name"],
            "regional_unit": units[values["unit_code"]],
            "population_2011": values["population_2011"],
            "population_2021": values["population_2021"],
            "eligible": values["eligible"],
        }
        obj = existing.get(code)
        if obj is None:
            # bulk_create bypasses save(), which is where search_key is derived.
            new.append(Municipality(elstat_code=code, search_key=fold(wanted["name"]), **wanted))
            continue
        _, changes = audit.changed(
            audit.snapshot(obj, MUNICIPALITY_OWNED),
            audit.snapshot(Municipality(**wanted), MUNICIPALITY_OWNED),
        )
        if not changes:
            continue
        updated += 1
        # The registry service keeps the audit shape of every municipality change the same, whoever
        # makes it; only the census-owned fields are passed, so overrides and e-mails stay as set.
        services.municipality_update(
            municipality=obj,
            actor=actor,
            channel=channel,
            note=note,
            **{name: wanted[name] for name in changes},
        )
    Municipality.objects.bulk_create(new)
    _summary(
        Municipality,
        "municipalities",
        [m.elstat_code for m in new],
        source,
        actor=actor,
        channel=channel,
        report=report,
    )
    report.updated["municipalities"] = updated


def _seed_programme(*, actor, channel, report):
    programme = Programme.objects.filter(code=PROGRAMME["code"]).first()
    if programme is not None:
        report.created["programmes"] = 0
        _seed_document_types(programme, actor=actor, channel=channel, report=report)
        return
    programme = Programme.objects.create(**PROGRAMME)
    report.created["programmes"] = 1
    audit.record(
        action="programme.create",
        channel=channel,
        actor=actor,
        obj=programme,
        after=audit.snapshot(programme, services.PROGRAMME_AUDITED),
        note=audit.note_text(
            gettext_lazy("Reference data: the Smart Cities programme (call of 24-01-2023).")
        ),
    )
    _seed_document_types(programme, actor=actor, channel=channel, report=report)


def _seed_document_types(programme, *, actor, channel, report):
    if programme.document_types.exists():
        report.created["document types"] = 0
        return
    for row in DOCUMENT_TYPES:
        kind = DocumentType.objects.create(programme=programme, official=False, **row)
        audit.record(
            action="document_type.create",
            channel=channel,
            actor=actor,
            obj=kind,
            after=audit.snapshot(kind, documents.DOCUMENT_TYPE_AUDITED),
            note=audit.note_text(
                gettext_lazy(
                    "Reference data: an illustrative document type, to be confirmed against the call."
                )
            ),
        )
    report.created["document types"] = len(DOCUMENT_TYPES)


def _seed_categories(data: ReferenceData, *, actor, channel, report):
    existing = set(Category.objects.values_list("order", flat=True))
    new = [
        Category(order=order, **values) for order, values in data.categories.items() if order not in existing
    ]
    Category.objects.bulk_create(new)
    _summary(
        Category,
        "categories",
        [c.order for c in new],
        data.sources["category"],
        actor=actor,
        channel=channel,
        report=report,
    )
    return {c.order: c for c in Category.objects.all()}


def _seed_catalogue(data: ReferenceData, categories, *, actor, channel, report):
    existing = set(CatalogueProject.objects.values_list("code", flat=True))
    created = []
    for code, values in data.catalogue.items():
        if code in existing:
            continue
        order = values["category_order"]
        if order not in categories:
            # Only possible when an officer renumbered the categories after the first load.
            raise ReferenceDataError(data.sources["catalogueproject"], None, f"{code}: no category {order}")
        project = CatalogueProject(
            code=code,
            title_el=values["title_el"],
            title_en=values["title_en"],
            category=categories[order],
            description=values["description"],
            official=values["official"],
            source=values["source"],
        )
        project.save()  # save() derives search_key; 38 rows do not need bulk_create
        created.append(code)
    _summary(
        CatalogueProject,
        "catalogue entries",
        created,
        data.sources["catalogueproject"],
        actor=actor,
        channel=channel,
        report=report,
    )


def _seed_checklist(*, actor, channel, report):
    """The call's evaluation checklist, when the programme has none yet; then it is the officers'."""
    programme = Programme.objects.get(code=PROGRAMME["code"])
    if ChecklistCriterion.objects.filter(programme=programme).exists():
        report.created["checklist criteria"] = 0
        return
    note = audit.note_text(
        gettext_lazy("Reference data: illustrative default of the evaluation checklist, to be confirmed.")
    )
    for order, (code, text_el, text_en) in enumerate(CHECKLIST, start=1):
        criterion = ChecklistCriterion(
            programme=programme, code=code, text_el=text_el, text_en=text_en, order=order * 10
        )
        checklist.criterion_save(criterion=criterion, actor=actor, channel=channel, note=note)
    report.created["checklist criteria"] = len(CHECKLIST)
