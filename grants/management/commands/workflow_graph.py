from django.core.management.base import BaseCommand
from django.utils import translation

from grants.models import ApplicationStatus
from grants.workflow import ACTIONS


def _status(code):
    return f"{code} «{ApplicationStatus(code).label}»"


def as_markdown() -> str:
    lines = [
        "| action | from | to | who | note | fields |",
        "|---|---|---|---|---|---|",
    ]
    for action in ACTIONS.values():
        sources = ", ".join(_status(s) for s in ApplicationStatus.values if s in action.sources)
        if len(action.sources) == len(ApplicationStatus.values):
            sources = "any"
        target = _status(action.target) if action.target else "as published (included / to_be_included)"
        fields = ", ".join(list(action.fields) + [f"[{f}]" for f in action.optional_fields])
        lines.append(
            f"| `{action.name}` | {sources} | {target} | {', '.join(action.roles)} "
            f"| {'required' if action.note_required else ''} | {fields} |"
        )
    return "\n".join(lines)


def as_dot() -> str:
    lines = ["digraph workflow {", "  rankdir=LR;", '  node [shape=box, fontname="DejaVu Sans"];']
    for code in ApplicationStatus.values:
        lines.append(f'  {code} [label="{ApplicationStatus(code).label}"];')
    for action in ACTIONS.values():
        if action.target is None:
            continue
        for source in sorted(action.sources):
            lines.append(f'  {source} -> {action.target} [label="{action.name}"];')
    lines.append("}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Print the workflow's transition table (Markdown, or Graphviz DOT with --dot), from the code itself."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dot", action="store_true", help="Graphviz DOT instead of Markdown")
        parser.add_argument("--language", default="el", help="language of the status labels (el or en)")

    def handle(self, *args, dot=False, language="el", **options):
        with translation.override(language):
            self.stdout.write(as_dot() if dot else as_markdown())
