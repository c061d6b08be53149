/**
 * Child for the crash test: cycles install/uninstall over the given pack files in a store
 * until killed, printing `done N` after each completed operation (stdout to a pipe is
 * synchronous on Linux, so a printed line means the operation committed).
 * argv: home, then the pack files. Operation j toggles pack j mod K.
 */
import { readFileSync } from 'node:fs';
import { PackStore } from '../../src-main/packs/store.js';

const [home, ...files] = process.argv.slice(2);
// Started without arguments (e.g. picked up by a test runner scanning test/): nothing to do.
if (!home || files.length === 0) process.exit(0);
const packs = files.map((f) => new Uint8Array(readFileSync(f)));
const store = new PackStore(home);
const installed = new Map<number, string>();
process.stdout.write('ready\n');
for (let j = 0; ; j++) {
  const k = j % packs.length;
  const id = installed.get(k);
  if (id) { store.uninstall(id); installed.delete(k); }
  else installed.set(k, store.install(packs[k]).entry.id);
  process.stdout.write(`done ${j}\n`);
}
