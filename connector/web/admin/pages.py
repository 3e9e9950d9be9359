"""The admin pages (server-rendered): the overview, a shop's page, its settings form, fixing failures,
and a customer's history. Every route needs a logged-in admin (see admin_auth)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from adapters import get_adapter
from connector import inbox
from connector.ops import Shop, activity, carriers, figures, shops, status
from connector.ops.after_delivery import care, nps
from connector.ops.customers import at_a_glance
from connector.ops.merchants import destinations, people
from connector.ops.rewards import programme_words
from connector.outbox import pushes, store_credit
from connector.programme import currency_confirmed, programme_of, shop_currency
from connector.web.admin.auth import current_access, require_admin
from connector.web.admin.charts import Series, bar_list, column_chart
from connector.web.admin.texts import Text, text_for
from connector.web.errors import problem
from connector.web.runtime import runtime

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")
bp.before_request(require_admin)

EVENTS_PER_PAGE = 50
RANGES = ("7", "30", "90")
FAILED_LISTED = 100
UNMATCHED_LISTED = 20


@bp.get("")
@bp.get("/")
def overview() -> ResponseReturnValue:
    """Every shop at a glance, the queue and its processes, and a verdict (the operator's view); a shop's
    person sees their shops (or, of one, goes straight to it)."""
    access = current_access()
    if access is not None and not access.operator:
        return _your_shops(access)
    for shop_id in shops.shop_ids(runtime().storage):  # the shop page's fresh roll-up, so the two pages agree
        figures.roll_up_if_small(runtime().storage, shop_id, runtime().redis, runtime().queue)
    with runtime().storage.session(read_only=True) as session:
        shop_rows = status.shop_statuses(session)
        glances = at_a_glance.glances(session)
    queue = status.queue_status(runtime().redis)
    now = datetime.now(UTC)
    return render_template(
        "admin/overview.html",
        shops=shop_rows,
        figures=glances,
        queue=queue,
        live_workers=queue.alive(queue.workers, now),
        live_schedulers=queue.alive(queue.schedulers, now),
        problems=status.problems(shop_rows, queue, now),
    )


def _your_shops(access: people.Access) -> ResponseReturnValue:
    mine = access.shops() or []
    if len(mine) == 1:
        return redirect(url_for("admin_pages.shop_page", shop_id=mine[0]))
    listed = [(shop, (access.roles or {})[shop.id]) for shop in shops.some_shops(runtime().storage, mine)]
    return render_template("admin/your_shops.html", shops=listed)


@bp.get("/shops/<shop_id:shop_id>")
def shop_page(shop_id: int) -> ResponseReturnValue:
    """A shop: programme metrics and charts, failures to fix, recent events, customer search, settings."""
    return _render_shop(shop_id)


def _render_shop(shop_id: int, code: int = 200, carrier_error: str | None = None) -> ResponseReturnValue:
    t = text_for()
    counting = figures.roll_up_if_small(runtime().storage, shop_id, runtime().redis, runtime().queue)
    with runtime().storage.session(read_only=True) as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        shown = figures.programme_metrics(session, shop, counting=counting)
        per_hour = activity.events_per_hour(session, shop.id)
        days = int(request.args.get("days", "30")) if request.args.get("days") in RANGES else 30
        rolled = shop.rollup if shown["large"] else None
        issued, redeemed = (
            ([0] * days, [0] * days) if counting else activity.points_per_day(session, shop.id, days, rolled=rolled)
        )
        weeks, promoters, detractors = nps.weekly(session, shop.id, datetime.now(UTC))
        events_24h = inbox.counts_since(session, shop.id, datetime.now(UTC) - timedelta(hours=24))
        failed_events = inbox.event_rows(session, shop.id, "failed", None, FAILED_LISTED)
        failed_pushes = pushes.recent(session, shop.id, "failed", FAILED_LISTED)
        charts = _charts(t, shown, per_hour, days, (issued, redeemed), (weeks, promoters, detractors))
        public_url = runtime().config.public_url
        webhook_url = public_url + get_adapter(shop.platform).webhook_path(shop.id)
        unmatched = carriers.unmatched_numbers(session, shop.id, UNMATCHED_LISTED)
        page = render_template(
            "admin/shop.html",
            shop=shop,
            webhook_url=webhook_url,
            currency=shop_currency(shop),
            currency_confirmed=currency_confirmed(shop),
            figures=shown,
            charts=charts,
            events_24h=events_24h,
            days=days,
            ranges=RANGES,
            failed_events=failed_events,
            failed_pushes=failed_pushes,
            retry_refusal=pushes.retry_refusal,
            summary=_summary(shop, t.lang),
            carriers=carriers.connections(session, shop.id, public_url),
            carrier_webhook_url=carriers.webhook_url(public_url, shop.id, "sadakat").removesuffix("/sadakat"),
            carrier_error=carrier_error,
            unmatched=unmatched,
            open_care=care.open_count(session, shop.id),
            store_credit_missing=store_credit.missing_scopes(shop),
            store_credit_programme=bool(programme_of(shop).store_credit_fields()),
            connections=destinations.summary(session, shop.id),
        )
    return page, code


def _charts(
    t: Text,
    shown: dict[str, Any],
    per_hour: list[int],
    days: int,
    points: tuple[list[int], list[int]],
    nps_weeks: tuple[list[str], list[int], list[int]],
) -> list[Markup]:
    """The shop page's charts: events by hour, points issued and redeemed by day, tiers, segments, NPS."""
    empty = t("chart_empty")
    issued, redeemed = points
    weeks, promoters, detractors = nps_weeks
    tiers = [(t("no_tier") if name == "none" else name, n, "") for name, n in sorted(shown["tiers"].items())]
    segments = [(t(f"seg_{name}"), n, t(f"seg_{name}_help")) for name, n in shown["segments"].items()]
    return [
        column_chart(
            t("chart_events"), activity.hour_labels(), [Series(t("events_24h"), per_hour, "bar")], t.number, empty
        ),
        column_chart(
            t("chart_points_days", n=days),
            activity.day_labels(days),
            [Series(t("issued"), issued, "bar"), Series(t("redeemed"), redeemed, "bar2")],
            t.number,
            empty,
        ),
        bar_list(t("chart_tiers"), tiers, t.number, empty),
        bar_list(t("chart_segments"), segments, t.number, empty),
        column_chart(
            t("chart_nps"),
            weeks,
            [Series(t("promoters"), promoters, "bar"), Series(t("detractors"), detractors, "bar2")],
            t.number,
            empty,
        ),
    ]


def _summary(shop: Shop, lang: str) -> list[str]:
    programme = programme_of(shop)
    currency = shop_currency(shop)
    lines = [
        *programme_words.ways_to_earn(programme, currency, lang),
        programme_words.redeem_line(programme, currency, lang),
    ]
    lines += [programme_words.gift_line(gift, currency, lang) for gift in programme.gifts]
    period, basis = programme.tier_period, programme.tier_basis
    return lines + [
        f"{t.name}: {', '.join(programme_words.tier_perks(t, currency, lang, period, basis))}" for t in programme.tiers
    ]


@bp.post("/shops/<shop_id:shop_id>/carriers/<service>")
def save_carrier(shop_id: int, service: str) -> ResponseReturnValue:
    """Connect a tracking service from the shop page; a bad value is shown above the list, nothing saved."""
    t = text_for()
    given = {name: (request.form.get(name) or "").strip() or None for name in ("secret", "token")}
    try:
        carriers.connect(runtime().storage, shop_id, service, given["secret"], given["token"])
    except LookupError:
        return problem(404, f"no shop {shop_id}")
    except carriers.CarrierSetupError as exc:
        field = str(exc).split(":", 1)[0]
        return _render_shop(shop_id, code=400, carrier_error=t(f"carrier_bad_{field}"))
    flash(t("carrier_saved"))
    return redirect(url_for("admin_pages.shop_page", shop_id=shop_id) + "#tracking")


@bp.post("/shops/<shop_id:shop_id>/events/<row_id:event_id>/<any(retry, discard):action>")
def event_action(shop_id: int, event_id: int, action: str) -> ResponseReturnValue:
    """Run a failed event again, or give up on it."""
    t = text_for()
    try:
        if action == "retry":
            inbox.retry_event(runtime().storage, runtime().queue, shop_id, event_id)
        else:
            inbox.discard(runtime().storage, shop_id, event_id)
    except LookupError as exc:
        return problem(404, str(exc))
    except ValueError as exc:
        return problem(409, str(exc))
    flash(f"{t('event')} {event_id}: {t('retried' if action == 'retry' else 'discarded')}")
    return redirect(url_for("admin_pages.shop_page", shop_id=shop_id) + "#attention")


@bp.post("/shops/<shop_id:shop_id>/pushes/<row_id:push_id>/<any(retry, discard):action>")
def push_action(shop_id: int, push_id: int, action: str) -> ResponseReturnValue:
    """Try a failed push again, or give up on it."""
    t = text_for()
    storage = runtime().storage
    try:
        if action == "retry":
            pushes.retry_failed(storage, shop_id, push_id)
            pushes.dispatch(storage, runtime().queue, [(push_id, shop_id)])
        else:
            pushes.discard_failed(storage, shop_id, push_id)
    except LookupError as exc:
        return problem(404, str(exc))
    except pushes.PushRequestError as exc:
        return problem(409, str(exc))
    flash(f"{t('push')} {push_id}: {t('retried' if action == 'retry' else 'discarded')}")
    return redirect(url_for("admin_pages.shop_page", shop_id=shop_id) + "#attention")


@bp.get("/shops/<shop_id:shop_id>/events")
def events_page(shop_id: int) -> ResponseReturnValue:
    """A shop's events, newest first, by status and topic, a page at a time."""
    status_filter = request.args.get("status") or None
    topic_filter = request.args.get("topic") or None
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and len(page_arg) < 7 else 1
    with runtime().storage.session(read_only=True) as session:
        shop = shops.shop_in(session, shop_id)
        if shop is None:
            return problem(404, f"no shop {shop_id}")
        total = inbox.count_events(session, shop.id, status_filter, topic_filter)
        pages = max(1, -(-total // EVENTS_PER_PAGE))
        page = min(page, pages)
        offset = (page - 1) * EVENTS_PER_PAGE
        events = inbox.event_rows(session, shop.id, status_filter, topic_filter, EVENTS_PER_PAGE, offset)
        rendered = render_template(
            "admin/events.html",
            shop=shop,
            events=events,
            total=total,
            page=page,
            pages=pages,
            statuses=inbox.STATUSES,
            topics=inbox.topics(session, shop.id),
            chosen={"status": status_filter, "topic": topic_filter},
            args={k: v for k, v in request.args.items() if k != "page"},
        )
    return rendered
