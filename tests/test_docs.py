"""The README is a short front door, and every file and command the docs name exists."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from connector.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)\)")
FILE = re.compile(r"^[\w./*-]+\.(py|md|toml|json|lock|lua|graphql|cfg|html|css|mako)$")
FOLDERS = ("connector/", "adapters/", "jobs/", "tests/", "docs/", "bench/", "extensions/", ".ci/")
RUNTIME = ("bench/results/soak.json",)  # written by `make soak`, not kept in the repo


def named_paths(doc: Path) -> set[str]:
    text = doc.read_text()
    found = {m.group(1) for m in LINK.finditer(text) if not m.group(1).startswith("http")}
    for code in CODE.findall(text):
        for word in code.split():
            word = word.strip(",;:()")
            if word.startswith("/"):
                continue  # an address on the server (`/openapi.json`), not a file of the repository
            if (FILE.match(word) or word.startswith(FOLDERS)) and not word.startswith(RUNTIME):
                found.add(word)
    return found


def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert readme.index("make run") < 300 and readme.index("make test") < 300


def test_every_path_the_docs_name_exists() -> None:
    missing = []
    for doc in DOCS:
        for name in named_paths(doc):
            # A path from the repository's top, from the doc's folder, or a file named by itself.
            if "/" in name:
                found = (ROOT / name).exists() or (doc.parent / name).exists() or any(ROOT.glob(name))
            else:
                found = any(path for path in ROOT.rglob(name) if ".venv" not in path.parts)
            if not found:
                missing.append(f"{doc.relative_to(ROOT)}: {name}")
    assert missing == []


def test_every_sadakat_command_the_docs_show_exists() -> None:
    commands = set()
    for doc in DOCS:
        for line in doc.read_text().splitlines():
            for m in re.finditer(r"sadakat ((?:[a-z][a-z-]+ ?){1,2})", line):
                commands.add(m.group(1).strip())
    assert commands, "the docs show commands"
    for command in sorted(commands):
        words = command.split()
        result = CliRunner().invoke(main, [*words[:1], "--help"])
        assert result.exit_code == 0, f"sadakat {words[0]} is not a command"
        group = main.commands[words[0]]
        if len(words) > 1 and hasattr(group, "commands") and words[1] not in group.commands:
            raise AssertionError(f"sadakat {command}: {words[1]} is not a command of {words[0]}")
