/** The committed v1 pack: it decodes to the content defined in fixtures.ts and re-encodes to the same bytes, forever. */
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodePack, encodePack, rawPublicKey } from '../../src-main/packs/codec.js';
import { PackError } from '../../src-main/packs/errors.js';
import { dequantize } from '../../src-main/packs/values.js';
import { GOLDEN_PATH, goldenContent, goldenKey, syntheticBase } from '../../support/pack-fixtures.js';

const golden = () => new Uint8Array(readFileSync(GOLDEN_PATH()));

// Pinned when the fixture was made: if this changes, the format changed.
const GOLDEN_SHA256 = 'c48d47cb6799b948c873315392cbeb6a8765ced327c99a75f49bd0e1cced1e79';

test('the golden pack file is the one committed with format v1', () => {
  assert.equal(createHash('sha256').update(golden()).digest('hex'), GOLDEN_SHA256);
});

test('golden: decodes to exactly the content defined in the fixture', () => {
  const decoded = decodePack(golden(), { base: syntheticBase(), trustedKeys: [rawPublicKey(createPublicKey(goldenKey()))] });
  const { signature, ...rest } = decoded;
  assert.deepEqual(rest, goldenContent());
  assert.equal(signature?.publicKey.length, 32);
  assert.deepEqual(decoded.diffs.map((d) => [d.name, d.values.encoding, d.indices.length]), [
    ['l0.attn.qkv.w', 'float16', 10], ['l0.ffn.in.w', 'int8', decoded.diffs[1].indices.length], ['emb.ln.b', 'float32', 3],
  ]);
  // A few values spelled out, independent of the fixture code.
  assert.deepEqual(decoded.task.labels, ['negative', 'neutral', 'positive']);
  assert.equal(decoded.provenance.devMetrics.accuracy, 0.875);
  assert.ok(dequantize(decoded.diffs[1].values).every((v) => Number.isFinite(v) && Math.abs(v) <= 0.025 + 1e-6));
});

test('golden: encode(decode(x)) reproduces x byte for byte (signed and unsigned)', () => {
  const bytes = golden();
  const decoded = decodePack(bytes);
  assert.deepEqual(encodePack(decoded), bytes);
  const { signature: _sig, ...unsigned } = decoded;
  const plain = encodePack(unsigned);
  assert.equal(plain.length, bytes.length - 96);
  assert.deepEqual(plain, bytes.subarray(0, bytes.length - 96));
  assert.deepEqual(encodePack(decodePack(plain)), plain);
});

test('golden: a signature by a key outside the trusted list is refused', () => {
  assert.throws(() => decodePack(golden(), { trustedKeys: [new Uint8Array(32).fill(1)] }), (e: unknown) => e instanceof PackError && e.code === 'UNTRUSTED_SIGNER');
});
