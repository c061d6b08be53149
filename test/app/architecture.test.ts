/**
 * The layering rules of docs/architecture.md that the compiler cannot see: imports run
 * down the floors below and never in a circle; test/ and bench/ share only support/; only
 * the Electron wiring imports `electron`; the renderer takes nothing from src-main but types.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../src-main/paths.js';
import { crossings, importCycles, importEdges, upwardImports, type Edge } from '../support/import-graph.js';

/**
 * src-main's floors, top to bottom (docs/architecture.md draws them): a unit imports only
 * units on floors below its own; units on one floor are independent of each other.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['main', 'preload'], // Electron wiring
  ['cli'], // the command line; its `serve` starts the dev host
  ['app-services', 'devhost'], // the services' implementation; the loopback host of the renderer
  ['base-summaries'], // bases as the app lists and imports them
  ['ipc'], // the channels: contract, argument schemas, handlers, the Services port
  ['selftest'],
  ['train'],
  ['infer'],
  ['export'], // a pack merged into its base as an ONNX or Hugging Face model
  ['packs', 'data'],
  ['model'],
  ['graph', 'runtime'], // the DSL; the one owner of onnxruntime-node
  ['onnx'], // the IR, its writer and reader, the type codes
  ['durable', 'security', 'renderer-files', 'paths', 'util'],
];

/**
 * The one circle kept on purpose: builders (api.ts) look ops up in the table, and each op's
 * gradient is written with the builders (ops/*.ts), so an op and its VJP sit side by side.
 */
const OP_TABLE_KNOT = ['src-main/graph/api.ts', 'src-main/graph/ops/elementwise.ts', 'src-main/graph/ops/index.ts', 'src-main/graph/ops/layout.ts', 'src-main/graph/ops/linalg.ts', 'src-main/graph/ops/reduce.ts'];

const TOPS = ['src-main', 'support', 'bench', 'test', 'scripts'];
const edges = importEdges(projectRoot(), TOPS).filter((e) => !e.from.startsWith('test/reference/'));

test('every import in src-main runs down the floors', () => {
  assert.deepEqual(upwardImports(edges.filter((e) => e.from.startsWith('src-main/')), FLOORS), []);
});

test('no import circles, but the op table and its builders', () => {
  assert.deepEqual(importCycles(edges).filter((c) => c.join() !== OP_TABLE_KNOT.join()), []);
});

test('src-main imports none of support, bench, test, scripts; support and scripts only src-main; bench and test not each other', () => {
  assert.deepEqual([
    ...crossings(edges, 'src-main', ['support', 'bench', 'test', 'scripts']),
    ...crossings(edges, 'support', ['bench', 'test', 'scripts']),
    ...crossings(edges, 'scripts', ['support', 'bench', 'test']),
    ...crossings(edges, 'bench', ['test']),
    ...crossings(edges, 'test', ['bench']),
  ], []);
});

test('the checker catches a synthetic upward import, a peer import, an unplaced folder and a circle', () => {
  const root = mkdtempSync(join(tmpdir(), 'taskpack-arch-'));
  try {
    const files: Record<string, string> = {
      'src-main/graph/api.ts': "import { Rng } from '../util/rng.js';\nimport type { Trainer } from '../train/trainer.js';",
      'src-main/train/trainer.ts': "export { x } from './a.js';",
      'src-main/train/a.ts': "export const load = () => import('./b.js');",
      'src-main/train/b.ts': "import { x } from './trainer.js';",
      'src-main/util/rng.ts': 'export class Rng {}',
      'src-main/runtime/ort.ts': "import '../graph/api.js';\nimport '../extra/thing.js';",
      'src-main/extra/thing.ts': '',
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    const found: Edge[] = importEdges(root, ['src-main']);
    assert.deepEqual(upwardImports(found, FLOORS), [
      "src-main/graph/api.ts -> src-main/train/trainer.ts: 'graph' may not import 'train' (a floor above)",
      "src-main/runtime/ort.ts -> src-main/extra/thing.ts: 'extra' is on no floor",
      "src-main/runtime/ort.ts -> src-main/graph/api.ts: 'runtime' may not import 'graph' (same floor)",
    ]);
    assert.deepEqual(importCycles(found), [['src-main/train/a.ts', 'src-main/train/b.ts', 'src-main/train/trainer.ts']]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

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
