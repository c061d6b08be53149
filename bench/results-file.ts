/** Where benchmark results go, and the standalone entry every bench script shares. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../src-main/paths.js';
import { ortVersion } from '../src-main/runtime/version.js';

/** The machine a result was measured on (results compare only within one machine). */
export const machine = () => ({
  cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.versions.node, ort: ortVersion(), platform: `${process.platform}-${process.arch}`,
});

/** Write bench/results/<name>.json: {name, date, machine, result}. Returns the path. */
export function writeResult(name: string, result: object): string {
  const path = join(projectRoot(), 'bench', 'results', `${name}.json`);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify({ name, date: new Date().toISOString(), machine: machine(), result }, null, 2) + '\n');
  return path;
}

/** `npx tsx bench/<name>.ts`: run that one benchmark and write its result. */
export async function runIfMain(moduleUrl: string, name: string, run: () => Promise<object>): Promise<void> {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  const result = await run();
  console.log(JSON.stringify(result, null, 2));
  console.error(`wrote ${writeResult(name, result)}`);
}
