/**
 * Where two packs of one base put their nonzeros, and how many positions they share against
 * what chance would give (src-main/packs/anatomy.ts; `taskpack pack compare` prints the same).
 * docs/results.md uses it to ask whether a method's selection repeats across seeds.
 * `node dist/bench/pack-overlap.js A.taskpack B.taskpack` prints JSON.
 */
import { readFileSync } from 'node:fs';
import { decodePack } from '../src-main/packs/codec.js';
import { packOverlap } from '../src-main/packs/anatomy.js';

const paths = process.argv.slice(2);
if (paths.length !== 2) throw new Error('usage: node dist/bench/pack-overlap.js A.taskpack B.taskpack');
const [a, b] = paths.map((p) => decodePack(readFileSync(p)).diffs);
console.log(JSON.stringify(packOverlap(a, b), null, 2));
