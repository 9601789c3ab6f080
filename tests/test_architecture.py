"""The import boundaries that make the tree the architecture: app_pages → ui → models.

Inside ui/: ``ui/lessons/`` holds one view per lesson of the course, and a lesson's view never
imports another lesson's view; what lessons share is a module of ui/ itself, which imports no view.

Inside models/: ``maths`` is a pure core that imports nothing else of the app; ``runtime``
(serving) and ``training`` build on it; ``probes`` (measuring real networks) and ``store`` (the
class database) on those; and ``content`` (lesson glue) may use maths, runtime, training,
probes. ``models.settings`` and ``models.errors`` are read by everyone. Nothing in models/
imports streamlit, not even indirectly.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = {"models", "models.settings", "models.errors"}
MAY_IMPORT = {  # layer → the layers of models/ it may import (besides itself and SHARED)
    "maths": set(),
    "runtime": {"maths"},
    "training": {"maths", "runtime"},
    "probes": {"maths", "runtime", "training"},
    "store": {"maths", "runtime", "training"},
    "content": {"maths", "runtime", "training", "probes"},
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files("models"), ids=lambda p: str(p.relative_to(ROOT)))
def test_models_never_import_streamlit_ui_or_pages_and_keep_their_layers(path):
    found = imports(path)
    assert not {m for m in found if m.split(".")[0] in {"streamlit", "ui", "app_pages"}}, path
    parts = path.relative_to(ROOT / "models").parts
    if len(parts) == 1:
        return  # models/settings.py, errors.py, weights.py (the command): read by all, or a thin entry point
    layer = parts[0]
    for name in found:
        if name.startswith("models.") and ".".join(name.split(".")[:2]) not in SHARED:
            other = name.split(".")[1]
            assert other == layer or other in MAY_IMPORT[layer], f"{path}: {layer} imports {name}"


def _source(module: str) -> Path | None:
    """The file of a module of the app (``models.content.templates``), or None (a name inside one)."""
    path = ROOT.joinpath(*module.split("."))
    return next((p for p in (path.with_suffix(".py"), path / "__init__.py") if p.is_file()), None)


@pytest.mark.parametrize("name", ["models.errors", "models.settings"])
def test_what_every_layer_reads_imports_no_module_that_imports_it(name):
    # models.errors once imported the eight modules that define its kinds, each of which imports it
    for module in imports(_source(name)):  # imports inside functions included
        source = _source(module) if module.startswith("models.") else None
        assert source is None or name not in imports(source), f"{name} imports {module}, which imports it"


@pytest.mark.parametrize("path", _files("ui"), ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_never_imports_the_pages(path):
    assert not {m for m in imports(path) if m.startswith("app_pages")}, path


def _views() -> list[Path]:
    return sorted((ROOT / "ui" / "lessons").glob("*.py"))


def _lesson_views(path: Path) -> set[str]:
    """The lesson views a module imports: ``from ui.lessons import quiz``, ``import ui.lessons.quiz``…"""
    return {m for m in imports(path) if m == "ui.lessons" or m.startswith("ui.lessons.")}


@pytest.mark.parametrize("path", _views(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_lesson_view_never_imports_another_lessons_view(path):
    assert not _lesson_views(path), f"{path.name} imports {_lesson_views(path)}: move what they share to ui/"


@pytest.mark.parametrize("path", [p for p in _files("ui") if p.parent.name != "lessons"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_shared_ui_imports_no_lesson_view(path):
    assert not _lesson_views(path), path


def test_every_lesson_view_is_named_after_a_lesson_of_the_course():
    from lessons import course

    views = {p.stem for p in _views()} - {"__init__"}
    assert views, "no lesson views found: the folder is stale"
    assert views <= {lesson.id for lesson in course()}, views - {lesson.id for lesson in course()}


@pytest.mark.parametrize("path", _files("app_pages") + [ROOT / "app.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_and_the_frame_go_through_ui(path):
    assert not {m for m in imports(path) if m.split(".")[0] in {"models", "torch", "torchvision"}}, path


def test_every_module_of_models_imports_without_streamlit():
    code = ("import pkgutil, importlib, sys, models\n"
            "for m in pkgutil.walk_packages(models.__path__, 'models.'):\n"
            "    importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('streamlit', 'ui')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_no_docstring_repeats_the_boundary_this_test_keeps():
    for path in _files("models") + _files("ui"):
        assert "does not import streamlit" not in path.read_text(), path
