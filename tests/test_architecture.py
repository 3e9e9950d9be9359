"""The structure stays readable: no import cycles, no module over 400 lines, no folder of more than 12
modules (the layers themselves are import-linter's contracts in pyproject.toml, run by ``make test``)."""

from __future__ import annotations

from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("connector", "adapters", "jobs")
MAX_LINES = 400
MAX_MODULES_PER_FOLDER = 12


def sources() -> list[Path]:
    return [p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def test_no_import_cycles_among_the_projects_modules() -> None:
    graph = grimp.build_graph(*PACKAGES)
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    assert cycles == []


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in sources() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_no_folder_holds_more_than_12_modules() -> None:
    folders: dict[Path, int] = {}
    for path in sources():
        if path.name != "__init__.py":
            folders[path.parent] = folders.get(path.parent, 0) + 1
    crowded = {str(f.relative_to(ROOT)): n for f, n in folders.items() if n > MAX_MODULES_PER_FOLDER}
    assert crowded == {}


def test_connectors_own_top_level_keeps_only_a_few_wiring_modules() -> None:
    top = sorted(p.name for p in (ROOT / "connector").glob("*.py"))
    assert len(top) <= 8, top


def test_every_csv_is_written_through_the_writer_that_defuses_formulas() -> None:
    writers = {str(p.relative_to(ROOT)) for p in sources() if "csv.writer(" in p.read_text()}
    assert writers == {"connector/ops/exports.py"}


def test_the_shop_currency_rule_is_written_once() -> None:
    """It was written in three places (and copied in more): the programme's setting, else the store's."""
    written = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "connector").rglob("*.py")
        if ".currency or shop.currency" in p.read_text()
    ]
    assert written == ["connector/programme/settings.py"]


def test_request_errors_are_typed_and_mapped_in_one_place() -> None:
    """A birthday set twice raised PermissionError (an operating-system error) and each view mapped it."""
    from connector.errors import Refused
    from connector.inputs import InputError
    from connector.programme import SettingsError
    from connector.settle.gifts import BirthdayAlreadySet
    from connector.settle.redemption import RedemptionError

    assert all(issubclass(kind, Refused) for kind in (InputError, SettingsError, RedemptionError, BirthdayAlreadySet))
    raising = [p.name for p in (ROOT / "connector").rglob("*.py") if "raise PermissionError" in p.read_text()]
    assert raising == []
    assert "errorhandler(Refused)" in (ROOT / "connector" / "web" / "errors.py").read_text()
