/**
 * Task type and label set from a label column.
 *
 * Type: labels written with a decimal point or exponent (STS-B's `3.800`) mean regression;
 * integers with many distinct values (> MAX_CLASSES) too; anything else is classification.
 *
 * Label order (class index = position), stable and documented: when every label is an
 * integer numeral, ascending numeric order — so GLUE's `0`/`1` stay classes 0/1 and F1's
 * positive class is `1`; otherwise code-point order of the strings, which gives GLUE's own
 * orders (RTE/QNLI: entailment, not_entailment; MNLI/SNLI: contradiction, entailment,
 * neutral) and spam after ham.
 */
import type { TaskType } from '../model/base.js';
import { DataError } from './errors.js';
import { isNumeric } from './table.js';

/** Integer-valued label columns with more distinct values than this are regression targets. */
export const MAX_CLASSES = 50;

export interface LabelValue {
  line: number;
  value: string;
}

export interface LabelInference {
  type: TaskType;
  /** Class names by index; empty for regression. */
  labels: string[];
  /** Per row: class index, or the regression target. */
  targets: number[];
}

const isIntegerLiteral = (s: string) => /^[-+]?\d+$/.test(s);

export function orderLabels(values: Iterable<string>): string[] {
  const distinct = [...new Set(values)];
  if (distinct.every(isIntegerLiteral)) return distinct.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  return distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function inferLabels(
  values: readonly LabelValue[],
  file: string,
  column: string,
  opts: { type?: TaskType; labels?: readonly string[] } = {},
): LabelInference {
  const type = opts.type ?? (opts.labels ? 'classification' : guessType(values.map((v) => v.value)));
  if (type === 'regression') {
    const targets = values.map(({ line, value }) => {
      const x = Number(value);
      if (!isNumeric(value) || !Number.isFinite(x)) throw new DataError(file, line, `label '${value}' in column '${column}' is not a number (regression task)`);
      return x;
    });
    return { type, labels: [], targets };
  }
  const labels = opts.labels ? [...opts.labels] : orderLabels(values.map((v) => v.value));
  if (!opts.labels && labels.length < 2) {
    throw new DataError(file, undefined, `column '${column}' has a single label value '${labels[0] ?? ''}': a classification task needs at least two classes (name the label column with --label-col)`);
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const targets = values.map(({ line, value }) => {
    const i = index.get(value) ?? index.get(canonicalNumber(value));
    if (i === undefined) throw new DataError(file, line, `label '${value}' in column '${column}' is not one of the task's labels (${labels.join(', ')})`);
    return i;
  });
  return { type, labels, targets };
}

function guessType(values: readonly string[]): TaskType {
  if (values.length === 0 || !values.every(isNumeric)) return 'classification';
  if (!values.every(isIntegerLiteral)) return 'regression';
  return new Set(values).size > MAX_CLASSES ? 'regression' : 'classification';
}

/** `1.0` or `+1` in an eval file still names class `1` of a task trained on integer labels. */
function canonicalNumber(value: string): string {
  return isNumeric(value) && Number.isInteger(Number(value)) ? String(Number(value)) : value;
}
