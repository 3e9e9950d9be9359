"""The admin pages' words in English and Turkish, and how they write numbers, money and times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask import has_request_context, request, session
from markupsafe import Markup, escape

LANGUAGES = ("en", "tr")
NO_VALUE = "\u2013"  # an en dash where there is nothing to show

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "admin": "Admin",
        "login": "Log in",
        "logout": "Log out",
        "password": "Password",
        "login_off": "Admin login is off: set ADMIN_PASSWORD and restart.",
        "login_no_key": "Admin login needs SADAKAT_SECRET_KEY to sign its session cookie.",
        "login_wrong": "Wrong password.",
        "login_locked": "Too many wrong passwords from this address. Try again in {minutes} min.",
        "csrf_failed": "The form had expired. Please try again.",
        "overview": "Overview",
        "all_healthy": "All healthy",
        "not_healthy": "Needs attention",
        "shops": "Shops",
        "no_shops": "No shops yet. Install the app on a store, or run `sadakat shops add`.",
        "shop": "Shop",
        "platform": "Platform",
        "state": "State",
        "installed": "installed",
        "uninstalled": "uninstalled",
        "no_credentials": "no credentials",
        "last_webhook": "Last webhook",
        "never": "never",
        "events_24h": "Events (24 h)",
        "failed_events": "Failed events",
        "failed_pushes": "Failed pushes",
        "queue": "Queue",
        "queued": "queued",
        "failed_jobs": "failed jobs",
        "scheduled_jobs": "scheduled",
        "workers": "Workers",
        "no_workers": "none",
        "scheduler": "Scheduler",
        "seen": "seen",
        "settings": "Settings",
        "save": "Save",
        "saved": "Settings saved.",
        "programme": "Programme",
        "members": "Members",
        "active_members": "Active members (90 days)",
        "repeat_rate": "Repeat purchase rate",
        "aov": "Average order value",
        "ltv": "Lifetime value",
        "ltv_members": "Lifetime value, members",
        "ltv_guests": "Lifetime value, guests",
        "points_issued": "Points issued",
        "points_redeemed": "Points redeemed",
        "points_expired": "Points expired",
        "redemption_rate": "Redemption rate",
        "liability": "Outstanding points' value",
        "gift_codes": "Gift codes issued / used",
        "chart_events": "Events per hour, last 48 h",
        "chart_points": "Points issued vs redeemed per day, last 30 days",
        "chart_tiers": "Members by tier",
        "chart_segments": "Customers by segment",
        "issued": "issued",
        "redeemed": "redeemed",
        "recent_events": "Recent events",
        "attention": "Needs attention",
        "nothing_failed": "Nothing has failed.",
        "retry": "Retry",
        "points_returned": "points given back",
        "discard": "Discard",
        "confirm_discard": "Discard this for good?",
        "retried": "Queued again.",
        "discarded": "Discarded.",
        "event": "Event",
        "push": "Push",
        "topic": "Topic",
        "status": "Status",
        "received": "Received",
        "attempts": "Attempts",
        "error": "Error",
        "kind": "Kind",
        "target": "Target",
        "customer_search": "Find a customer",
        "search_hint": "customer id or e-mail",
        "search": "Search",
        "customer": "Customer",
        "no_customer": "No customer {q} in this shop.",
        "balance": "Balance",
        "points": "points",
        "tier": "Tier",
        "history": "Ledger history",
        "when": "When",
        "why": "Why",
        "source": "Source",
        "amount": "Amount",
        "earn_rate": "Points per 1.00 spent",
        "include_shipping": "Count shipping",
        "include_tax": "Count tax",
        "sync_customers": "Write points and tier to the store's customer",
        "locale": "Customer notes in",
        "expiry_months": "Points expire after months without activity (empty: never)",
        "expiry_warning_days": "Warn this many days before expiry",
        "points_per_unit": "Points for 1.00 off",
        "minimum_points": "Fewest points per redemption",
        "step_points": "Redeem in steps of",
        "tiers_json": "Tiers (JSON)",
        "gifts_json": "Surprise gifts (JSON)",
        "none": "none",
        "ago": "{n} {unit} ago",
        "in": "in {n} {unit}",
        "just_now": "just now",
        "unit_s": "s",
        "unit_min": "min",
        "unit_h": "h",
        "unit_d": "days",
        "language": "Türkçe",
        "back": "Back",
        "webhook_url": "Webhook address",
        "tracking_services": "Tracking services",
        "tracking_help": "Paste a service's webhook address into its dashboard and its webhook secret here: "
        "parcel news then reaches your customers through the store.",
        "own_format": "Sadakat's own format (signed with the shop's carrier secret)",
        "service": "Service",
        "connected": "Connected",
        "yes": "Yes",
        "no": "No",
        "secret": "Webhook secret",
        "url_token": "Address token (Shippo without signing)",
        "connect": "Save",
        "carrier_saved": "Tracking service saved.",
        "carrier_bad_secret": "Paste the webhook secret exactly as the service shows it (8 to 512 characters).",
        "carrier_bad_token": "Choose a token of 8 to 512 characters; only Shippo uses one.",
        "carrier_bad_service": "There is no such tracking service.",
        "unmatched_waiting": "News for tracking numbers no shipment has yet (kept for 14 days):",
        "currency": "Currency",
        "currency_setting": "Store currency (three letters; empty: as the store says)",
        "return_spent_points": "When an order paid with points is cancelled or refunded",
        "return_spent_always": "give the points spent back",
        "return_spent_never": "keep the points spent",
        "currency_unknown": "not known yet: the store's first order will tell",
        "currency_unconfirmed": "taken from the first order; the store has not confirmed it yet",
    },
    "tr": {
        "admin": "Yönetim",
        "login": "Giriş yap",
        "logout": "Çıkış",
        "password": "Parola",
        "login_off": "Yönetici girişi kapalı: ADMIN_PASSWORD ayarlayıp yeniden başlatın.",
        "login_no_key": "Yönetici girişi, oturum çerezini imzalamak için SADAKAT_SECRET_KEY ister.",
        "login_wrong": "Parola yanlış.",
        "login_locked": "Bu adresten çok fazla yanlış parola girildi. {minutes} dk sonra yeniden deneyin.",
        "csrf_failed": "Formun süresi dolmuş. Lütfen yeniden deneyin.",
        "overview": "Genel bakış",
        "all_healthy": "Her şey yolunda",
        "not_healthy": "İlgilenilmesi gerekenler",
        "shops": "Mağazalar",
        "no_shops": "Henüz mağaza yok. Uygulamayı bir mağazaya kurun ya da `sadakat shops add` çalıştırın.",
        "shop": "Mağaza",
        "platform": "Platform",
        "state": "Durum",
        "installed": "kurulu",
        "uninstalled": "kaldırıldı",
        "no_credentials": "erişim bilgisi yok",
        "last_webhook": "Son webhook",
        "never": "hiç",
        "events_24h": "Olaylar (24 sa)",
        "failed_events": "Başarısız olaylar",
        "failed_pushes": "Başarısız gönderimler",
        "queue": "Kuyruk",
        "queued": "kuyrukta",
        "failed_jobs": "başarısız iş",
        "scheduled_jobs": "zamanlanmış",
        "workers": "İşçiler",
        "no_workers": "yok",
        "scheduler": "Zamanlayıcı",
        "seen": "görüldü",
        "settings": "Ayarlar",
        "save": "Kaydet",
        "saved": "Ayarlar kaydedildi.",
        "programme": "Program",
        "members": "Üyeler",
        "active_members": "Aktif üyeler (90 gün)",
        "repeat_rate": "Tekrar satın alma oranı",
        "aov": "Ortalama sipariş tutarı",
        "ltv": "Müşteri yaşam boyu değeri",
        "ltv_members": "Yaşam boyu değer, üyeler",
        "ltv_guests": "Yaşam boyu değer, misafirler",
        "points_issued": "Verilen puan",
        "points_redeemed": "Kullanılan puan",
        "points_expired": "Süresi dolan puan",
        "redemption_rate": "Kullanım oranı",
        "liability": "Bekleyen puanların değeri",
        "gift_codes": "Hediye kodları verilen / kullanılan",
        "chart_events": "Saatlik olaylar, son 48 sa",
        "chart_points": "Günlük verilen ve kullanılan puan, son 30 gün",
        "chart_tiers": "Seviyelere göre üyeler",
        "chart_segments": "Segmentlere göre müşteriler",
        "issued": "verilen",
        "redeemed": "kullanılan",
        "recent_events": "Son olaylar",
        "attention": "İlgilenilmesi gerekenler",
        "nothing_failed": "Başarısız bir şey yok.",
        "retry": "Yeniden dene",
        "points_returned": "puanlar iade edildi",
        "discard": "Vazgeç",
        "confirm_discard": "Bu kalıcı olarak bırakılsın mı?",
        "retried": "Yeniden kuyruğa alındı.",
        "discarded": "Bırakıldı.",
        "event": "Olay",
        "push": "Gönderim",
        "topic": "Konu",
        "status": "Durum",
        "received": "Alındı",
        "attempts": "Deneme",
        "error": "Hata",
        "kind": "Tür",
        "target": "Hedef",
        "customer_search": "Müşteri bul",
        "search_hint": "müşteri no ya da e-posta",
        "search": "Ara",
        "customer": "Müşteri",
        "no_customer": "Bu mağazada {q} müşterisi yok.",
        "balance": "Bakiye",
        "points": "puan",
        "tier": "Seviye",
        "history": "Puan geçmişi",
        "when": "Ne zaman",
        "why": "Neden",
        "source": "Kaynak",
        "amount": "Tutar",
        "earn_rate": "1,00 harcama başına puan",
        "include_shipping": "Kargoyu say",
        "include_tax": "Vergiyi say",
        "sync_customers": "Puanı ve seviyeyi mağazadaki müşteriye yaz",
        "locale": "Müşteri notlarının dili",
        "expiry_months": "Hareketsiz kaç ay sonra puanlar silinsin (boş: hiç)",
        "expiry_warning_days": "Silinmeden kaç gün önce uyarılsın",
        "points_per_unit": "1,00 indirim için puan",
        "minimum_points": "Bir kullanımda en az puan",
        "step_points": "Kullanım adımı",
        "tiers_json": "Seviyeler (JSON)",
        "gifts_json": "Sürpriz hediyeler (JSON)",
        "none": "yok",
        "ago": "{n} {unit} önce",
        "in": "{n} {unit} sonra",
        "just_now": "az önce",
        "unit_s": "sn",
        "unit_min": "dk",
        "unit_h": "sa",
        "unit_d": "gün",
        "language": "English",
        "back": "Geri",
        "webhook_url": "Webhook adresi",
        "tracking_services": "Kargo takip servisleri",
        "tracking_help": "Servisin webhook adresini servisin paneline, webhook gizli anahtarını buraya yapıştırın: "
        "kargo haberleri böylece mağaza üzerinden müşterilerinize ulaşır.",
        "own_format": "Sadakat'in kendi biçimi (mağazanın kargo anahtarıyla imzalı)",
        "service": "Servis",
        "connected": "Bağlı",
        "yes": "Evet",
        "no": "Hayır",
        "secret": "Webhook gizli anahtarı",
        "url_token": "Adres belirteci (imzasız Shippo için)",
        "connect": "Kaydet",
        "carrier_saved": "Kargo takip servisi kaydedildi.",
        "carrier_bad_secret": "Webhook gizli anahtarını servisin gösterdiği gibi yapıştırın (8 ile 512 karakter).",
        "carrier_bad_token": "8 ile 512 karakterlik bir belirteç seçin; yalnızca Shippo kullanır.",
        "carrier_bad_service": "Böyle bir kargo takip servisi yok.",
        "unmatched_waiting": "Henüz hiçbir gönderide olmayan takip numaraları için gelen haberler (14 gün saklanır):",
        "currency": "Para birimi",
        "currency_setting": "Mağaza para birimi (üç harf; boş: mağazanın bildirdiği)",
        "return_spent_points": "Puanla ödenen bir sipariş iptal ya da iade edilince",
        "return_spent_always": "harcanan puanları geri ver",
        "return_spent_never": "harcanan puanları geri verme",
        "currency_unknown": "henüz bilinmiyor: mağazanın ilk siparişi gösterecek",
        "currency_unconfirmed": "ilk siparişten alındı; mağaza henüz doğrulamadı",
    },
}


def current_language() -> str:
    """The session's choice, else the browser's preference, else English."""
    if not has_request_context():
        return "en"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


@dataclass(frozen=True)
class Text:
    """The words and formats of one language; call it with a string's name."""

    lang: str

    def __call__(self, key: str, **values: object) -> str:
        template = STRINGS[self.lang].get(key) or STRINGS["en"][key]
        return template.format(**values) if values else template

    @property
    def other(self) -> str:
        """The language to switch to."""
        return "tr" if self.lang == "en" else "en"

    def number(self, value: int | Decimal | None, places: int = 0) -> str:
        """A number with thousands grouped the language's way (1,234.50 / 1.234,50)."""
        if value is None:
            return NO_VALUE
        text = f"{Decimal(value):,.{places}f}"
        if self.lang == "tr":
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def money(self, value: Decimal | None) -> str:
        """Money with two decimals."""
        return self.number(value, 2)

    def percent(self, rate: Decimal | None) -> str:
        """A 0-1 rate as a percentage with one decimal."""
        return NO_VALUE if rate is None else self.number(rate * 100, 1) + " %"

    def ago(self, when: datetime | None, now: datetime | None = None) -> Markup:
        """A time relative to now ("5 min ago"), the exact UTC time on hover."""
        if when is None:
            return Markup(escape(self("never")))
        now = now or datetime.now(UTC)
        seconds = int((now - when).total_seconds())
        later, seconds = seconds < 0, abs(seconds)
        if seconds < 10:
            words = self("just_now")
        else:
            for size, unit in ((86400, "unit_d"), (3600, "unit_h"), (60, "unit_min"), (1, "unit_s")):
                if seconds >= size:
                    words = self("in" if later else "ago", n=seconds // size, unit=self(unit))
                    break
        exact = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return Markup('<time datetime="{}" title="{}">{}</time>').format(when.isoformat(), exact, words)


def text_for(lang: str | None = None) -> Text:
    """The words for ``lang`` (default: the request's language)."""
    return Text(lang if lang in LANGUAGES else current_language())
