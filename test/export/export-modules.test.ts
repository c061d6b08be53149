/**
 * `taskpack export-model` of module packs (issue 27): a LoRA pack exports merged (on USE-lite's
 * fused QKV), an adapter pack as ONNX with its adapter layers in the graph; both give the
 * app's own logits within 1e-5 in a fresh onnxruntime session. A Hugging Face BERT folder
 * cannot hold adapters: that export is refused and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { exportModel } from '../../src-main/export/export-model.js';
import type { BaseModel, TaskSpec } from '../../src-main/model/base.js';
import type { ModuleSpec } from '../../src-main/model/modules.js';
import { loadBase } from '../../src-main/model/registry.js';
import { encodePack } from '../../src-main/packs/codec.js';
import { PackStore } from '../../src-main/packs/store.js';
import { appScores, exportedLogits, maxAbsDiff, ROWS } from '../../support/export-fixtures.js';
import { moduleContent } from '../../support/pack-fixtures.js';
import { tinyBert } from '../../support/trainer-fixtures.js';

const TASK: TaskSpec = { type: 'classification', outputs: 2, pair: false };
let home: string;
const ids: Record<string, string> = {};

before(() => {
  ({ home } = tinyBert(mkdtempSync(join(tmpdir(), 'taskpack-export-modules-'))));
  const store = new PackStore(home);
  // Each pack with a twin at its initialisation (same head; LoRA's B zero, adapters near the identity).
  const install = (key: string, base: BaseModel, spec: ModuleSpec) => {
    for (const [k, scale] of [[key, 0.3], [`${key} at init`, 0]] as const) {
      ids[k] = store.install(encodePack(moduleContent(spec, { base, headShapes: base.headShapes(TASK), seed: 9, scale }))).entry.id;
    }
  };
  install('use-lite lora', loadBase(home), { kind: 'lora', rank: 4, alpha: 8, targets: 'qv' });
  install('bert houlsby', loadBase(home, 'tiny'), { kind: 'adapter', variant: 'houlsby', bottleneck: 4 });
  install('bert lora', loadBase(home, 'tiny'), { kind: 'lora', rank: 2, alpha: 4, targets: 'all' });
});

const outDir = (name: string) => join(mkdtempSync(join(tmpdir(), 'taskpack-export-out-')), name);

for (const key of ['use-lite lora', 'bert houlsby', 'bert lora']) {
  test(`ONNX export of a module pack (${key}) gives the app's logits within 1e-5`, async () => {
    const dir = outDir('model');
    exportModel(home, ids[key], 'onnx', dir);
    const app = await appScores(home, new PackStore(home).read(ids[key]).bytes, ROWS);
    const got = await exportedLogits(dir, app.base, app.task, app.maxLength);
    const diff = maxAbsDiff(got.logits, app.scores);
    assert.ok(diff <= 1e-5, `max |Δlogit| ${diff}`);
    // The trained module matters: its twin at initialisation (same head) answers otherwise, so the check above can fail.
    const init = await appScores(home, new PackStore(home).read(ids[`${key} at init`]).bytes, ROWS);
    assert.ok(maxAbsDiff(got.logits, init.scores) > 1e-3, `${key}: the export equals the pack at initialisation`);
  });
}

test('an adapter pack is refused as a Hugging Face folder, and nothing is written', () => {
  const dir = outDir('hf');
  assert.throws(() => exportModel(home, ids['bert houlsby'], 'safetensors', dir), /“adapter task” is an adapter pack: a Hugging Face BERT folder has no adapter layers \(export it as ONNX\)/);
  assert.equal(existsSync(dir), false);
  // LoRA merges into BERT's weights, so its folder exports.
  exportModel(home, ids['bert lora'], 'safetensors', outDir('hf-lora'));
});
