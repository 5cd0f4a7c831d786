"""Charts drawn on the server as inline SVG: no CDN, no JavaScript, readable by screen readers (title
and desc) and printable. Every bar carries its value as text, so nothing is told by colour alone;
the dashboard prints each chart's figures in a table beside it as well.

Drawn at the size they are shown (the page never scales them down), so text stays at 12 px (11 px
at least); a label longer than its room wraps at a word onto a second line, never cut mid-word; a
time axis puts each point at its date, months apart as far as they are apart."""

import datetime
import textwrap
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

from grants.formatting import format_date

BAR = "#2f6690"
MUTED = "#6f8ea8"
TEXT_SIZE = 12
SMALL_SIZE = 11
# Average advance of a character of the sans-serif font at 12 px, to fit labels in their room.
CHAR_PX = 6.8


def _svg(title, desc, width, height, body, ident):
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def wrap_label(label: str, room_px: float, lines: int = 2) -> list[str]:
    """The label on at most `lines` lines of `room_px`, broken between words; what does not fit ends
    with «…» after a whole word."""
    width = max(int(room_px / CHAR_PX), 8)
    wrapped = textwrap.wrap(str(label), width=width, break_long_words=False) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[:lines]
    last = kept[-1]
    while len(last) + 1 > width and " " in last:
        last = last.rsplit(" ", 1)[0]
    kept[-1] = last + "…"
    return kept


def hbar(ident, title, items, *, desc="", label_width=300, width=760):
    """Horizontal bars: items are (label, value, shown value)."""
    wrapped = [wrap_label(label, label_width - 10) for label, _v, _s in items]
    two_lines = any(len(w) > 1 for w in wrapped)
    row = 38 if two_lines else 24
    top = 8
    height = top + row * max(len(items), 1) + 8
    peak = max((Decimal(v) for _, v, _ in items), default=Decimal(0)) or Decimal(1)
    span = width - label_width - 150
    parts = []
    for i, ((label, value, shown), lines) in enumerate(zip(items, wrapped, strict=True)):
        y = top + i * row
        w = float(Decimal(value) / peak) * span
        first = y + (row / 2) - (len(lines) - 1) * 7 + 4
        spans = "".join(
            f'<tspan x="{label_width - 8}" y="{first + n * 14:.1f}">{escape(text)}</tspan>'
            for n, text in enumerate(lines)
        )
        parts.append(
            f"<g><title>{escape(label)}: {escape(shown)}</title>"
            f'<text font-size="{TEXT_SIZE}" text-anchor="end">{spans}</text>'
            f'<rect x="{label_width}" y="{y + row / 2 - 8:.1f}" width="{w:.1f}" height="16" '
            f'fill="{BAR}"></rect>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + row / 2 + 4:.1f}" font-size="{TEXT_SIZE}">'
            f"{escape(shown)}</text></g>"
        )
    if not items:
        parts.append(f'<text x="10" y="24" font-size="{TEXT_SIZE}">{escape(desc)}</text>')
    summary = desc or "; ".join(f"{label}: {shown}" for label, _, shown in items)
    return _svg(title, summary, width, height, "".join(parts), ident)


def _month_label(day: datetime.date) -> str:
    return format_date(day)[3:]  # «07/2024»


def line(ident, title, points, *, ceiling=None, ceiling_label="", desc="", width=760, height=280):
    """A step line of a cumulative amount over time: points are (date, value, shown value), each
    placed at its date; an optional dashed ceiling (the programme total) with its own text label."""
    left, right, top, bottom = 24, 190, 16, 44
    values = [Decimal(v) for _, v, _ in points]
    peak = max([*values, Decimal(ceiling or 0)], default=Decimal(0)) or Decimal(1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(v):
        return top + plot_h - float(Decimal(v) / peak) * plot_h

    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#555"></line>'
    ]
    if ceiling:
        y = y_of(ceiling)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{MUTED}" '
            f'stroke-dasharray="6 4"></line>'
            f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" font-size="{SMALL_SIZE}">'
            f"{escape(ceiling_label)}</text>"
        )
    if points:
        first, last = points[0][0], points[-1][0]
        days = max((last - first).days, 1)

        def x_of(day):
            return left + (day - first).days / days * plot_w if last != first else left + plot_w / 2

        coords, labelled = [], []
        for day, value, shown in points:
            x, y = x_of(day), y_of(value)
            if coords:  # a step: the amount holds until the next inclusion
                coords.append(f"{x:.1f},{float(coords[-1].split(',')[1]):.1f}")
            coords.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR}">'
                f"<title>{escape(_month_label(day))}: {escape(shown)}</title></circle>"
            )
            labelled.append(x)
        # Month labels where they do not collide (56 px apart), the first and the last always.
        ticks, previous = [], None
        for i, (day, _v, _s) in enumerate(points):
            x = labelled[i]
            if i == len(points) - 1 and ticks and x - ticks[-1][0] < 56:
                ticks.pop()
            if previous is None or x - previous >= 56 or i == len(points) - 1:
                ticks.append((x, day))
                previous = x
        for x, day in ticks:
            parts.append(
                f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" '
                'stroke="#555"></line>'
                f'<text x="{x:.1f}" y="{top + plot_h + 18}" font-size="{SMALL_SIZE}" text-anchor="middle">'
                f"{escape(_month_label(day))}</text>"
            )
        parts.append(
            f'<polyline points="{" ".join(coords)}" fill="none" stroke="{BAR}" stroke-width="2"></polyline>'
        )
        _last, last_value, last_shown = points[-1]
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{y_of(last_value) + 4:.1f}" font-size="{SMALL_SIZE}">'
            f"{escape(last_shown)}</text>"
        )
    else:
        parts.append(f'<text x="{left + 10}" y="{top + 20}" font-size="{TEXT_SIZE}">{escape(desc)}</text>')
    summary = desc or "; ".join(f"{_month_label(day)}: {shown}" for day, _, shown in points)
    return _svg(title, summary, width, height, "".join(parts), ident)


# Four series told apart by dash pattern and marker as well as colour, and named at their ends.
SERIES_STYLES = [
    (BAR, "", "circle"),
    ("#b5531c", "8 4", "square"),
    ("#3b7d3b", "3 3", "diamond"),
    ("#6b3f98", "12 3 3 3", "triangle"),
]


def _marker(kind, x, y, colour):
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"></rect>'
    if kind == "diamond":
        points = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}"
        return f'<polygon points="{points}" fill="{colour}"></polygon>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}"
        return f'<polygon points="{points}" fill="{colour}"></polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"></circle>'


def lines(ident, title, labels, series, *, desc="", width=760, height=280):
    """Several cumulative amounts over the same months: `labels` the x labels, `series` a list of
    (name, [values], shown last value). Each line ends with its name and last value in text."""
    left, right, top, bottom = 20, 230, 16, 40
    peak = max((Decimal(v) for _, values, _ in series for v in values), default=Decimal(0)) or Decimal(1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(v):
        return top + plot_h - float(Decimal(v) / peak) * plot_h

    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#555"></line>'
    ]
    if not labels:
        parts.append(f'<text x="{left + 10}" y="{top + 20}" font-size="12">{escape(desc)}</text>')
        return _svg(title, desc, width, height, "".join(parts), ident)
    step = plot_w / max(len(labels) - 1, 1)
    for i, label in enumerate(labels):
        if i == 0 or i == len(labels) - 1 or len(labels) <= 12:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    ends = []
    for n, (name, values, shown) in enumerate(series):
        colour, dash, marker = SERIES_STYLES[n % len(SERIES_STYLES)]
        coords = [(left + i * step, y_of(v)) for i, v in enumerate(values)]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}" fill="none" '
            f'stroke="{colour}" stroke-width="2"{dashed}></polyline>'
        )
        parts += [_marker(marker, x, y, colour) for x, y in coords]
        ends.append((coords[-1][1], name, shown, colour, marker))
    # End labels, pushed apart so that equal totals stay readable.
    last_y = None
    for y, name, shown, colour, marker in sorted(ends):
        y = max(y, last_y + 14) if last_y is not None else y
        last_y = y
        parts.append(_marker(marker, left + plot_w + 8, y, colour))
        parts.append(
            f'<text x="{left + plot_w + 16}" y="{y + 4:.1f}" font-size="11">'
            f"{escape(name)}: {escape(shown)}</text>"
        )
    summary = desc or "; ".join(f"{name}: {shown}" for name, _, shown in series)
    return _svg(title, summary, width, height, "".join(parts), ident)
