/** zipFolder: every file of the folder under one root, byte for byte (read back with fflate's unzip), an empty file included. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { unzipSync } from 'fflate';
import { zipFolder } from '../../src-main/export/zip-folder.js';
import { Rng } from '../../src-main/util/rng.js';

test('a folder zipped under its root: names, bytes (a file spanning several 1 MiB chunks, an empty one), the size returned', () => {
  const work = mkdtempSync(join(tmpdir(), 'taskpack-zip-'));
  const dir = join(work, 'model');
  mkdirSync(dir);
  const rng = new Rng(1);
  const big = Uint8Array.from({ length: 2.5 * 2 ** 20 }, () => rng.int(256));
  writeFileSync(join(dir, 'model.onnx'), big);
  writeFileSync(join(dir, 'config.json'), '{"id2label": {"0": "négatif"}}');
  writeFileSync(join(dir, 'empty.txt'), '');
  mkdirSync(join(dir, 'sub')); // not a file: left out
  const target = join(work, 'out', 'm.zip');
  const size = zipFolder(dir, target, 'task-onnx');
  const bytes = readFileSync(target);
  assert.equal(size, bytes.length);
  const entries = unzipSync(new Uint8Array(bytes));
  assert.deepEqual(Object.keys(entries).sort(), ['task-onnx/config.json', 'task-onnx/empty.txt', 'task-onnx/model.onnx']);
  assert.deepEqual(entries['task-onnx/model.onnx'], big);
  assert.equal(Buffer.from(entries['task-onnx/config.json']).toString('utf8'), '{"id2label": {"0": "négatif"}}');
  assert.equal(entries['task-onnx/empty.txt'].length, 0);
  assert.deepEqual(readdirSync(join(work, 'out')), ['m.zip'], 'no temp file left');
});
