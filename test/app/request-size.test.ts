/**
 * The dev host's body limit per channel comes from the channel's schema: every channel has
 * one, it covers the largest request the schema accepts (JSON-escaped texts, base64 files),
 * and a schema with an unbounded string or array is refused rather than left unlimited.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { base64Length, CHANNELS, MAX_DATA_BYTES, MAX_INSTALL_BYTES } from '../../src-main/ipc/contract.js';
import { MAX_REQUEST_BYTES, maxJsonBytes } from '../../src-main/ipc/request-size.js';

const bound = (schema: z.ZodType) => maxJsonBytes(z.toJSONSchema(schema, { io: 'input' }) as Parameters<typeof maxJsonBytes>[0]);

test('every channel has a finite limit; channels that carry files take them whole', () => {
  for (const channel of CHANNELS) assert.ok(Number.isFinite(MAX_REQUEST_BYTES[channel]) && MAX_REQUEST_BYTES[channel] > 0, channel);
  for (const channel of ['data:inspect', 'packs:evaluate'] as const) assert.ok(MAX_REQUEST_BYTES[channel] > base64Length(MAX_DATA_BYTES), channel);
  assert.ok(MAX_REQUEST_BYTES['train:start'] > 2 * base64Length(MAX_DATA_BYTES), 'a training file and a dev file');
  assert.ok(MAX_REQUEST_BYTES['packs:install'] > base64Length(MAX_INSTALL_BYTES));
  assert.ok(MAX_REQUEST_BYTES['system:doctor'] < 64 * 1024, 'a call without arguments stays small');
});

test('the bound covers the longest JSON a schema admits', () => {
  const schema = z.strictObject({ t: z.string().max(3), n: z.number().optional(), e: z.enum(['a', 'long']), xs: z.array(z.boolean()).max(2), b: z.base64().max(8) });
  const longest = { t: '\u0001\u0001\u0001', n: -1.7976931348623157e308, e: 'long', xs: [false, false], b: 'AAAAAAA=' };
  assert.equal(schema.safeParse(longest).success, true);
  assert.ok(bound(schema) >= JSON.stringify(longest).length, `${bound(schema)} < ${JSON.stringify(longest).length}`);
  assert.ok(bound(schema) < 2 * JSON.stringify(longest).length, 'and is not wildly above it');
});

test('unbounded strings, arrays and open objects are refused', () => {
  assert.throws(() => bound(z.strictObject({ name: z.string() })), /\(args\)\.name: a string without maxLength/);
  assert.throws(() => bound(z.strictObject({ xs: z.array(z.number()) })), /\(args\)\.xs: an array without maxItems/);
  assert.throws(() => bound(z.object({ a: z.number() })), /an object that admits unknown keys/);
});
