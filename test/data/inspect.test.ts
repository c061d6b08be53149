/** The wizard's data preview: read as training will read the file, overrides applied, errors naming the user's file. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { previewData } from '../../src-main/data/inspect.js';
import { withUploadedFile } from '../../src-main/data/uploaded.js';
import { dataDir } from '../../support/trainer-fixtures.js';

const bytes = (text: string) => new TextEncoder().encode(text);
// The quotes are TSV quoting (detected), not part of the text.
const REVIEWS = 'review\tsource\tstars\n"Great fun"\tweb\t5\nDull and slow\tweb\t1\nGood, not great\tshop\t4\nAwful\tshop\t1\n';

test('preview: columns, the chosen ones, labels with counts and a sample; overrides re-read it', async () => {
  // Two few-valued columns: the importer takes 'source' for the label, which is why the wizard lets the user choose.
  const p = await withUploadedFile('reviews.tsv', bytes(REVIEWS), (path) => previewData(path));
  assert.deepEqual({ ...p, sample: p.sample.slice(0, 2) }, {
    format: 'tsv', encoding: 'utf-8', encodingNote: null, header: true, glue: null, columns: ['review', 'source', 'stars'],
    chosen: { text: 'review', pair: null, label: 'source' }, taskType: 'classification', labels: ['shop', 'web'], rows: 4,
    counts: { shop: 2, web: 2 }, sample: [{ text: 'Great fun', pair: null, label: 'web' }, { text: 'Dull and slow', pair: null, label: 'web' }],
  });
  const stars = await withUploadedFile('reviews.tsv', bytes(REVIEWS), (path) => previewData(path, { labelCol: 'stars', pairCol: 'none' }));
  assert.deepEqual([stars.chosen.label, stars.labels, stars.counts], ['stars', ['1', '4', '5'], { 1: 2, 4: 1, 5: 1 }]);
  const regression = await withUploadedFile('reviews.tsv', bytes(REVIEWS), (path) => previewData(path, { labelCol: 'stars', taskType: 'regression' }));
  assert.deepEqual([regression.taskType, regression.labels, regression.counts, regression.sample.map((r) => r.label)], ['regression', [], {}, ['5', '1', '4', '1']]);
});

test('one byte that is not UTF-8 switches the file to ISO-8859-1: the preview says so, and where', async () => {
  // UTF-8 everywhere ('Schöne' is two bytes for ö) but one stray Latin-1 0xe9 on line 4.
  const mixed = Buffer.concat([Buffer.from('review\tstars\nSchöne Grüße\t5\nDull\t1\n'), Buffer.from('Caf\xe9 ok\t4\nAwful\t1\n', 'latin1')]);
  const p = await withUploadedFile('mixed.tsv', new Uint8Array(mixed), (path) => previewData(path, { labelCol: 'stars' }));
  assert.equal(p.encoding, 'iso-8859-1');
  assert.match(p.encodingNote ?? '', /^line 4 is not valid UTF-8, so the whole file was read as ISO-8859-1 \(Latin-1\): its non-ASCII characters may be wrong/);
  assert.equal(p.sample[0].text, 'SchÃ¶ne GrÃ¼Ã\x9fe', 'what the fallback did to the valid UTF-8 lines');
});

test('a file that cannot be read: the reason, with the user\'s file name and line', async () => {
  await assert.rejects(withUploadedFile('my reviews.tsv', bytes('review\tstars\nfine\t5\nno stars\n'), (path) => previewData(path)),
    { message: 'my reviews.tsv:3: expected 2 tab-separated columns (as the header), found 1' });
  await assert.rejects(withUploadedFile('empty.csv', bytes('  \n'), (path) => previewData(path)), { message: 'empty.csv: the file is empty' });
});

const cola = join(dataDir(), 'glue', 'CoLA', 'train.tsv');
test('CoLA\'s header-less training file with the GLUE layout chosen', { skip: existsSync(cola) ? false : `${cola} not found (set TASKPACK_DATA)` }, async () => {
  const p = await withUploadedFile('train.tsv', new Uint8Array(readFileSync(cola)), (path) => previewData(path, { glue: 'CoLA' }));
  assert.deepEqual([p.header, p.glue, p.columns, p.chosen, p.labels, p.rows], [false, 'CoLA', ['0', '1', '2', '3'], { text: '3', pair: null, label: '1' }, ['0', '1'], 8551]);
  assert.equal(p.counts['0'] + p.counts['1'], 8551);
});
