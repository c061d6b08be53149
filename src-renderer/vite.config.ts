/**
 * Builds the renderer into dist/renderer. Loaded from disk by Electron (app:// scheme)
 * and by the dev host, so: relative asset URLs, no inline scripts, no inlined data: assets,
 * and the same CSP as the server headers, written into index.html as a <meta> tag.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { contentSecurityPolicy } from '../src-main/security/csp.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

function cspMetaTag(): Plugin {
  return {
    name: 'taskpack-csp-meta',
    transformIndexHtml: {
      order: 'post',
      handler: () => [
        {
          tag: 'meta',
          attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy('meta') },
          injectTo: 'head-prepend',
        },
      ],
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  plugins: [svelte({ compilerOptions: { runes: true } }), cspMetaTag()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    assetsInlineLimit: 0, // data: URLs would need a looser CSP
    modulePreload: { polyfill: false }, // the polyfill is an inline-able script we do not need
    sourcemap: true,
  },
});
