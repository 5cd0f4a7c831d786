"""The progress of each selected project of an included operation (issue 14): not started,
procurement, contracted, in implementation, completed, each stage with the date it was reached. Set by
the municipality (the clerk knows where its tenders stand), read by everyone who reads the
operation; audited. A selected project without a record has not started."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import audit, roles
from grants.models import STAGE_DATE_FIELDS, Application, Channel, ProgressStage, ProjectProgress
from grants.models import ApplicationStatus as S
from projects.models import Selection

PROGRESS_AUDITED = ["stage", *STAGE_DATE_FIELDS.values()]


class ProgressError(ValidationError):
    """A refused progress update: keyed by field (400) or a plain reason (409)."""


@dataclass
class ProgressRow:
    project: str
    title_el: str
    title_en: str
    stage: str
    procurement_on: object = None
    contracted_on: object = None
    implementation_on: object = None
    completed_on: object = None

    @property
    def stage_label(self) -> str:
        return str(ProgressStage(self.stage).label)


def progress_rows(application) -> list[ProgressRow]:
    """One row per selected project, by catalogue code: two queries whatever the count."""
    recorded = {p.project_id: p for p in ProjectProgress.objects.filter(application=application)}
    rows = []
    # Plain values, not model instances: an operation may select a thousand projects.
    selected = (
        Selection.objects.filter(application=application)
        .order_by("project__code")
        .values_list("project_id", "project__code", "project__title_el", "project__title_en")
    )
    for project_id, code, title_el, title_en in selected:
        progress = recorded.get(project_id)
        rows.append(
            ProgressRow(
                project=code,
                title_el=title_el,
                title_en=title_en,
                stage=progress.stage if progress else ProgressStage.NOT_STARTED,
                **{f: getattr(progress, f) if progress else None for f in STAGE_DATE_FIELDS.values()},
            )
        )
    return rows


def progress_set(*, application, project, stage, date=None, actor, channel=Channel.CODE) -> ProjectProgress:
    """Record that the selected `project` (catalogue code) of `application` reached `stage` on `date`
    (required but for «not started», never in the future). Only the operation's municipality, only
    while it is included."""
    if stage not in ProgressStage.values:
        raise ProgressError({"stage": _("Choose one of: %(s)s.") % {"s": ", ".join(ProgressStage.values)}})
    if stage != ProgressStage.NOT_STARTED:
        if date in (None, ""):
            raise ProgressError({"date": _("Give the date the stage was reached.")})
        if date > timezone.localdate():
            raise ProgressError({"date": _("The date cannot be in the future.")})
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("municipality").get(pk=application.pk)
        own = roles.municipality_of(actor)
        if own is None or own.pk != app.municipality_id:
            raise ProgressError(_("Only the operation's municipality records the progress of its projects."))
        if app.status != S.INCLUDED:
            raise ProgressError(
                _("Progress is recorded while the operation is included (now: %(s)s).")
                % {"s": app.get_status_display()}
            )
        selection = (
            Selection.objects.filter(application=app, project__code=str(project or "").strip())
            .select_related("project")
            .first()
        )
        if selection is None:
            raise ProgressError(
                {"project": _("«%(c)s» is not a selected project of this operation.") % {"c": project}}
            )
        progress, created = ProjectProgress.objects.select_for_update().get_or_create(
            application=app, project=selection.project
        )
        before = {} if created else audit.snapshot(progress, PROGRESS_AUDITED)
        progress.stage = stage
        if stage != ProgressStage.NOT_STARTED:
            setattr(progress, STAGE_DATE_FIELDS[stage], date)
        progress.updated_at, progress.updated_by = timezone.now(), actor
        old, new = audit.changed(before, audit.snapshot(progress, PROGRESS_AUDITED))
        if not new:
            return progress
        progress.save()
        audit.record(
            action="progress.set",
            channel=channel,
            actor=actor,
            obj=progress,
            before=old,
            after=new,
            note=selection.project.code,
            municipality=app.municipality,
            application=app,
        )
    return progress
