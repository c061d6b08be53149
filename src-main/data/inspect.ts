/**
 * What the finetune wizard shows of a data file before a run: how it was read (format,
 * encoding, header), every column and the ones chosen, the task type and labels inferred,
 * the row count and a few rows. Reads the file exactly as training will (importDataset with
 * the same options), so a file that previews is a file that trains.
 */
import type { TaskType } from '../model/base.js';
import type { GlueTask } from './glue-tasks.js';
import { importDataset } from './dataset.js';
import type { DataPreview } from './preview.js';

export type { DataPreview };

export interface ImportChoices {
  glue?: GlueTask;
  taskType?: TaskType;
  textCol?: string;
  pairCol?: string;
  labelCol?: string;
}

export const SAMPLE_ROWS = 5;

export function previewData(path: string, choices: ImportChoices = {}): DataPreview {
  const ds = importDataset(path, choices);
  const labelOf = (label: number) => (ds.task.type === 'regression' ? String(label) : ds.labels[label]);
  const counts: Record<string, number> = {};
  if (ds.task.type === 'classification') for (const r of ds.rows) counts[ds.labels[r.label]] = (counts[ds.labels[r.label]] ?? 0) + 1;
  return {
    format: ds.source.format, encoding: ds.source.encoding, encodingNote: ds.source.encodingNote ?? null, header: ds.source.header, glue: ds.source.glue ?? null, columns: ds.source.columns,
    chosen: { text: ds.columns.text, pair: ds.columns.pair ?? null, label: ds.columns.label },
    taskType: ds.task.type, labels: ds.labels, rows: ds.rows.length, counts,
    sample: ds.rows.slice(0, SAMPLE_ROWS).map((r) => ({ text: r.text, pair: r.pair ?? null, label: labelOf(r.label) })),
  };
}
