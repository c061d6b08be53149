/**
 * Writes test/fixtures/packs/golden-v1.taskpack from goldenContent(), signed with
 * goldenKey(). Run once: `npx tsx test/packs/make-golden.ts --write`. Without --write it
 * only reports whether the committed file matches (the golden must never change).
 */
import { existsSync, readFileSync } from 'node:fs';
import { encodePack } from '../../src-main/packs/codec.js';
import { writeFileAtomic } from '../../src-main/durable/atomic.js';
import { GOLDEN_PATH, goldenContent, goldenKey } from '../../support/pack-fixtures.js';

const bytes = encodePack(goldenContent(), { signWith: goldenKey() });
const path = GOLDEN_PATH();
const same = existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0;
if (process.argv.includes('--write') && !same) {
  writeFileAtomic(path, bytes);
  console.log(`wrote ${path} (${bytes.length} bytes)`);
} else {
  console.log(`${path}: ${same ? 'matches' : 'DIFFERS from'} the freshly encoded golden (${bytes.length} bytes)`);
}
