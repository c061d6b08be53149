/**
 * The Bases page in real Chromium through the real services: the committed tiny BERT's
 * files picked in the page, streamed one by one to the dev host and imported (the same
 * fingerprint as `taskpack base import` of the folder); a wrong architecture, missing files
 * and mismatched shapes refused with the reason and nothing kept; removal refused while a
 * pack depends on the base (naming it), then done.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppServices } from '../../src-main/app-services.js';
import { basesDir } from '../../src-main/model/base-store.js';
import { importBertFolder } from '../../src-main/model/bert/import.js';
import { loadBase } from '../../src-main/model/registry.js';
import { PackStore } from '../../src-main/packs/store.js';
import { packFor } from '../../support/export-fixtures.js';
import { tinyBertDir } from '../../support/trainer-fixtures.js';
import { openWatchedPage, skipWithoutChromium as skip, snap, useRendererHost } from './browser.js';

const home = mkdtempSync(join(tmpdir(), 'taskpack-bases-e2e-'));
const services = createAppServices(home);
const rendererHost = useRendererHost(services);

const fixture = (name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(tinyBertDir(), name)) });
const file = (name: string, text: string) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(text) });
const config = () => JSON.parse(readFileSync(join(tinyBertDir(), 'config.json'), 'utf8'));

test('Bases page: import a Hugging Face folder with progress, refusals with reasons, removal refused while a pack depends on the base', { skip, timeout: 300_000 }, async () => {
  const { host, browser } = rendererHost();
  const { context, page, problems, violations } = await openWatchedPage(browser);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(host.url);
  await page.getByRole('button', { name: 'Bases' }).click();
  await page.getByRole('heading', { name: 'Bases' }).waitFor();
  const rows = page.locator('table.data tbody tr');
  await rows.first().getByText('converted on first use').waitFor();
  assert.equal(await rows.count(), 1, 'the shipped base only');

  const picker = page.getByLabel('Base folder files');
  const id = page.getByLabel('Base id');
  const alert = () => page.getByRole('alert').innerText();

  // Refused in the page: no weights.
  await id.fill('tiny');
  await picker.setInputFiles([fixture('config.json'), fixture('vocab.txt')]);
  assert.match(await alert(), /no weights: expected model\.safetensors or pytorch_model\.bin/);
  // Refused by the import: another architecture; weights that do not fit config.json.
  await picker.setInputFiles([file('config.json', JSON.stringify({ ...config(), model_type: 'roberta' })), fixture('model.safetensors'), fixture('vocab.txt')]);
  await page.getByText(/model_type "roberta" is not supported/).waitFor();
  await picker.setInputFiles([file('config.json', JSON.stringify({ ...config(), intermediate_size: 48 })), fixture('model.safetensors'), fixture('vocab.txt')]);
  await page.getByText(/intermediate\.dense\.weight has shape \[64, 32\], config\.json implies \[48, 32\]/).waitFor();
  await snap(page, 'bases-1-refused');
  assert.deepEqual(existsSync(basesDir(home)) ? readdirSync(basesDir(home)).filter((n) => !n.startsWith('.')) : [], [], 'nothing kept');
  assert.deepEqual(readdirSync(join(home, 'imports')), [], 'uploads removed');

  // The real folder (and a file the import does not read).
  await picker.setInputFiles([fixture('config.json'), fixture('model.safetensors'), fixture('vocab.txt'), fixture('tokenizer_config.json'), file('README.md', '# tiny')]);
  await page.getByText(/Imported “tiny” \(2 layers, [\d.]+ MiB\); not read: README\.md\./).waitFor({ timeout: 60_000 });
  const direct = importBertFolder(tinyBertDir(), mkdtempSync(join(tmpdir(), 'taskpack-bases-ref-')), { id: 'tiny' }).manifest;
  const tiny = rows.filter({ hasText: 'tiny' });
  assert.match(await tiny.innerText(), new RegExp(`tiny · ${direct.fingerprint.slice(0, 12)}…\\s+bert\\s+2\\s+${(direct.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0) / 1e6).toFixed(2)} M`));
  assert.equal(await tiny.locator('.sub').getAttribute('title'), `fingerprint ${direct.fingerprint}`, 'the same weights as the CLI import');
  assert.match(await tiny.innerText(), /^tiny\s/, 'named by its id');
  await snap(page, 'bases-2-imported');

  // A pack on it: removal refused, naming the pack; then allowed once it is gone.
  const store = new PackStore(home);
  const pack = store.install(packFor(loadBase(home, 'tiny'), { name: 'tiny sentiment', type: 'classification', labels: ['neg', 'pos'], pair: false, encoding: 'int8', seed: 9 })).entry;
  await tiny.getByRole('button', { name: 'Remove' }).click();
  assert.match(await alert(), new RegExp(`base 'tiny' is used by 1 installed pack: 'tiny sentiment' \\(${pack.id}\\); uninstall it first`));
  assert.ok(existsSync(join(basesDir(home), 'tiny')));
  await tiny.getByText('tiny sentiment').waitFor();
  await snap(page, 'bases-3-remove-refused');
  store.uninstall(pack.id);
  await tiny.getByRole('button', { name: 'Remove' }).click();
  await page.getByText('Removed the base “tiny”.').waitFor();
  assert.equal(existsSync(join(basesDir(home), 'tiny')), false);
  assert.equal(await rows.count(), 1);

  assert.deepEqual(problems.filter((p) => !/status of 500/.test(p)), []);
  assert.deepEqual(await violations(), []);
  await context.close();
  await services.close?.();
});
