"""The documentation holds: every relative link of the README, CONTRIBUTING.md and docs/*.md
reaches a file (and a heading, where it names one), and every command in their ```bash blocks
names a module (``python -m X``) and test files (``pytest tests/…``) that exist.

Modules are looked up without being imported (``importlib.util.find_spec`` for the top-level
package, then ``PathFinder`` inside it), so this test needs neither torch nor streamlit.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto: …
PYTHON_M = re.compile(r"\bpython[\d.]*\s+-m\s+([A-Za-z_][\w.]*)")
PYTEST = re.compile(r"\bpytest\b([^#\n]*)")


def _without_code(text: str) -> str:
    """The Markdown with its fenced blocks and inline code blanked out: a link there is an example."""
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return INLINE_CODE.sub("", text)


def bash_blocks(text: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text) if m.group(1) in ("bash", "sh", "shell")]


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped (letters of any
    script, digits, ``_`` and ``-`` kept), each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor in a Markdown text; a repeated one gets -1, -2 … as on GitHub."""
    seen: dict[str, int] = {}
    out = set()
    for m in HEADING.finditer(FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path: Path, text: str | None = None) -> list[str]:
    text = path.read_text(encoding="utf-8") if text is None else text
    problems = []
    for target in LINK.findall(_without_code(text)):
        if EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        if not file_part:  # a heading of this page
            if anchor not in anchors(text):
                problems.append(f"{path.name}: {target} — no heading with that anchor here")
            continue
        linked = (path.parent / file_part).resolve()
        if not linked.exists():
            problems.append(f"{path.name}: {target} — no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
            problems.append(f"{path.name}: {target} — no heading with that anchor in {linked.name}")
    return problems


def module_exists(name: str) -> bool:
    """Whether ``python -m name`` finds a module, without importing it or its packages."""
    top, *rest = name.split(".")
    spec = importlib.util.find_spec(top)  # a top-level name is found, not imported
    for part in rest:
        if spec is None or not spec.submodule_search_locations:
            return False
        spec = importlib.machinery.PathFinder.find_spec(part, list(spec.submodule_search_locations))
    return spec is not None


def broken_commands(path: Path, text: str | None = None) -> list[str]:
    text = path.read_text(encoding="utf-8") if text is None else text
    problems = []
    for block in bash_blocks(text):
        for module in PYTHON_M.findall(block):
            if not module_exists(module):
                problems.append(f"{path.name}: python -m {module} — no such module")
        for args in PYTEST.findall(block):
            for word in args.split():
                if word.startswith("tests/") and not (ROOT / word.split("::")[0]).exists():
                    problems.append(f"{path.name}: pytest {word} — no such file")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_its_heading(path):
    assert broken_links(path) == []


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_names_a_module_and_test_files_that_exist(path):
    assert broken_commands(path) == []


def test_the_pages_the_readme_promises_are_there():
    for name in ("README.md", "CONTRIBUTING.md", "docs/teaching.md", "docs/school.md", "docs/architecture.md",
                 "docs/benchmarks.md", "docs/decisions.md"):
        assert (ROOT / name).is_file(), name
    # a teacher reads it in five minutes
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_the_checks_find_what_they_look_for():
    page = ROOT / "docs" / "example.md"  # not written: the checks read the text given
    text = "\n".join([
        "# A page", "## Two words", "[fine](../README.md#configuration) [here](#two-words) [web](https://example.org)",
        "[gone](missing.md) [no heading](../README.md#no-such-heading) [not here](#three-words) "
        "`[in code](nowhere.md)`",
        "```bash", "python -m models.settings --markdown", "python -m models.no_such_module",
        ".venv/bin/python -m pytest tests/test_docs.py tests/test_no_such_file.py::test_x", "```",
    ])
    assert broken_links(page, text) == [
        "example.md: missing.md — no such file",
        "example.md: ../README.md#no-such-heading — no heading with that anchor in README.md",
        "example.md: #three-words — no heading with that anchor here"]
    assert broken_commands(page, text) == ["example.md: python -m models.no_such_module — no such module",
                                           "example.md: pytest tests/test_no_such_file.py::test_x — no such file"]
    assert slug("The class of thirty (`bench.load_test`)") == "the-class-of-thirty-benchload_test"
    assert slug("2026-12-04 · On CUDA") == "2026-12-04--on-cuda"
