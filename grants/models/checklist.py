"""The evaluation checklist: the criteria an officer checks on every application of a programme, and
the officer's answers, one per criterion and review round. Written only by grants.checklist."""

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class ChecklistAnswerChoice(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NA = "na", _("Not applicable")


class ChecklistCriterion(models.Model):
    """One check of the call's evaluation (e.g. «the council decision is attached»). Retired
    (inactive) rather than deleted once answered: the answers keep pointing at it."""

    programme = models.ForeignKey(
        "grants.Programme",
        on_delete=models.PROTECT,
        related_name="checklist_criteria",
        verbose_name=_("programme"),
    )
    code = models.SlugField(_("code"), max_length=40)
    text_el = models.CharField(_("text (Greek)"), max_length=500)
    text_en = models.CharField(_("text (English)"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    official = models.BooleanField(
        _("confirmed against the call"),
        default=False,
        help_text=_("Otherwise an illustrative default, to be confirmed against the call."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive criteria are no longer asked in new reviews.")
    )

    class Meta:
        ordering = ["programme", "order", "code"]
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation checklist")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="checklist_criterion_code_once")
        ]

    def __str__(self):
        return f"{self.code}: {self.text}"

    @property
    def text(self) -> str:
        return self.text_en if translation.get_language() == "en" else self.text_el


class ChecklistAnswer(models.Model):
    """An officer's answer to one criterion in one review round of one application. A new review
    (start_review after a return) is a new round; earlier rounds stay as they were answered."""

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="checklist_answers",
        verbose_name=_("application"),
    )
    criterion = models.ForeignKey(
        ChecklistCriterion, on_delete=models.PROTECT, related_name="answers", verbose_name=_("criterion")
    )
    review_round = models.PositiveSmallIntegerField(_("review round"))
    answer = models.CharField(_("answer"), max_length=3, choices=ChecklistAnswerChoice.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        ordering = ["application", "review_round", "criterion__order", "criterion__code"]
        verbose_name = _("checklist answer")
        verbose_name_plural = _("checklist answers")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "review_round", "criterion"], name="checklist_answer_once_per_round"
            )
        ]

    def __str__(self):
        return f"{self.criterion.code}: {self.get_answer_display()}"
