"""Issue 3: nothing but the workflow writes Application.status. A scan of the source, so that a new
shortcut (`app.status = …`, `.update(status=…)`, `.create(status=…)`) fails the suite."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {ROOT / "grants" / "workflow.py", ROOT / "grants" / "workflow_batch.py"}
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}


def status_writes(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    yield node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in WRITING_CALLS and any(k.arg == "status" for k in node.keywords):
                yield node.lineno
            if node.func.attr == "bulk_update" and any(
                isinstance(a, ast.List | ast.Tuple)
                and any(getattr(e, "value", None) == "status" for e in a.elts)
                for a in node.args
            ):
                yield node.lineno


def test_only_the_workflow_writes_status():
    sources = [
        p
        for folder in ("grants", "projects", "config")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts and p not in ALLOWED
    ]
    assert len(sources) > 20  # the scan must actually see the code
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in sources for line in status_writes(p)]
    assert offenders == []


def test_the_scan_finds_a_status_write(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("def f(app, qs):\n    app.status = 'included'\n    qs.update(status='x')\n")
    assert list(status_writes(sample)) == [2, 3]
