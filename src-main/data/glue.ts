/**
 * Known GLUE files: `…/<TASK>/<split>.tsv` in the layout GLUE's download script writes.
 * The registry fixes what generic detection would have to guess — CoLA's header-less
 * columns, quoting off (MRPC and STS-B hold bare `"`), STS-B's score as a regression
 * target — and names the task's metrics. A file that does not match its entry (wrong
 * header or width) is left to generic detection rather than misread.
 */
import { basename, dirname } from 'node:path';
import type { TaskType } from '../model/base.js';
import type { GlueTask } from './glue-tasks.js';

export interface GlueLayout {
  /** Header-less files name columns by 0-based index. */
  header: boolean;
  width?: number;
  text: string | number;
  pair?: string | number;
  label: string | number;
  type: TaskType;
}

export const GLUE_LAYOUTS: Record<GlueTask, GlueLayout> = {
  CoLA: { header: false, width: 4, text: 3, label: 1, type: 'classification' },
  'SST-2': { header: true, text: 'sentence', label: 'label', type: 'classification' },
  MRPC: { header: true, text: '#1 String', pair: '#2 String', label: 'Quality', type: 'classification' },
  'STS-B': { header: true, text: 'sentence1', pair: 'sentence2', label: 'score', type: 'regression' },
  QQP: { header: true, text: 'question1', pair: 'question2', label: 'is_duplicate', type: 'classification' },
  MNLI: { header: true, text: 'sentence1', pair: 'sentence2', label: 'gold_label', type: 'classification' },
  QNLI: { header: true, text: 'question', pair: 'sentence', label: 'label', type: 'classification' },
  RTE: { header: true, text: 'sentence1', pair: 'sentence2', label: 'label', type: 'classification' },
  WNLI: { header: true, text: 'sentence1', pair: 'sentence2', label: 'label', type: 'classification' },
};

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The GLUE task a path names by its folder (`glue/SST-2/train.tsv`, `sst2/dev.tsv`), if any. */
export function glueTaskOfPath(path: string): GlueTask | undefined {
  if (!/\.tsv$/i.test(basename(path))) return undefined;
  const folder = squash(basename(dirname(path)));
  return (Object.keys(GLUE_LAYOUTS) as GlueTask[]).find((task) => squash(task) === folder);
}

/** What a layout expects, in words, for an error. */
export function layoutText(layout: GlueLayout): string {
  if (!layout.header) return `${layout.width} columns, no header`;
  return `a header naming ${[layout.text, layout.pair, layout.label].filter((c) => c !== undefined).map((c) => `'${c}'`).join(', ')}`;
}

/** Does a parsed first record fit the task's layout? */
export function matchesLayout(layout: GlueLayout, firstRecord: readonly string[]): boolean {
  if (layout.width !== undefined && firstRecord.length !== layout.width) return false;
  if (!layout.header) return true;
  const names = new Set(firstRecord.map((f) => f.trim()));
  return [layout.text, layout.pair, layout.label].every((c) => c === undefined || names.has(String(c)));
}
