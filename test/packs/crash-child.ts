/**
 * Child for the crash tests: until killed, operation j (j = 0, 1, …) toggles pack j mod K in
 * a store (install/uninstall) and, with `checkpoint` as the mode, first checkpoints state j
 * (checkpointState) into `<home>/runs/crash`. Appends `done j` to `<home>/done.log` after each
 * completed operation with a blocking write(2), so a logged line means it committed. (Not to
 * stdout: once the pipe's buffer is full, libuv queues writes in the process, and a kill loses
 * them; the store is then ahead of the log.) Prints `ready` once, on stdout.
 * argv: mode (store | checkpoint), home, then the pack files.
 */
import { mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PackStore } from '../../src-main/packs/store.js';
import { saveCheckpoint, type Checkpoint } from '../../src-main/train/checkpoint.js';

/** Checkpoint j: 1 MB of values that depend on j (so a mix of two checkpoints, or zeros, shows). */
export function checkpointState(j: number): Checkpoint<{ j: number }> {
  const w = new Float32Array(1 << 18);
  for (let i = 0; i < w.length; i++) w[i] = Math.fround(Math.sin(i * 0.001 + j) * (j + 1));
  return { meta: { j }, tensors: new Map([['p.w', { dims: [512, 512], data: w }], ['step', { dims: [1], data: Float32Array.of(j) }]]) };
}

const [mode, home, ...files] = process.argv.slice(2);
// Started without arguments (e.g. picked up by a test runner scanning test/, or imported): nothing to do.
if (mode && home && files.length > 0) {
  const packs = files.map((f) => new Uint8Array(readFileSync(f)));
  const store = new PackStore(home);
  const installed = new Map<number, string>();
  mkdirSync(home, { recursive: true });
  const log = openSync(join(home, 'done.log'), 'a');
  process.stdout.write('ready\n');
  for (let j = 0; ; j++) {
    if (mode === 'checkpoint') saveCheckpoint(join(home, 'runs', 'crash'), j, checkpointState(j));
    const k = j % packs.length;
    const id = installed.get(k);
    if (id) { store.uninstall(id); installed.delete(k); }
    else installed.set(k, store.install(packs[k]).entry.id);
    writeSync(log, `done ${j}\n`);
  }
}
