// The UI extensions, rendered against a fake `shopify` global's translate (Shopify's {{name}} and plural
// rules): each state — loading, member, guest, error — shows the right words in English and Turkish, and
// each bundle stays within Shopify's 64 KB.
import assert from 'node:assert/strict';
import {readFileSync, statSync} from 'node:fs';
import {test} from 'node:test';
import {build} from 'esbuild';

await build({
  entryPoints: ['test/render.jsx'],
  outfile: 'test/.out/render.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
const {profile, orderStatus, thankYou} = await import('./.out/render.mjs');

function translator(path, lang = 'en') {
  const words = JSON.parse(readFileSync(path, 'utf8'));
  const plural = new Intl.PluralRules(lang);  // as Shopify's i18n picks a form: by the count's CLDR category
  return (key, values = {}) => {
    let text = words[key];
    assert.ok(text !== undefined, `${path} has no ${key}`);
    if (typeof text === 'object') {
      text = text[plural.select(values.count)] ?? text.other;
    }
    return text.replace(/\{\{(\w+)\}\}/g, (_, name) => String(values[name]));
  };
}

const LANGS = {
  en: {account: translator('sadakat-account/locales/en.default.json'), thanks: translator('sadakat-thank-you/locales/en.default.json')},
  ...Object.fromEntries(['tr', 'de', 'fr', 'es', 'ar'].map((lang) => [lang, {
    account: translator(`sadakat-account/locales/${lang}.json`, lang),
    thanks: translator(`sadakat-thank-you/locales/${lang}.json`, lang),
  }])),
};
const PROGRAMME = {earn: ['Earn 1 point for every 1.00 USD you spend.'], tiers: []};
const MEMBER = {
  points: 1080,
  tier: 'Gold',
  progress: 'You are in our highest tier.',
  options: [{points: 500, value: '5.00 USD'}, {points: 1000, value: '10.00 USD'}],
  codes: [{code: 'SDK-ABCDEFGHIJ', worth: '5.00 USD'}],
  credits: [{amount: '5.00 USD', given: true}],
};
const EXPECTED = {
  en: {loading: 'Loading your rewards', points: 'You have 1080 points', tier: 'Your tier: Gold', redeem: 'Redeem 500 points for 5.00 USD off',
    confirm: 'Spend 500 points for 5.00 USD?', guest: 'Earn points with your first order.', zero: 'You have 0 points',
    error: "can't be shown right now", copy: 'Copy link', earned: 'This order earned 414 points.',
    pending: 'Points arrive when the order is paid.', reversed: 'were taken back', thanks: 'This order earns about 414 points.',
    account: 'Create an account to keep them.'},
  tr: {loading: 'Ödülleriniz yükleniyor', points: '1080 puanınız var', tier: 'Seviyeniz: Gold', redeem: '500 puanı 5.00 USD indirime çevirin',
    confirm: '5.00 USD için 500 puan harcansın mı?', guest: 'İlk siparişinizle puan kazanın.', zero: '0 puanınız var',
    error: 'şu anda gösterilemiyor', copy: 'Bağlantıyı kopyala', earned: 'Bu sipariş 414 puan kazandırdı.',
    pending: 'Puanlar sipariş ödendiğinde gelir.', reversed: 'puanları geri alındı', thanks: 'yaklaşık 414 puan kazandırır',
    account: 'Onları kaybetmemek için bir hesap açın.'},
  de: {loading: 'Ihre Prämien werden geladen', points: 'Sie haben 1080 Punkte', tier: 'Ihre Stufe: Gold',
    redeem: '500 Punkte für 5.00 USD Rabatt einlösen', confirm: '500 Punkte für 5.00 USD einlösen?',
    guest: 'Sammeln Sie Punkte mit Ihrer ersten Bestellung.', zero: 'Sie haben 0 Punkte', error: 'gerade nicht angezeigt',
    copy: 'Link kopieren', earned: 'Diese Bestellung hat 414 Punkte gebracht.', pending: 'sobald die Bestellung bezahlt ist',
    reversed: 'wurden zurückgenommen', thanks: 'etwa 414 Punkte', account: 'Erstellen Sie ein Konto, um sie zu behalten.'},
  fr: {loading: 'Chargement de vos récompenses', points: 'Vous avez 1080 points', tier: 'Votre niveau : Gold',
    redeem: 'Utiliser 500 points pour 5.00 USD de réduction', confirm: 'Utiliser 500 points pour 5.00 USD ?',
    guest: 'Gagnez des points dès votre première commande.', zero: 'Vous avez 0 point', error: 'pour le moment',
    copy: 'Copier le lien', earned: 'Cette commande vous a rapporté 414 points.', pending: 'une fois la commande payée',
    reversed: 'ont été repris', thanks: 'environ 414 points', account: 'Créez un compte pour les conserver.'},
  es: {loading: 'Cargando tus recompensas', points: 'Tienes 1080 puntos', tier: 'Tu nivel: Gold',
    redeem: 'Canjear 500 puntos por 5.00 USD de descuento', confirm: '¿Canjear 500 puntos por 5.00 USD?',
    guest: 'Gana puntos con tu primer pedido.', zero: 'Tienes 0 puntos', error: 'no podemos mostrar tus recompensas',
    copy: 'Copiar enlace', earned: 'Este pedido te ha dado 414 puntos.', pending: 'cuando se paga el pedido',
    reversed: 'se han retirado', thanks: 'unos 414 puntos', account: 'Crea una cuenta para conservarlos.'},
  ar: {loading: 'جارٍ تحميل مكافآتك', points: 'لديك 1080 نقطة', tier: 'مستواك: Gold',
    redeem: 'استبدل 500 نقطة بخصم 5.00 USD', confirm: 'هل تريد استبدال 500 نقطة مقابل 5.00 USD؟',
    guest: 'اكسب النقاط مع طلبك الأول.', zero: 'لديك 0 نقطة', error: 'لا يمكن عرض مكافآتك الآن',
    copy: 'نسخ الرابط', earned: 'أكسبك هذا الطلب 414 نقطة.', pending: 'تصل النقاط عند دفع الطلب.',
    reversed: 'استُرجعت نقاط هذا الطلب', thanks: 'نحو 414 نقطة', account: 'أنشئ حسابًا للاحتفاظ بها.'},
};

for (const [lang, t] of Object.entries(LANGS)) {
  const want = EXPECTED[lang];
  test(`profile block in ${lang}: loading, member, confirming, guest, error`, () => {
    assert.match(profile({kind: 'loading'}, t.account), new RegExp(want.loading));
    const member = {kind: 'member', data: {points: 1080, reward: 'discount_code', programme: PROGRAMME, member: MEMBER,
      referral_url: 'https://sadakat.example.com/r/abc/xyz'}};
    const shown = profile(member, t.account);
    for (const words of [want.points, want.tier, want.redeem, want.copy, 'SDK-ABCDEFGHIJ', 'https://sadakat.example.com/r/abc/xyz']) {
      assert.ok(shown.includes(words), `${lang}: ${words} in ${shown}`);
    }
    assert.ok(profile(member, t.account, 500).includes(want.confirm), `${lang}: redeeming asks first`);
    const guest = profile({kind: 'member', data: {points: 0, reward: 'discount_code', programme: PROGRAMME, member: null}}, t.account);
    assert.ok(guest.includes(want.zero) && guest.includes(want.guest), guest);
    assert.match(profile({kind: 'error'}, t.account), new RegExp(want.error));
  });

  test(`order status block in ${lang}: earned, pending, reversed, error`, () => {
    assert.ok(orderStatus({kind: 'member', data: {points: 414, status: 'earned'}}, t.account).includes(want.earned));
    assert.ok(orderStatus({kind: 'member', data: {points: 0, status: 'pending'}}, t.account).includes(want.pending));
    assert.match(orderStatus({kind: 'member', data: {points: 0, status: 'reversed'}}, t.account), new RegExp(want.reversed));
    assert.match(orderStatus({kind: 'error'}, t.account), new RegExp(want.error));
  });

  test(`thank-you block in ${lang}: a member, a guest, not yet known`, () => {
    assert.ok(thankYou({kind: 'done', data: {points: 414, guest: false}}, t.thanks).includes(want.thanks));
    const guest = thankYou({kind: 'done', data: {points: 414, guest: true}}, t.thanks);
    assert.ok(guest.includes(want.account), guest);
    assert.ok(thankYou({kind: 'done', data: {points: null}}, t.thanks).includes(want.pending));
  });
}

test('each locale file has the same keys as the English one', () => {
  for (const name of ['sadakat-account', 'sadakat-thank-you']) {
    const en = Object.keys(JSON.parse(readFileSync(`${name}/locales/en.default.json`, 'utf8'))).sort();
    for (const lang of ['tr', 'de', 'fr', 'es', 'ar']) {
      const other = Object.keys(JSON.parse(readFileSync(`${name}/locales/${lang}.json`, 'utf8'))).sort();
      assert.deepEqual(other, en, `${name}/locales/${lang}.json`);
    }
  }
});

test('each bundle is within Shopify\'s 64 KB for UI extensions', () => {
  for (const path of ['sadakat-account/dist/ProfileBlock.js', 'sadakat-account/dist/OrderStatusBlock.js', 'sadakat-thank-you/dist/ThankYou.js']) {
    const size = statSync(path).size;
    assert.ok(size <= 64 * 1024, `${path} is ${size} bytes`);
  }
});
