/**
 * Length-bucketed batches. Each epoch: shuffle all rows, cut the shuffle into pools of
 * POOL_BATCHES batches, sort each pool by length and cut it into batches (so a batch holds
 * rows of similar length: little padding), then shuffle the batch order. Everything follows
 * from an Rng, and epochBatches(seed, epoch) derives that Rng from the seed and epoch alone,
 * so a trainer resumes an epoch exactly from (seed, epoch, batch index).
 */
import { Rng } from '../util/rng.js';

/** Batches per sorting pool: larger pools pad less but mix lengths across batches less. */
export const POOL_BATCHES = 50;

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Every index in [0, lengths.length) exactly once, in batches of at most batchSize. */
export function lengthBuckets(lengths: ArrayLike<number>, batchSize: number, rng: Rng, poolBatches = POOL_BATCHES): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const order = shuffle(Array.from({ length: lengths.length }, (_, i) => i), rng);
  const pool = batchSize * Math.max(1, poolBatches);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += pool) {
    // Stable: equal lengths keep their shuffled order.
    const sorted = order.slice(start, start + pool).sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < sorted.length; b += batchSize) batches.push(sorted.slice(b, b + batchSize));
  }
  return shuffle(batches, rng);
}

/** The Rng of one epoch: a function of (seed, epoch) only. */
export function epochRng(seed: number, epoch: number): Rng {
  const base = new Rng(seed).state;
  // Mix the epoch into the seeded state, then let SplitMix-style scrambling spread it.
  let x = (Math.imul(epoch + 1, 0x9e3779b9) ^ base[0]) >>> 0;
  const state = base.map((w) => {
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (w ^ x ^ (x >>> 16)) >>> 0;
  });
  if (state.every((w) => w === 0)) state[0] = 1;
  return new Rng(state);
}

export function epochBatches(lengths: ArrayLike<number>, batchSize: number, seed: number, epoch: number): number[][] {
  return lengthBuckets(lengths, batchSize, epochRng(seed, epoch));
}

/** Share of a padded batch that is padding: 1 − Σ lengths / Σ (batch size · longest). */
export function paddingFraction(lengths: ArrayLike<number>, batches: readonly (readonly number[])[]): number {
  let real = 0, padded = 0;
  for (const batch of batches) {
    let longest = 0;
    for (const i of batch) { real += lengths[i]; longest = Math.max(longest, lengths[i]); }
    padded += longest * batch.length;
  }
  return padded === 0 ? 0 : 1 - real / padded;
}
