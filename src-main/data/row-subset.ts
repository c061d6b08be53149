/**
 * A subset of a delimited file's rows as a file of its own: the header and the chosen
 * records copied line for line from the source, so the subset reads exactly as those rows
 * did (same quoting, same columns, GLUE's index column kept). Used to make reproducible
 * samples of the GLUE sets (scripts/sample-glue.ts).
 */
import { readFileSync } from 'node:fs';
import type { Dataset } from './dataset.js';
import { decodeText } from './decode.js';
import { DataError } from './errors.js';
import { parseDelimited } from './table.js';

/** The text of a file holding `ds`'s header and its rows at `indices` (in the order given). */
export function rowSubsetText(ds: Dataset, indices: readonly number[]): string {
  const { path, format, quoting, header } = ds.source;
  if (format !== 'tsv' && format !== 'csv') throw new DataError(path, undefined, `row subsets are made of TSV or CSV files, not ${format}`);
  const text = decodeText(readFileSync(path), path).text;
  const records = parseDelimited(text, path, { delimiter: format === 'csv' ? ',' : '\t', quoting: quoting ?? format === 'csv' });
  const data = header ? records.slice(1) : records;
  if (data.length !== ds.rows.length) throw new DataError(path, undefined, `changed since it was read (${data.length} records, ${ds.rows.length} rows before)`);
  const lines = text.split('\n');
  // A record runs from its first line up to the next record's (a quoted field may span lines).
  const linesOf = (k: number) => trimBlank(lines.slice(data[k].line - 1, (data[k + 1]?.line ?? lines.length + 1) - 1));
  const head = trimBlank(lines.slice(0, data[0].line - 1));
  for (const k of indices) if (!(Number.isInteger(k) && k >= 0 && k < data.length)) throw new RangeError(`row ${k} is not in ${path} (${data.length} rows)`);
  return [...head, ...indices.flatMap(linesOf)].join('\n') + '\n';
}

function trimBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === '') end--;
  return lines.slice(0, end);
}
