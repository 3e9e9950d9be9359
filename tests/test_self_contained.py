"""The repository is all a user's clone has: nothing in it reads a file outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\.\./shared|['\"]shared['\"]|\.\./\.\./")
PARENTS = re.compile(r"parents\[(\d+)\]")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines() if not name.startswith("tests/fixtures/")]


def test_no_file_names_a_path_outside_the_repository() -> None:
    offenders = []
    for path in tracked_files():
        if path.suffix not in {".py", ".sh", ".toml", ".cfg", ".ini", ".lua", ""} or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        relative = path.relative_to(ROOT)
        offenders += [f"{relative}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
        # Path(__file__).parents[n] leaves the repository once n reaches the file's depth.
        offenders += [
            f"{relative}: {m.group(0)}" for m in PARENTS.finditer(text) if int(m.group(1)) >= len(relative.parts)
        ]
    assert offenders == []


def test_the_fixtures_the_tests_read_are_in_the_repository() -> None:
    fixtures = ROOT / "tests" / "fixtures"
    for name in (
        "shopify/orders_create.json",
        "shopify/fulfillments_create.json",
        "shopify/app_uninstalled.json",
        "shopify/admin-2026-01.graphql",
        "woocommerce/order_created.json",
        "woocommerce/coupon_created.json",
    ):
        assert (fixtures / name).is_file(), name
        assert name in (fixtures / "README.md").read_text(), f"{name}'s provenance is in tests/fixtures/README.md"
