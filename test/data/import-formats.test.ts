/**
 * Generic formats and malformed input on small fixtures written here: column mapping by
 * name and index, header and quoting detection, encodings, and a specific DataError
 * (file, line, reason) for each kind of bad input.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { importDataset, type ImportOptions } from '../../src-main/data/dataset.js';
import { DataError } from '../../src-main/data/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'taskpack-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function rejects(path: string, line: number | undefined, reason: RegExp, opts: ImportOptions = {}): void {
  assert.throws(() => importDataset(path, opts), (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    assert.equal(e.line, line, `line of: ${e.message}`);
    assert.match(e.reason, reason);
    assert.ok(e.message.startsWith(e.file) && e.file.length > 0, 'the message names the file');
    return true;
  });
}

test('CSV with a header: RFC quoting (commas, doubled quotes, a newline in a field), names chosen by header', () => {
  const ds = importDataset(fixture('reviews.csv', 'id,review,sentiment\n1,"Good, really ""good""",pos\n2,"two\nlines",neg\n3,plain,pos\n'));
  assert.deepEqual(ds.columns, { text: 'review', label: 'sentiment' });
  assert.deepEqual(ds.rows.map((r) => r.text), ['Good, really "good"', 'two\nlines', 'plain']);
  assert.deepEqual(ds.labels, ['neg', 'pos']);
  assert.equal(ds.source.quoting, true);
});

test('column mapping: --text-col/--pair-col/--label-col by name or 0-based index; --pair-col none', () => {
  const csv = fixture('pairs.csv', 'a,b,c,d\nx1,y1,1,first one\nx2,y2,0,second one\n');
  const ds = importDataset(csv, { textCol: 'd', pairCol: 0, labelCol: '2' });
  assert.deepEqual(ds.columns, { text: 'd', pair: 'a', label: 'c' });
  assert.deepEqual(ds.rows[0], { text: 'first one', pair: 'x1', label: 1 });
  const noPair = importDataset(fixture('qnli-like.tsv', 'question\tsentence\tlabel\nq1?\ts1.\tyes\nq2?\ts2.\tno\n'), { pairCol: 'none' });
  assert.deepEqual(noPair.columns, { text: 'question', label: 'label' });
  rejects(csv, undefined, /--label-col 'score': no such column \(columns: 'a', 'b', 'c', 'd'\)/, { labelCol: 'score' });
  rejects(csv, undefined, /--text-col 9: no such column/, { textCol: 9 });
  rejects(csv, undefined, /must be different columns/, { textCol: 'c', labelCol: 'c' });
});

test('header detection: a header-less TSV is read from its first line, by statistics', () => {
  const ds = importDataset(fixture('nohead.tsv', 'ham\tSee you at six\nspam\tWin a prize now\nham\tOk\n'));
  assert.equal(ds.source.header, false);
  assert.equal(ds.rows.length, 3);
  assert.deepEqual(ds.columns, { text: '1', label: '0' });
  const withHead = importDataset(fixture('head.tsv', 'label\tmessage\nspam\tWin a prize now\nham\tSee you at six\n'));
  assert.equal(withHead.source.header, true);
  assert.equal(withHead.rows.length, 2);
  assert.equal(importDataset(fixture('forced.tsv', 'label\tmessage\nspam\tWin\nham\tSee\n'), { header: false, labelCol: 0 }).rows.length, 3);
});

test('GLUE layouts: one asked for by name must fit the file, naming what it expects; one a folder suggests is only a guess', () => {
  const cola = 'gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\ngj04\t0\t*\tThe more books I ask to whom he will give.\n';
  const asked = importDataset(fixture('held-out/dev.tsv', cola), { glue: 'CoLA' });
  assert.deepEqual([asked.source.glue, asked.source.header, asked.columns, asked.rows.length], ['CoLA', false, { text: '3', label: '1' }, 2]);
  rejects(fixture('held-out/pairs.tsv', 'sentence1\tsentence2\tscore\na\tb\t1.0\nc\td\t2.5\n'), 1, /not in GLUE RTE's layout \(a header naming 'sentence1', 'sentence2', 'label'\)/, { glue: 'RTE' });
  rejects(fixture('held-out/sst.tsv', 'sentence\tlabel\ngood\t1\nbad\t0\n'), 1, /not in GLUE CoLA's layout \(4 columns, no header\)/, { glue: 'CoLA' });
  // Under a folder named CoLA a file of another shape is read as found.
  const guessed = importDataset(fixture('CoLA/extra.tsv', 'sentence\tlabel\ngood\t1\nbad\t0\n'));
  assert.deepEqual([guessed.source.glue, guessed.columns], [undefined, { text: 'sentence', label: 'label' }]);
});

test('TSV quoting: honoured when every quoted field is complete, off when a quote is bare', () => {
  const quoted = importDataset(fixture('quoted.tsv', 'text\tlabel\n"He said ""hi"""\t1\n"plain"\t0\n'));
  assert.equal(quoted.source.quoting, true);
  assert.equal(quoted.rows[0].text, 'He said "hi"');
  const bare = importDataset(fixture('bare.tsv', 'text\tlabel\n"He said hi\t1\nsaid "yes" twice\t0\n'));
  assert.equal(bare.source.quoting, false);
  assert.deepEqual(bare.rows.map((r) => r.text), ['"He said hi', 'said "yes" twice']);
});

test('JSONL: keys are columns; numbers, booleans and strings as labels', () => {
  const ds = importDataset(fixture('data.jsonl', '{"text":"a b","premise":"p","stars":4.5}\n\n{"text":"c","premise":"q","stars":1}\n'), { pairCol: 'premise' });
  assert.deepEqual(ds.task, { type: 'regression', outputs: 1, pair: true });
  assert.deepEqual(ds.rows, [{ text: 'a b', pair: 'p', label: 4.5 }, { text: 'c', pair: 'q', label: 1 }]);
  assert.equal(importDataset(fixture('records', '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n')).source.format, 'jsonl', 'sniffed without an extension');
  assert.equal(importDataset(fixture('questions', 'DESC:def What is a dog ?\nNUM:date When ?\n')).source.format, 'trec');
  assert.equal(importDataset(fixture('tabbed', 'a b\tx\nc d\ty\ne f\tx\n')).source.format, 'tsv');
  const bools = importDataset(fixture('bools.ndjson', '{"sentence":"yes","label":true}\n{"sentence":"no","label":false}\n'));
  assert.deepEqual(bools.labels, ['false', 'true']);
});

test('labels: integer classes ascending (10 after 9), many integer values mean regression, a fixed label set for dev files', () => {
  const ints = importDataset(fixture('ints.csv', 'text,label\na,10\nb,9\nc,2\n'));
  assert.deepEqual(ints.labels, ['2', '9', '10']);
  assert.deepEqual(ints.rows.map((r) => r.label), [2, 1, 0]);
  const many = importDataset(fixture('many.csv', 'text,label\n' + Array.from({ length: 60 }, (_, i) => `t${i},${i}`).join('\n')));
  assert.equal(many.task.type, 'regression');
  const dev = importDataset(fixture('dev.csv', 'text,label\na,1.0\nb,0\n'), { labels: ['0', '1'] });
  assert.deepEqual(dev.rows.map((r) => r.label), [1, 0], '`1.0` names class `1`');
  rejects(fixture('dev2.csv', 'text,label\na,1\nb,2\n'), 3, /label '2' in column 'label' is not one of the task's labels \(0, 1\)/, { labels: ['0', '1'] });
});

test('encodings: UTF-8 with BOM, UTF-16LE with BOM, ISO-8859-1 fallback, CRLF line ends', () => {
  const bom = importDataset(fixture('bom.csv', '\ufefftext,label\ncafé,1\nthé,0\n'));
  assert.equal(bom.columns.text, 'text', 'the BOM is not part of the first header name');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('text\tlabel\r\nnaïve\t1\r\nok\t0\r\n', 'utf16le')]);
  const u16 = importDataset(fixture('u16.tsv', utf16));
  assert.equal(u16.source.encoding, 'utf-16le');
  assert.deepEqual(u16.rows.map((r) => r.text), ['naïve', 'ok']);
  const latin = importDataset(fixture('latin.tsv', Buffer.from('text\tlabel\ncaf\xe9 cr\xe8me\t1\nplain\t0\n', 'latin1')));
  assert.equal(latin.source.encoding, 'iso-8859-1');
  assert.equal(latin.rows[0].text, 'café crème');
  assert.equal(importDataset(fixture('crlf.tsv', 'text\tlabel\r\nx\t1\r\ny\t0\r\n')).rows[1].text, 'y');
});

test('fingerprint: SHA-256 of the normalised rows, independent of label order and file layout', () => {
  const a = importDataset(fixture('fa.tsv', 'text\tlabel\nx \tpos\ny\tneg\n'));
  const b = importDataset(fixture('fb.jsonl', '{"label":"pos","text":"x"}\n{"label":"neg","text":" y"}\n'));
  const c = importDataset(fixture('fc.tsv', 'text\tlabel\nx\tneg\ny\tpos\n'));
  assert.equal(a.fingerprint, b.fingerprint);
  assert.notEqual(a.fingerprint, c.fingerprint);
});

test('malformed: wrong column count names the line', () => {
  rejects(fixture('cols.tsv', 'sentence\tlabel\ngood\t1\nbad\t0\textra\n'), 3, /expected 2 tab-separated columns \(as the header\), found 3/);
  rejects(fixture('cols.csv', 'a,b,c\n1,2,3\n\n4,5\n'), 4, /expected 3 comma-separated columns \(as the header\), found 2/);
  // After quoted fields spanning CRLF lines (csv-parse counts each \r\n in them twice).
  rejects(fixture('crlf.csv', 'a,b,c\r\n"x\r\ny",1,2\r\n"p\r\nq\r\nr",3,4\r\n5,6\r\n'), 7, /expected 3 comma-separated columns \(as the header\), found 2/);
});

test('malformed: empty text or label names the line and column', () => {
  rejects(fixture('empty.tsv', 'sentence\tlabel\ngood\t1\n   \t0\n'), 3, /empty text in column 'sentence'/);
  rejects(fixture('nolabel.csv', 'text,label\na,1\nb,\n'), 3, /empty label in column 'label'/);
});

test('malformed: an unparsable regression label', () => {
  rejects(fixture('STS-B/dev.tsv', 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tg\tf\t2012\t1\tn\tn\tA.\tB.\t4.2\n1\tg\tf\t2012\t2\tn\tn\tC.\tD.\tfour\n'),
    3, /label 'four' in column 'score' is not a number \(regression task\)/);
  rejects(fixture('reg.csv', 'text,score\na,1.5\nb,n/a\n'), 3, /label 'n\/a' in column 'score' is not a number/, { taskType: 'regression' });
});

test('malformed: parallel files of different lengths', () => {
  fixture('nli/s1.test', 'p1\np2\np3\n');
  fixture('nli/s2.test', 'h1\nh2\n');
  fixture('nli/labels.test', 'entailment\nneutral\ncontradiction\n');
  rejects(join(dir, 'nli', 's1.test'), 3, /parallel files differ in length \(s1.test: 3, s2.test: 2, labels.test: 3 lines\): s2.test ends first/);
  fixture('nli2/s1.x', 'p1\n\np3\n');
  fixture('nli2/s2.x', 'h1\nh2\nh3\n');
  fixture('nli2/labels.x', 'a\nb\na\n');
  assert.throws(() => importDataset(join(dir, 'nli2')), (e: unknown) => e instanceof DataError && e.line === 2 && e.file.endsWith('s1.x') && /empty text/.test(e.reason));
});

test('malformed: binary files are refused', () => {
  rejects(fixture('model.bin', Buffer.from([0x74, 0x65, 0x78, 0x74, 0x0a, 0x61, 0x00, 0x01, 0x02])), 2, /binary file \(NUL byte\)/);
  rejects(fixture('data.tsv.gz', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00])), undefined, /binary file \(a gzip archive\)/);
  rejects(fixture('sheet.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00])), undefined, /binary file \(a zip archive/);
});

test('malformed: JSONL, CSV quoting, TREC lines, labels, empty and missing files', () => {
  rejects(fixture('bad.jsonl', '{"text":"a","label":1}\n{"text":"b","label":\n'), 2, /invalid JSON/);
  rejects(fixture('arr.jsonl', '{"text":"a","label":1}\n["b",0]\n'), 2, /expected a JSON object per line/);
  rejects(fixture('nest.jsonl', '{"text":"a","label":{"x":1}}\n'), 1, /field 'label' holds an object/);
  rejects(fixture('open.csv', 'text,label\na,1\n"never closed,0\n'), 3, /cannot parse CSV: Quote Not Closed/);
  rejects(fixture('q.label', 'DESC:manner How ?\nENTY:animal What ?\nwhat is this\n'), 3, /expected 'COARSE:fine question' \(TREC format\)/, { format: 'trec' });
  rejects(fixture('one.csv', 'text,label\na,x\nb,x\n'), undefined, /single label value 'x': a classification task needs at least two classes/);
  rejects(fixture('blank.tsv', '\n\n'), undefined, /the file is empty/);
  rejects(fixture('onlyhead.csv', 'text,label\n'), undefined, /no data rows/, { header: true });
  rejects(join(dir, 'missing.tsv'), undefined, /cannot read: ENOENT/);
  rejects(fixture('prose.txt', 'just some prose\nwith no structure\n'), undefined, /cannot detect the format/);
});

test('limits (issue 24): a new JSONL key per line, sparse JSONL and very wide CSVs are refused at once, naming why', () => {
  // The issue's pathological inputs, small: each would pad every record to every key (quadratic).
  const keyPerLine = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ text: 'a fine film', label: i % 2, [`k${i}`]: 1 })).join('\n');
  rejects(fixture('key-per-line.jsonl', keyPerLine), 1023, /^key 'k1022' would be column 1025: a file has at most 1024 columns \(distinct keys\)$/);
  const keys = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'x']));
  const sparse = [JSON.stringify({ text: 'a', label: 0, ...keys }), ...Array.from({ length: 20_000 }, (_, i) => `{"k999":"${i % 2}"}`)].join('\n');
  rejects(fixture('sparse.jsonl', sparse), undefined, /^1002 distinct keys over 20001 lines, most lines lacking most of them \(20041002 fields for a \d+-character file\)/);
  // Many same-named columns (every one a text name): refused by count, before any per-column work.
  const wide = [`${Array(5000).fill('text').join(',')},label`, `${Array(5000).fill('a b').join(',')},1`, `${Array(5000).fill('c d').join(',')},0`].join('\n');
  rejects(fixture('wide.csv', wide), 1, /^5001 columns \(a file has at most 1024\)$/);
  // At the limit they import, the label found among 1023 text-named columns.
  const atLimit = [Array(1023).fill('text').join(',') + ',y2', ...Array.from({ length: 8 }, (_, r) => `${Array(1023).fill(`w${r}`).join(',')},${r % 2}`)].join('\n');
  assert.deepEqual(importDataset(fixture('at-limit.csv', atLimit)).columns, { text: 'text', label: 'y2' });
});

test('importing reads only: the fixture folder is unchanged by failures', () => {
  const before = readdirSync(dir, { recursive: true }).sort();
  assert.throws(() => importDataset(join(dir, 'cols.tsv')));
  assert.deepEqual(readdirSync(dir, { recursive: true }).sort(), before);
});

test('property: rows written as TSV, CSV and JSONL import back identically, with one fingerprint', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', "'", 'é', '€', '1', '.'), minLength: 1, maxLength: 12 })
    .filter((t) => t.trim() !== '');
  const rows = fc.array(fc.record({ text, label: fc.constantFrom('neg', 'pos', 'neutral') }), { minLength: 2, maxLength: 20 })
    .filter((rs) => new Set(rs.map((r) => r.label)).size >= 2);
  const csvField = (v: string) => `"${v.replace(/"/g, '""')}"`;
  let n = 0;
  fc.assert(fc.property(rows, (rs) => {
    n++;
    const tsv = importDataset(fixture(`rt${n}.tsv`, `text\tlabel\n${rs.map((r) => `${r.text}\t${r.label}`).join('\n')}\n`), { quoting: false });
    const csv = importDataset(fixture(`rt${n}.csv`, `text,label\r\n${rs.map((r) => `${csvField(r.text)},${r.label}`).join('\r\n')}`));
    const jsonl = importDataset(fixture(`rt${n}.jsonl`, rs.map((r) => JSON.stringify(r)).join('\n')));
    const expected = rs.map((r) => ({ text: r.text.trim(), label: r.label }));
    for (const ds of [tsv, csv, jsonl]) {
      assert.deepEqual(ds.rows.map((r) => ({ text: r.text, label: ds.labels[r.label] })), expected, ds.source.format);
      assert.equal(ds.fingerprint, tsv.fingerprint);
    }
  }), { numRuns: 60 });
});
