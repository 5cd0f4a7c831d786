"""The PDF of a submitted application. Greek needs an embedded font: reportlab's built-in Helvetica
has no Greek glyphs, so we embed DejaVu Sans, the copy vendored for the reports (grants/reports/fonts)."""

from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from grants.formatting import format_eur

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_DIR = Path(settings.BASE_DIR) / "grants" / "reports" / "fonts"


def _register_fonts():
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name in (FONT, FONT_BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))


def application_pdf(application, selections, documents=(), checklist_rows=()) -> bytes:
    """The submitted application with its documents; with `checklist_rows` (grants.checklist.rows)
    that hold an answer, the officers' evaluation checklist after the selections."""
    _register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    title = ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=15, leading=19)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        title=f"{application.tracking_number} {application.municipality.name}",
        author=application.programme.managing_authority,
        lang="el",
    )
    submitted = timezone.localtime(application.submitted_at)
    story = [
        Paragraph(escape(application.programme.title), title),
        Spacer(1, 4 * mm),
        Paragraph(f"{_('Municipality')}: {escape(application.municipality.name)}", body),
        Paragraph(f"{_('Tracking number')}: {application.tracking_number}", body),
        Paragraph(f"{_('Submitted at')}: {submitted:%d/%m/%Y %H:%M}", body),
        Paragraph(f"{_('Status')}: {application.get_status_display()}", body),
        Paragraph(f"{_('Submission hash (SHA-256)')}: {application.submission_hash}", cell),
        Spacer(1, 5 * mm),
    ]
    # The catalogue's official titles are Greek: the submitted document carries them whatever the UI language.
    rows = [[_("Code"), _("Project"), _("Justification"), _("Amount")]]
    for s in selections:
        rows.append(
            [
                s.project.code,
                Paragraph(escape(s.project.title_el), cell),
                Paragraph(escape(s.justification).replace("\n", "<br/>"), cell),
                format_eur(s.amount),
            ]
        )
    total = sum((s.amount for s in selections), 0)
    rows.append(["", Paragraph(_("Total"), cell), "", format_eur(total)])
    table = Table(rows, colWidths=[18 * mm, 62 * mm, 62 * mm, 32 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 0), (3, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ]
        )
    )
    story.append(table)
    story += _documents_table(documents, body, cell)
    story += _checklist(checklist_rows, body, cell)
    doc.build(story)
    return buffer.getvalue()


def _documents_table(documents, body, cell) -> list:
    """The submitted documents, each with its SHA-256: what the submission hash covers of them."""
    if not documents:
        return []
    rows = [[_("Document type"), _("Project"), _("File"), "SHA-256"]]
    for d in documents:
        rows.append(
            [
                Paragraph(escape(d.document_type.title_el), cell),
                d.project.code if d.project else "—",
                Paragraph(escape(d.filename), cell),
                Paragraph(d.sha256, cell),
            ]
        )
    table = Table(rows, colWidths=[45 * mm, 18 * mm, 45 * mm, 66 * mm], repeatRows=1)
    table.setStyle(_grid_style())
    return [Spacer(1, 5 * mm), Paragraph(_("Documents"), body), Spacer(1, 2 * mm), table]


def _checklist(rows, body, cell) -> list:
    answered = [r for r in rows if r.answer is not None]
    if not answered:
        return []
    heading = ParagraphStyle("heading", parent=body, fontName=FONT_BOLD, fontSize=12, leading=15)
    data = [[_("Criterion"), _("Answer"), _("Comment")]]
    for row in rows:
        answer = row.answer
        data.append(
            [
                Paragraph(escape(row.criterion.text), cell),
                answer.get_answer_display() if answer else "—",
                Paragraph(escape(answer.comment if answer else "").replace("\n", "<br/>"), cell),
            ]
        )
    table = Table(data, colWidths=[82 * mm, 28 * mm, 64 * mm], repeatRows=1)
    table.setStyle(_grid_style())
    return [Spacer(1, 6 * mm), Paragraph(_("Evaluation checklist"), heading), Spacer(1, 2 * mm), table]


def _grid_style() -> TableStyle:
    """The look of every table in the application's PDF: a bold header row on a pale band, a grid."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), FONT, 9),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ]
    )
