"""Switching from another loyalty app: ``sadakat import`` reads each source's export, keeps balances, tiers,
birthdays and referral codes, refuses bad rows into a file beside the input, and never imports twice."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from connector.cli import main
from connector.db.referrals import ReferralLink
from connector.db.storage import Storage
from connector.db.tables import CustomerRecord, LedgerEntry, Shop
from connector.model import NO_YEAR
from connector.ops.history import describe_all
from connector.ops.imports import importer
from connector.ops.imports.formats import Row, header_key, read, referral_code
from connector.ops.shops import change_settings
from tests.support import drain, paid_shopify_order, post_shopify

SAMPLES = Path(__file__).parents[2] / "fixtures" / "imports"
TIERS = [
    {"name": "Bronze", "min_spend": "0"},
    {"name": "Silver", "min_spend": "300"},
    {"name": "Gold", "min_spend": "700"},
]
JOHN = "115310627314723954"


def sample(tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copy(SAMPLES / name, copy)
    return copy


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: object, lang: str = "en") -> tuple[int, str]:
    result = CliRunner(env={"SADAKAT_LANG": lang}).invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def members(storage: Storage, shop: Shop) -> dict[str, CustomerRecord]:
    with storage.session() as session:
        found = session.scalars(select(CustomerRecord).where(CustomerRecord.shop_id == shop.id))
        return {m.email or m.platform_id or "": m for m in found}


def balances(storage: Storage, shop: Shop) -> dict[str, int]:
    return {email: member.points for email, member in members(storage, shop).items()}


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("smile-points.csv", "smile", {"ada@example.com": 120, "bora.yilmaz@example.com": 1250}),
        ("smile-customers.csv", "smile", {"ada@example.com": 350, "sule@example.com": 80, "jose@example.com": 0}),
        ("loyaltylion.csv", "loyaltylion", {"ada@example.com": 40, "melis@example.com": 15}),
        ("yotpo.csv", "yotpo", {"ada@example.com": 500, "guenther@example.de": 75}),
        ("joy.csv", "joy", {"ada@example.com": 210, "zeynep@example.com": 30}),
        ("wployalty.csv", "wployalty", {"ada@example.com": 95, "deniz@example.com": 10}),
        ("woo-points-rewards.csv", "woo-points-rewards", {"ada@example.com": 300, "ozan@example.com": 45}),
        ("generic.csv", "generic", {"ada@example.com": 400, "207119551": 25}),
    ],
)
def test_each_source_export_is_read_in_its_own_format(
    name: str, source: str, expected: dict[str, int], tmp_path: Path, storage: Storage, offline_shopify_shop: Shop
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    code, output = run("import", offline_shopify_shop.id, sample(tmp_path, name), "--from", source)
    assert code == 0, output
    assert "Imported." in output and f"Rows accepted: {len(expected)}. Rows refused: 0" in output
    assert balances(storage, offline_shopify_shop) == expected
    assert not (tmp_path / f"{name}.failed.csv").exists()


def test_a_smile_export_keeps_names_tiers_birthdays_and_referral_codes_and_a_second_run_changes_nothing(
    tmp_path: Path, storage: Storage, offline_shopify_shop: Shop
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    path = sample(tmp_path, "smile-customers.csv")
    code, output = run("import", offline_shopify_shop.id, path, "--from", "smile", "--tier-until", "2030-01-31")
    assert code == 0, output
    assert "Members found: 0. New members: 3." in output
    assert "Points in the accepted rows: 430. Balances moved by: 430." in output
    assert "Tiers kept: gold: 1, silver: 1." in output
    found = members(storage, offline_shopify_shop)
    ada, sule, jose = found["ada@example.com"], found["sule@example.com"], found["jose@example.com"]
    assert (ada.first_name, ada.last_name, ada.tier, ada.tier_kept_until) == (
        "Ada",
        "Lovelace",
        "Gold",
        date(2030, 1, 31),
    )
    assert (sule.first_name, sule.last_name) == ("Şule", "Öztürk, Çelik")
    assert ada.birthday == date(1990, 5, 17)
    assert sule.birthday == date(NO_YEAR, 11, 2)  # Smile's year 1004: no year given
    assert jose.tier == "Silver" and jose.birthday is None
    with storage.session() as session:
        codes = dict(session.execute(select(ReferralLink.customer_id, ReferralLink.code)).all())
        entry = session.scalars(select(LedgerEntry).where(LedgerEntry.customer_id == ada.id)).one()
        words = describe_all(session, offline_shopify_shop.id, [entry], "en")
    assert codes == {ada.id: "ada1x9k", sule.id: "sule7q2"}
    assert (entry.kind, entry.points) == ("import", 350)
    assert entry.note == "Brought over from Smile (smile-customers.csv, row 2)"
    assert words == ["Points brought over from your previous rewards programme: +350 points"]

    code, output = run("import", offline_shopify_shop.id, path, "--from", "smile", "--tier-until", "2030-01-31")
    assert code == 0, output
    assert "Imported by an earlier run, left as they were: 3." in output
    assert "Balances moved by: 0." in output
    assert balances(storage, offline_shopify_shop) == {
        "ada@example.com": 350,
        "sule@example.com": 80,
        "jose@example.com": 0,
    }


def test_bad_rows_are_refused_into_a_file_beside_the_input_and_the_good_ones_still_import(
    tmp_path: Path, storage: Storage, offline_shopify_shop: Shop
) -> None:
    change_settings(storage, offline_shopify_shop.id, {"tiers": TIERS})
    path = written(
        tmp_path,
        "customers.csv",
        "email,customer_id,points,tier,birthday,referral_code\n"
        "good@example.com,,100,Gold,,\n"
        "not-an-email,,50,,,\n"
        "minus@example.com,,-5,,,\n"
        "platinum@example.com,,10,Platinum,,\n"
        "GOOD@example.com,,7,,,\n"
        "half@example.com,,1.5,,,\n"
        "other@example.com,,20,,2099-01-01,\n",
    )
    dry_code, dry = run("import", offline_shopify_shop.id, path, "--from", "generic", "--dry-run")
    assert dry_code == 1
    assert "Dry run: nothing was changed." in dry
    assert "Rows read: 7. Rows accepted: 1. Rows refused: 6." in dry
    assert "Rows refused, The points are below zero: 1" in dry
    turkish_code, turkish = run(
        "import", offline_shopify_shop.id, path, "--from", "generic", "--dry-run", lang="tr_TR.UTF-8"
    )
    assert turkish_code == 1 and "Deneme: hiçbir şey değişmedi." in turkish, "in the merchant's language"
    assert "Okunan satırlar: 7. Kabul edilen satırlar: 1. Reddedilen satırlar: 6." in turkish
    assert balances(storage, offline_shopify_shop) == {}

    code, output = run("import", offline_shopify_shop.id, path, "--from", "generic")
    assert code == 1
    assert "Rows read: 7. Rows accepted: 1. Rows refused: 6." in output
    assert balances(storage, offline_shopify_shop) == {"good@example.com": 100}
    failed = tmp_path / "customers.csv.failed.csv"
    assert f"The refused rows, each with its reason, are in {failed}" in output
    with failed.open(encoding="utf-8") as rows:
        refused = {row["email"]: row["reason"] for row in csv.DictReader(rows)}
    assert refused == {
        "not-an-email": "the e-mail 'not-an-email' is not an e-mail address",
        "minus@example.com": "points -5 is negative: a balance can't be below zero",
        "platinum@example.com": "unknown tier 'Platinum': the programme's tiers are Bronze, Silver, Gold",
        "GOOD@example.com": "duplicate: the same customer is on row 2 of the file",
        "half@example.com": "points '1.5' is not a whole number",
        "other@example.com": "the birthday '2099-01-01' is not a real date of birth",
    }


def test_set_mode_makes_balances_equal_to_the_file_matching_by_store_id_then_email_without_case(
    client: FlaskClient, tmp_path: Path, storage: Storage, offline_shopify_shop: Shop, redis: Redis
) -> None:
    post_shopify(client, offline_shopify_shop, "orders/paid", paid_shopify_order())
    drain(redis)
    before = members(storage, offline_shopify_shop)["john@example.com"]
    assert before.platform_id == JOHN and before.points > 0
    path = written(tmp_path, "set.csv", f"email,customer_id,points\nx@example.com,{JOHN},1000\nJOHN@EXAMPLE.COM,,5\n")
    code, output = run("import", offline_shopify_shop.id, path, "--from", "generic", "--mode", "set")
    assert (
        code == 1
        and "Rows refused, The same customer is on an earlier row: 1" in output
        and "Members found: 1. New members: 0." in output
    )
    assert balances(storage, offline_shopify_shop)["john@example.com"] == 1000
    with storage.session() as session:
        entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "import")).one()
    assert (entry.points, entry.rule) == (1000 - before.points, "import_set")


def test_an_interrupted_import_resumes_where_it_stopped(
    tmp_path: Path, storage: Storage, offline_shopify_shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"m{n}@example.com,{n}\n" for n in range(1, 26))
    path = written(tmp_path, "big.csv", "email,points\n" + rows)
    monkeypatch.setattr(importer, "BATCH", 10)

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importer.import_file(storage, offline_shopify_shop.id, path, "generic", progress=stop)
    assert len(balances(storage, offline_shopify_shop)) == 10
    report = importer.import_file(storage, offline_shopify_shop.id, path, "generic")
    assert (report.already, report.accepted, report.refused) == (10, 15, 0)
    assert balances(storage, offline_shopify_shop) == {f"m{n}@example.com": n for n in range(1, 26)}
    assert sum(balances(storage, offline_shopify_shop).values()) == sum(range(1, 26))


def test_the_command_names_what_is_wrong_with_a_file_or_an_option(tmp_path: Path, offline_shopify_shop: Shop) -> None:
    empty = written(tmp_path, "empty.csv", "")
    assert run("import", offline_shopify_shop.id, empty, "--from", "smile") == (1, "Error: the file is empty\n")
    nameless = written(tmp_path, "nameless.csv", "name,points\nAda,5\n")
    code, output = run("import", offline_shopify_shop.id, nameless, "--from", "smile")
    said = "Error: the file has no e-mail or customer id column: a Smile export names each customer by one\n"
    assert (code, output) == (1, said)
    code, output = run("import", 999, nameless, "--from", "smile")
    assert (code, output) == (1, "Error: no shop 999\n")
    code, output = run("import", offline_shopify_shop.id, nameless, "--from", "nowhere")
    assert code == 2 and "'nowhere' is not one of" in output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,points\nşule@example.com,5\n".encode("cp1254"))
    code, output = run("import", offline_shopify_shop.id, latin, "--from", "generic")
    assert (code, output) == (1, "Error: the file is not UTF-8 text: save it from the spreadsheet as CSV UTF-8\n")
    past = (date.today() - timedelta(days=2)).isoformat()
    code, output = run("import", offline_shopify_shop.id, nameless, "--from", "smile", "--tier-until", past)
    assert (code, output) == (1, "Error: tier until must be today or later\n")


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("http://rwrd.io/ada1x9k?c", "ada1x9k"),
        ("https://shop.example/pages/refer/ADA-2024", "ADA-2024"),
        ("https://shop.example/?ref=zeynep42", "zeynep42"),
        ("www.shop.example/r/ozan_7", "ozan_7"),
        ("ADAREF1", "ADAREF1"),
        ("a code with spaces", None),
        ("https://shop.example/", None),
    ],
)
def test_the_code_at_the_end_of_an_old_referral_link_is_what_is_kept(given: str, code: str | None) -> None:
    assert referral_code(given) == code


def test_headers_are_matched_without_regard_to_case_spaces_or_underscores() -> None:
    assert {header_key(h) for h in ("Points Balance", "points_balance", " POINTS-BALANCE ")} == {"pointsbalance"}
    rows = list(read(io.StringIO("EMAIL ; Points Balance\nada@example.com;1.250\nbo@example.com; 7 \n"), "yotpo"))
    assert [(r.email, r.points) for r in rows if isinstance(r, Row)] == [("bo@example.com", 7)]
    [refused] = [r for r in rows if not isinstance(r, Row)]
    assert (refused.line, refused.reason) == (2, "points '1.250' is not a whole number")
