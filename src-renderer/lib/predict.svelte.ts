/**
 * State of the Predict view: one text (or pair) at a time, or a whole file in chunks with
 * progress and cancel. App.svelte owns it, so the form, a running file and its results
 * outlive a switch to another page.
 */
import type { Prediction, PredictResult } from '../../src-main/ipc/contract.js';
import { call, messageOf } from './api.js';
import { bytesToBase64, parseTextLines, type TextRow } from './files.js';

/** Rows per packs:predict call (the main process takes at most 256). */
const CHUNK = 128;
/** File results kept for the table; the label counts cover every row. */
export const SHOWN_ROWS = 200;

export interface FileRun {
  name: string;
  total: number;
  done: number;
  /** Label → rows (classification), or the scores' mean (regression). */
  counts: Map<string, number>;
  meanScore: number | null;
  rows: { input: TextRow; prediction: Prediction }[];
  status: 'running' | 'done' | 'cancelled' | 'failed';
}

export class PredictSession {
  /** The form: the pack picked (empty: the active one), the text(s), the labelled file's GLUE layout (empty: detected). */
  chosen = $state('');
  text = $state('');
  pair = $state('');
  glue = $state('');
  result = $state.raw<(PredictResult & { input: TextRow }) | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  file = $state.raw<FileRun | null>(null);
  evaluation = $state.raw<{ fileName: string; metrics: Record<string, number>; n: number } | null>(null);
  private cancelRequested = false;
  /** Every row's prediction of the current file (not reactive: only the first SHOWN_ROWS are shown). */
  private fileResults: { input: TextRow; prediction: Prediction }[] = [];
  private fileLabels: string[] = [];

  constructor(private readonly onActive: (id: string) => void) {}

  async predictOne(packId: string, input: TextRow): Promise<void> {
    await this.guard(async () => {
      const result = await call('packs:predict', { id: packId, inputs: [input] });
      this.onActive(result.id);
      this.result = { ...result, input };
    });
  }

  async predictFile(packId: string, file: File, pairs: boolean): Promise<void> {
    await this.guard(async () => {
      const rows = parseTextLines(await file.text(), pairs);
      this.cancelRequested = false;
      this.fileResults = [];
      let run: FileRun = { name: file.name, total: rows.length, done: 0, counts: new Map(), meanScore: null, rows: [], status: 'running' };
      this.file = run;
      let scoreSum = 0;
      try {
        for (let start = 0; start < rows.length; start += CHUNK) {
          if (this.cancelRequested) {
            this.file = { ...run, status: 'cancelled' };
            return;
          }
          const chunk = rows.slice(start, start + CHUNK);
          const { id, predictions, labels } = await call('packs:predict', { id: packId, inputs: chunk });
          this.onActive(id);
          this.fileLabels = labels;
          chunk.forEach((input, i) => this.fileResults.push({ input, prediction: predictions[i] }));
          const counts = new Map(run.counts);
          predictions.forEach((p) => {
            if ('label' in p) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
            else scoreSum += p.score;
          });
          const done = run.done + chunk.length;
          const shown = run.rows.length < SHOWN_ROWS
            ? [...run.rows, ...chunk.slice(0, SHOWN_ROWS - run.rows.length).map((input, i) => ({ input, prediction: predictions[i] }))]
            : run.rows;
          run = { ...run, done, counts, rows: shown, meanScore: counts.size === 0 ? scoreSum / done : null };
          this.file = run;
        }
        this.file = { ...run, status: 'done' };
      } catch (err) {
        this.file = { ...run, status: 'failed' };
        throw err;
      }
    });
  }

  /** GLUE metrics of the pack on a labelled file (the columns it was trained on). */
  async evaluateFile(packId: string, file: File): Promise<void> {
    await this.guard(async () => {
      this.evaluation = null;
      const data = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
      const { id, metrics, n } = await call('packs:evaluate', { id: packId, file: { fileName: file.name, data }, ...(this.glue ? { glue: this.glue } : {}) });
      this.onActive(id);
      this.evaluation = { fileName: file.name, metrics, n };
    });
  }

  /** The file's predictions so far as TSV: the text(s), the label (or score), and each class's probability. */
  resultsTsv(): string {
    const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
    const pairs = this.fileResults.some((r) => r.input.pair !== undefined);
    const header = ['text', ...(pairs ? ['text_pair'] : []), ...(this.fileLabels.length ? ['label', ...this.fileLabels.map((l) => `p_${clean(l)}`)] : ['score'])];
    const lines = this.fileResults.map(({ input, prediction: p }) => [
      clean(input.text), ...(pairs ? [clean(input.pair ?? '')] : []),
      ...('label' in p ? [clean(p.label), ...p.probabilities.map((x) => x.toFixed(6))] : [String(p.score)]),
    ].join('\t'));
    return `${[header.join('\t'), ...lines].join('\n')}\n`;
  }

  cancelFile(): void {
    this.cancelRequested = true;
  }

  private async guard(task: () => Promise<void>): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.error = null;
    try {
      await task();
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.running = false;
    }
  }
}
