/**
 * Hostile pack bodies (issue 24, defects 2 and 8): msgpackr's extensions refused before
 * anything is decoded, one encoding per content, and heads that fit the task and the base.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import { headParamShapes } from '../../src-main/model/encoder.js';
import { decodePack, encodePack, type DecodeOptions } from '../../src-main/packs/codec.js';
import { PackError, type PackErrorCode } from '../../src-main/packs/errors.js';
import type { PackContent } from '../../src-main/packs/format.js';
import { bodyOf } from '../../src-main/packs/schema.js';
import { goldenContent, seal, syntheticBase, TINY } from '../../support/pack-fixtures.js';

const packr = new Packr({ moreTypes: true, useRecords: false });

function refuses(bytes: Uint8Array, code: PackErrorCode, message: RegExp, base?: DecodeOptions['base']) {
  assert.throws(() => decodePack(bytes, { base }), (e) => e instanceof PackError && e.code === code && message.test(e.message));
}

/** The golden body with one large diff listed `times` times, as one object (the proof of concept). */
function repeatedDiff(times: number, writer: Packr): Uint8Array {
  const numel = 1000 * 1000, nnz = 20_000;
  const big = { name: 'big', dims: [1000, 1000], indices: Uint32Array.from({ length: nnz }, (_, i) => i * (numel / nnz)), values: { encoding: 'int8' as const, scale: 0.5, data: new Int8Array(nnz).fill(1) } };
  const body = bodyOf({ ...goldenContent(), diffs: [big] }) as { diffs: object[] };
  body.diffs = Array.from({ length: times }, () => body.diffs[0]);
  return writer.pack(body);
}

test('a diff referenced many times (msgpackr structured clone) is refused before decoding, whatever the count', () => {
  const cloner = new Packr({ structuredClone: true, useRecords: false, moreTypes: true });
  for (const times of [2, 1000]) {
    const body = repeatedDiff(times, cloner);
    // The references cost a few bytes each: 1000 copies of a 20,000-nonzero diff in one small file.
    assert.ok(body.length < 2 * repeatedDiff(1, packr).length);
    refuses(seal(body), 'MALFORMED', /extension .*type 0x69 \(msgpackr's structured-clone object id\)/);
  }
  // Written out in full, the same list is refused by name once its bytes are read.
  refuses(seal(repeatedDiff(3, packr)), 'DUPLICATE_TENSOR', /tensor 'big' appears twice/);
});

test('every msgpack extension type is refused, records and typed arrays included', () => {
  const records = new Packr({ useRecords: true }).pack(bodyOf(goldenContent()));
  refuses(seal(records), 'MALFORMED', /msgpackr's record definition/);
  // A Uint8Array (not a Buffer) becomes msgpackr's typed-array extension where the format says bin.
  const typed = bodyOf(goldenContent()) as { dense: { values: Uint8Array }[] };
  typed.dense[0].values = new Uint8Array(typed.dense[0].values);
  refuses(seal(packr.pack(typed)), 'MALFORMED', /type 0x74 \(msgpackr's typed array: binary fields are msgpack bin\)/);
  for (let type = 0; type < 256; type++) {
    const body = Buffer.from(packr.pack(bodyOf(goldenContent())));
    const at = body.indexOf(Buffer.from(packr.pack('golden sentiment'))); // the task name: a string value
    const ext = Buffer.from([0xd6, type, 0, 0, 0, 0]); // fixext4
    refuses(seal(Buffer.concat([body.subarray(0, at), ext, body.subarray(at + 17)])), 'MALFORMED', /the pack format defines no extension types/);
  }
});

test('a float-encoded integer or a repeated key is refused: one content has one encoding, so one id', () => {
  const body = Buffer.from(packr.pack(bodyOf(goldenContent())));
  const maxLength = Buffer.concat([packr.pack('maxLength'), packr.pack(8)]);
  const at = body.indexOf(maxLength) + maxLength.length - 1;
  const float = Buffer.alloc(9);
  float[0] = 0xcb;
  float.writeDoubleBE(8, 1);
  const other = seal(Buffer.concat([body.subarray(0, at), float, body.subarray(at + 1)]));
  assert.notDeepEqual(other.subarray(-32), seal(body).subarray(-32)); // another digest, so it would be another id
  refuses(other, 'NON_CANONICAL', /at byte \d+: 0xcb \(float64\) where the encoder writes 0x08 \(positive fixint\)/);
  // The top-level map with its 'base' entry written twice decodes to the same content.
  const first = Buffer.concat([packr.pack('base'), packr.pack((bodyOf(goldenContent()) as { base: object }).base)]);
  const repeated = Buffer.concat([Buffer.from([0xde, 0, 6]), first, body.subarray(3)]); // map16 of 6 entries, not 5
  refuses(seal(repeated), 'NON_CANONICAL', /differs from its canonical encoding/);
  assert.deepEqual(decodePack(encodePack(goldenContent())).task, goldenContent().task); // the canonical one decodes
});

test("a pack's head must fit its labels (decode) and the base's hidden size (against a loaded base)", () => {
  const c = goldenContent();
  const head = (w: number[], b: number[]) => [{ name: 'head.w', dims: w, data: new Float32Array(w[0] * w[1]) }, { name: 'head.b', dims: b, data: new Float32Array(b[0]) }];
  const sealed = (content: PackContent) => seal(packr.pack(bodyOf(content)));
  refuses(sealed({ ...c, task: { ...c.task, labels: ['no', 'yes'] } }), 'COUNT_MISMATCH', /head\.w \[8, 3\] and head\.b \[3\] do not fit the task: the 2 labels need 2 outputs/);
  refuses(sealed({ ...c, task: { ...c.task, type: 'regression', labels: [] } }), 'COUNT_MISMATCH', /a regression task has 1 output/);
  refuses(sealed({ ...c, dense: c.dense.slice(0, 1) }), 'SCHEMA', /pack\.dense must hold exactly head\.w and head\.b, got head\.w/);
  refuses(sealed({ ...c, dense: [] }), 'SCHEMA', /got none/);
  assert.throws(() => encodePack({ ...c, dense: c.dense.slice(1) }), /SCHEMA: pack\.dense must hold exactly head\.w and head\.b/);
  // Against a base that knows its head (a BaseModel does): the features must be its hidden size.
  const base = { ...syntheticBase(), headShapes: (task: { outputs: number }) => headParamShapes({ ...TINY, classes: task.outputs }) };
  assert.equal(decodePack(encodePack(c), { base }).dense.length, 2);
  refuses(encodePack({ ...c, dense: head([4, 3], [3]) }), 'SHAPE_MISMATCH', /head 'head\.w': shape \[4, 3\], this base's head for the task is \[8, 3\]/, base);
});
