// Writes HTML previews of the UI extensions' views (member, guest, order, thank-you; English and Turkish)
// into the folder given, with a small stylesheet standing for Shopify's components, so the docs can show
// screens of our own renders: `node preview.mjs <folder>`.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {build} from 'esbuild';

await build({
  entryPoints: ['test/render.jsx'], outfile: 'test/.out/render.mjs', bundle: true, platform: 'node', format: 'esm',
  jsx: 'automatic', jsxImportSource: 'preact', logLevel: 'warning',
});
const {profile, orderStatus, thankYou} = await import('./test/.out/render.mjs');

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;padding:16px;background:#f4f4f5;color:#111}
s-section,s-banner{display:block;background:#fff;border:1px solid #e4e4e7;border-radius:12px;padding:16px;margin-bottom:12px}
s-section::before{content:attr(heading);display:block;font-weight:700;font-size:18px;margin-bottom:8px}
s-banner[tone=success]{border-color:#16a34a;background:#f0fdf4}s-banner[tone=critical]{border-color:#dc2626}
s-banner::before{content:attr(heading);display:block;font-weight:700}s-stack{display:flex;flex-direction:column;gap:8px}
s-stack[direction=inline]{flex-direction:row;flex-wrap:wrap;align-items:center}s-heading{display:block;font-weight:700}
s-text{display:block;overflow-wrap:anywhere}s-button{display:inline-block;border:1px solid #111;border-radius:8px;padding:6px 12px;background:#fff}
s-button[variant=primary]{background:#111;color:#fff}s-clipboard-item{display:none}`;

function translator(path) {
  const words = JSON.parse(readFileSync(path, 'utf8'));
  return (key, values = {}) => {
    let text = words[key];
    if (typeof text === 'object') text = values.count === 1 ? text.one : text.other;
    return text.replace(/\{\{(\w+)\}\}/g, (_, name) => String(values[name]));
  };
}

const folder = process.argv[2];
mkdirSync(folder, {recursive: true});
const programme = {en: ['Earn 1 point for every 1.00 USD you spend.'], tr: ['Harcadığınız her 1,00 USD için 1 puan kazanın.']};
for (const [lang, file] of [['en', 'en.default'], ['tr', 'tr']]) {
  const account = translator(`sadakat-account/locales/${file}.json`);
  const thanks = translator(`sadakat-thank-you/locales/${file}.json`);
  const money = (amount) => (lang === 'tr' ? amount.replace('.', ',') : amount);
  const member = {
    points: 1080, tier: 'Gold', progress: lang === 'en' ? 'You are in our highest tier.' : 'En yüksek seviyemizdesiniz.',
    options: [{points: 500, value: money('5.00 USD')}, {points: 1000, value: money('10.00 USD')}],
    codes: [{code: 'SDK-7QK2M4XZ9A', worth: money('5.00 USD')}], credits: [{amount: money('5.00 USD'), given: true}],
  };
  const data = {points: 1080, reward: 'store_credit', programme: {earn: programme[lang]}, member,
    referral_url: 'https://sadakat.example.com/r/Xk3dP0aQ9mZt/anna42'};
  const pages = {
    profile: profile({kind: 'member', data}, account, 500),
    order: orderStatus({kind: 'member', data: {points: 414, status: 'earned'}}, account),
    'thank-you': thankYou({kind: 'done', data: {points: 414, guest: true}}, thanks),
  };
  for (const [name, body] of Object.entries(pages)) {
    const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sadakat ${name}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
    writeFileSync(join(folder, `${name}-${lang}.html`), html);
  }
}
console.log(`previews written to ${folder}`);
