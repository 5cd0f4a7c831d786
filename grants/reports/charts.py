"""Charts drawn on the server as inline SVG: no CDN, no JavaScript, readable by screen readers (title
and desc) and printable. Every bar carries its value as text, so nothing is told by colour alone."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

BAR = "#2f6690"
MUTED = "#9bb7cf"


def _svg(title, desc, width, height, body, ident):
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def hbar(ident, title, items, *, desc="", label_width=260, width=760):
    """Horizontal bars: items are (label, value, shown value)."""
    row, top = 24, 8
    height = top + row * max(len(items), 1) + 8
    peak = max((Decimal(v) for _, v, _ in items), default=Decimal(0)) or Decimal(1)
    span = width - label_width - 150
    parts = []
    for i, (label, value, shown) in enumerate(items):
        y = top + i * row
        w = float(Decimal(value) / peak) * span
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="16" fill="{BAR}"></rect>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + 15}" font-size="12">{escape(shown)}</text>'
        )
    if not items:
        parts.append(f'<text x="10" y="24" font-size="12">{escape(desc)}</text>')
    summary = desc or "; ".join(f"{label}: {shown}" for label, _, shown in items)
    return _svg(title, summary, width, height, "".join(parts), ident)


def line(ident, title, points, *, ceiling=None, ceiling_label="", desc="", width=760, height=260):
    """A step line of a cumulative amount over time: points are (x label, value, shown value); an
    optional dashed ceiling (the programme total) with its own text label."""
    left, right, top, bottom = 20, 190, 16, 40
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
            f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" font-size="11">{escape(ceiling_label)}</text>'
        )
    if points:
        step = plot_w / max(len(points) - 1, 1)
        coords = []
        for i, (label, value, _) in enumerate(points):
            x = left + i * step
            coords.append(f"{x:.1f},{y_of(value):.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="3" fill="{BAR}"></circle>')
            if i == 0 or i == len(points) - 1 or len(points) <= 12:
                parts.append(
                    f'<text x="{x:.1f}" y="{top + plot_h + 16}" font-size="10" text-anchor="middle">'
                    f"{escape(label)}</text>"
                )
        parts.append(
            f'<polyline points="{" ".join(coords)}" fill="none" stroke="{BAR}" stroke-width="2"></polyline>'
        )
        _last, last_value, last_shown = points[-1]
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{y_of(last_value) + 4:.1f}" font-size="11">'
            f"{escape(last_shown)}</text>"
        )
    else:
        parts.append(f'<text x="{left + 10}" y="{top + 20}" font-size="12">{escape(desc)}</text>')
    summary = desc or "; ".join(f"{label}: {shown}" for label, _, shown in points)
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
