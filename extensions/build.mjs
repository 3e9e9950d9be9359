// Builds each UI extension's entry modules with esbuild into extensions/<name>/dist/, as Shopify's CLI
// bundles them: ESM, minified, Preact's JSX, the backend's address from SADAKAT_PUBLIC_URL.
import {build} from 'esbuild';

const PUBLIC_URL = process.env.SADAKAT_PUBLIC_URL || 'https://sadakat.example.com';
export const ENTRIES = {
  'sadakat-account': ['ProfileBlock', 'OrderStatusBlock'],
  'sadakat-thank-you': ['ThankYou'],
};

for (const [name, modules] of Object.entries(ENTRIES)) {
  await build({
    entryPoints: modules.map((module) => `${name}/src/${module}.jsx`),
    outdir: `${name}/dist`,
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: {'process.env.SADAKAT_PUBLIC_URL': JSON.stringify(PUBLIC_URL)},
    logLevel: 'warning',
  });
}
console.log(`built ${Object.values(ENTRIES).flat().length} extension modules for ${PUBLIC_URL}`);
