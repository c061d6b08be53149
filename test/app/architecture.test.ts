/**
 * Layering rules from DESIGN §1 that the compiler cannot see: only the Electron wiring
 * imports `electron`, and the renderer takes nothing from src-main but types.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../src-main/paths.js';

function sourceFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name))
    .map((name) => join(dir, name));
}

const ELECTRON_IMPORT = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"]electron(?:\/[^'"]*)?['"]/;
const MAY_IMPORT_ELECTRON = /^(main\.ts|preload\.cts|ipc\/electron-[^/]+\.ts)$/;

test('only main.ts, preload.cts and ipc/electron-*.ts import electron', () => {
  const root = join(projectRoot(), 'src-main');
  const offenders = sourceFiles(root, /\.(c|m)?ts$/)
    .filter((file) => ELECTRON_IMPORT.test(readFileSync(file, 'utf8').replace(/import\s+type\b[^;]*;/g, '')))
    .map((file) => relative(root, file).split(sep).join('/'))
    .filter((file) => !MAY_IMPORT_ELECTRON.test(file));
  assert.deepEqual(offenders, []);
});

test('the renderer imports only types from src-main', () => {
  const root = join(projectRoot(), 'src-renderer');
  const valueImports: string[] = [];
  for (const file of sourceFiles(root, /\.(ts|svelte)$/)) {
    if (file.endsWith('vite.config.ts')) continue; // build-time, runs under Node
    for (const match of readFileSync(file, 'utf8').matchAll(/^\s*import\s+(type\s+)?[^'"]*['"]([^'"]+)['"]/gm)) {
      if (match[2].includes('src-main/') && !match[1]) valueImports.push(`${relative(root, file)}: ${match[2]}`);
    }
  }
  assert.deepEqual(valueImports, []);
});
