// Shopify's theme-check (@shopify/theme-check-node) on the theme app extension, with Shopify's config for
// theme app extensions; prints each offense and fails on any.
import {check} from '@shopify/theme-check-node';
import {resolve} from 'node:path';

const root = resolve('sadakat-rewards');
const offenses = await check(root, 'theme-check:theme-app-extension');
for (const offense of offenses) {
  console.log(`${offense.uri.replace(`file://${root}/`, '')}:${offense.start.line + 1}: ${offense.check}: ${offense.message}`);
}
console.log(`theme-check: ${offenses.length} offenses in ${root}`);
process.exit(offenses.length ? 1 : 0);
