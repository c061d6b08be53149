/**
 * xoshiro128** — a small, fast, seedable PRNG whose whole state is four uint32 words, so
 * a run's noise stream can be checkpointed and resumed bit-exactly.
 */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number | Uint32Array) {
    if (typeof seed !== 'number') { this.s = Uint32Array.from(seed); return; }
    // SplitMix32 expands the seed so nearby seeds give unrelated streams.
    let x = seed >>> 0;
    this.s = new Uint32Array(4).map(() => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    });
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** The state to checkpoint; `new Rng(state)` resumes the same stream. */
  get state(): Uint32Array {
    return this.s.slice();
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * Fill with table[k] for 16-bit draws k, two per nextUint32 (its low half, then its high
   * half): the stream nextUint32 gives, with the state held in locals, since gate noise for
   * millions of parameters each step must cost little. An odd-length fill drops the high
   * half of its last draw.
   */
  fillFromTable16<T extends Float32Array | Uint16Array>(out: T, table: T): T {
    if (table.length !== 65536) throw new Error(`fillFromTable16 needs a table of 65536 entries, got ${table.length}`);
    let [s0, s1, s2, s3] = this.s;
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[i] = table[r & 0xffff];
      if (i + 1 < n) out[i + 1] = table[r >>> 16];
    }
    this.s[0] = s0; this.s[1] = s1; this.s[2] = s2; this.s[3] = s3;
    return out;
  }

  /** Uniform in the open interval (0, 1): safe for log u and log(1 − u). */
  uniform(): number {
    return ((this.nextUint32() >>> 8) + 0.5) / 16777216;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  fillUniform(out: Float32Array | Float64Array, lo = 0, hi = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  fillNormal(out: Float32Array | Float64Array, std = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }

  int(n: number): number {
    return this.nextUint32() % n;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
