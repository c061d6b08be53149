/**
 * `npm run bench [-- NAME…]`: runs the benchmarks one after another in this process (each
 * compares its contenders side by side in one run) and writes bench/results/<name>.json.
 * docs/benchmarks.md tabulates them.
 */
import { writeResult } from './results-file.js';

const BENCHES: Record<string, () => Promise<{ run(): Promise<object> }>> = {
  'train-step': () => import('./train-step.js'),
  'train-step-base': () => import('./train-step-base.js'),
  'train-memory': () => import('./train-memory.js'),
  'train-memory-bert': () => import('./train-memory-bert.js'),
  'use-inference': () => import('./use-inference.js'),
  'pack-swap': () => import('./pack-swap.js'),
  'data-import': () => import('./data-import.js'),
  'pack-decode': () => import('./pack-decode.js'),
  'checkpoint-save': () => import('./checkpoint-save.js'),
  'export-model': () => import('./export-model.js'),
  'app-memory-after-run': () => import('./app-memory-after-run.js'),
  'dev-evaluation': () => import('./dev-evaluation.js'),
};

const wanted = process.argv.slice(2);
for (const name of wanted) if (!(name in BENCHES)) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(BENCHES).join(', ')}`);
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  console.error(`bench: ${name}…`);
  const t0 = performance.now();
  const result = await (await BENCHES[name]()).run();
  console.error(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${writeResult(name, result)}`);
  console.log(JSON.stringify({ [name]: result }));
}
