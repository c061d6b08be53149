/**
 * The Task packs page's anatomy and trust settings in real Chromium against the dev host
 * with the real services over a home holding the tiny BERT fixture (imported for real):
 * two packs built over that base with known nonzero positions (one signed) are installed
 * from the page; the heatmap shows each cell's count, the comparison the overlap computed
 * here independently; keys are added (a bad one refused, nothing written), the "only
 * signed packs" switch set, a key removed, and each pack's signature state follows, with
 * trusted-keys.json on disk as it should be. Screenshots: TASKPACK_SCREENSHOT_DIR.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAppServices } from '../../src-main/app-services.js';
import type { BaseModel } from '../../src-main/model/base.js';
import { encodePack, rawPublicKey } from '../../src-main/packs/codec.js';
import type { WeightTensor } from '../../src-main/model/weights.js';
import { sparseDiffFromDense } from '../../src-main/packs/sparse.js';
import { packsDir } from '../../src-main/packs/store.js';
import { keyFingerprint } from '../../src-main/packs/trust.js';
import { tinyBert } from '../../support/trainer-fixtures.js';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';

const { home, base } = tinyBert();
const services = createAppServices(home);
const rendererHost = useRendererHost(services);
after(async () => {
  await services.close?.();
  rmSync(home, { recursive: true, force: true });
});

const range = (n: number, step = 1, from = 0) => Array.from({ length: n }, (_, i) => from + i * step);
// Known positions: A and B share the 20 even positions below 40 of layer 0's query weight, nothing else.
const A = { 'emb.tok': range(20, 5), 'l0.attn.q.w': range(40, 2), 'l0.attn.q.b': range(5), 'l1.ffn.in.w': range(60) };
const B = { 'l0.attn.q.w': range(40), 'l1.ffn.out.w': range(30, 3), 'pool.w': range(10, 7) };

/** A pack over `base` whose nonzeros sit exactly at `picks`. */
function packFile(model: BaseModel, name: string, picks: Record<string, number[]>, signWith?: KeyObject) {
  const tuned = new Map<string, WeightTensor>();
  for (const [tensor, indices] of Object.entries(picks)) {
    const t = model.weights.get(tensor)!;
    const data = Float32Array.from(t.data);
    indices.forEach((i, k) => (data[i] += 0.01 * (k + 1)));
    tuned.set(tensor, { dims: t.dims, data });
  }
  const { diffs } = sparseDiffFromDense(model.weights, tuned);
  const hidden = model.embeddingDim;
  const bytes = encodePack({
    base: { id: model.id, fingerprint: model.fingerprint },
    task: { name, description: '', type: 'classification', labels: ['negative', 'positive'], inputColumns: ['sentence'], maxLength: 16, tokenizer: 'tiny', appVersion: '0.1.0', createdAt: '2026-12-06T12:00:00.000Z' },
    provenance: { method: 'diff', hyperParameters: {}, trainingData: '0'.repeat(64), devMetrics: { accuracy: 0.75 } },
    kind: 'diff', diffs, modules: [], dense: [{ name: 'head.w', dims: [hidden, 2], data: new Float32Array(hidden * 2) }, { name: 'head.b', dims: [2], data: new Float32Array(2) }],
  }, signWith ? { signWith } : {});
  return { name: `${name.replace(/\s+/g, '-')}.taskpack`, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) };
}

test('task packs in Chromium, real services: anatomy heatmap, two packs compared, trust settings and signature states', { skip, timeout: 180_000 }, async () => {
  const key = generateKeyPairSync('ed25519');
  const publicKey = Buffer.from(rawPublicKey(key.publicKey)).toString('base64');
  const fingerprint = keyFingerprint(publicKey);
  const trustFile = join(packsDir(home), 'trusted-keys.json');

  const { host, browser } = rendererHost();
  const { context, page, requests, problems, violations } = await openWatchedPage(browser);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Task packs' }).click();
  const picker = page.getByLabel('Task pack file');
  await picker.setInputFiles(packFile(base, 'sentiment A', A, key.privateKey));
  await page.getByText('Installed “sentiment A”.').waitFor();
  await picker.setInputFiles(packFile(base, 'topic B', B));
  await page.getByText('Installed “topic B”.').waitFor();
  const rows = page.locator('table.data tbody tr');
  const sig = (i: number) => rows.nth(i).locator('.sig').innerText();
  assert.deepEqual([await sig(0), await sig(1)], ['signed, unchecked', 'unsigned']);

  // The heatmap: each known count in its row and column; the rest empty.
  await rows.nth(0).getByRole('button', { name: 'Anatomy' }).click();
  const heatmap = page.getByRole('table', { name: 'Where the nonzeros sit' });
  await heatmap.waitFor();
  const columns = (await heatmap.locator('thead th').allInnerTexts()).map((s) => s.trim());
  assert.deepEqual(columns, ['', 'embeddings', 'attn q', 'attn k', 'attn v', 'attn out', 'ffn in', 'ffn out', 'pooler', 'layer norm', 'bias', 'share']);
  const cells = async (row: string) => (await heatmap.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: row, exact: true }) }).locator('td').allInnerTexts()).map((s) => s.trim());
  assert.deepEqual(await cells('embeddings'), ['20', '', '', '', '', '', '', '', '', '', '16.0 %']);
  assert.deepEqual(await cells('layer 0'), ['', '40', '', '', '', '', '', '', '', '5', '36.0 %']);
  assert.deepEqual(await cells('layer 1'), ['', '', '', '', '', '60', '', '', '', '', '48.0 %']);
  assert.deepEqual(await cells('pooler'), ['', '', '', '', '', '', '', '', '', '', '0.0 %']);
  await page.getByText(/125 nonzeros; darker cells hold more.*head's 66 dense parameters/).waitFor();
  await snap(page, 'anatomy-1-heatmap');

  // Compare with B: the overlap as counted here, in a sentence and per layer.
  await page.getByLabel('Compare with').selectOption({ label: 'topic B (diff)' });
  const shared = 20, union = 125 + 80 - shared;
  await page.getByRole('status').filter({ hasText: 'share 20 positions' }).waitFor();
  const sentence = await page.getByRole('status').filter({ hasText: 'share 20 positions' }).innerText();
  assert.match(sentence, /sentiment A and topic B share 20 positions: 16\.0 % of the first's 125 nonzeros and 25\.0 % of the second's 80/);
  assert.match(sentence, new RegExp(`Jaccard index ${(shared / union).toFixed(3)}`));
  const chart = (await page.getByRole('list', { name: 'Overlap per layer' }).locator('li').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
  assert.deepEqual(chart, ['embeddings 0', 'layer 0 20', 'layer 1 0', 'pooler 0']);
  await snap(page, 'anatomy-2-compared');

  // Trust: a bad key is refused and nothing is written; a good one is listed with its fingerprint and A becomes trusted.
  const trust = page.getByRole('region', { name: 'Signing keys' });
  await trust.getByLabel('Name').fill('release key');
  await trust.getByLabel('Public key').fill(publicKey.slice(0, 30));
  await trust.getByRole('button', { name: 'Trust this key' }).click();
  await trust.getByRole('alert').filter({ hasText: 'a public key is the base64 of 32 bytes' }).waitFor();
  assert.equal(existsSync(trustFile), false, 'nothing written for a bad key');
  await trust.getByLabel('Public key').fill(publicKey);
  await trust.getByRole('button', { name: 'Trust this key' }).click();
  await trust.getByText('Packs signed by “release key” are trusted now.').waitFor();
  assert.deepEqual((await trust.getByRole('table', { name: 'Trusted keys' }).locator('tbody tr').allInnerTexts()).map((s) => s.split('\t').slice(0, 2).map((x) => x.trim())), [['release key', fingerprint]]);
  await rows.nth(0).locator('.sig', { hasText: 'signed · release key' }).waitFor();
  assert.equal(await sig(1), 'unsigned');

  // Only signed packs: the switch is written to disk, and the page warns about the unsigned pack installed already.
  await trust.getByLabel('Only install signed packs').check();
  await trust.getByText('1 installed pack is unsigned and will not activate while this is on.').waitFor();
  assert.deepEqual(JSON.parse(readFileSync(trustFile, 'utf8')), { keys: [{ name: 'release key', publicKey }], requireSignature: true });
  await snap(page, 'anatomy-3-trust');

  // Removing the key: A's signer is no longer trusted.
  await trust.getByRole('button', { name: 'Remove' }).click();
  await trust.getByText('Removed “release key”: packs it signed are no longer trusted.').waitFor();
  await rows.nth(0).locator('.sig', { hasText: 'untrusted signer' }).waitFor();
  assert.deepEqual(JSON.parse(readFileSync(trustFile, 'utf8')), { keys: [], requireSignature: true });
  await trust.getByLabel('Only install signed packs').uncheck();
  await trust.getByText('Unsigned packs install again.').waitFor();

  assert.deepEqual(await violations(), [], 'no CSP violation (the heatmap and bars are styled through the CSSOM)');
  assert.deepEqual(problems.filter((p) => !/status of 500/.test(p)), [], 'no page error (the refused key answers 500)');
  assert.deepEqual(requests.filter((url) => new URL(url).hostname !== '127.0.0.1'), [], 'no request left loopback');
  await context.close();
});
