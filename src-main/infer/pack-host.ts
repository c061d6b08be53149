/**
 * The app's installed task packs on one base model in memory. Activating a pack patches
 * the live base in place (packs/swap LiveBase, O(nonzeros)); swapping deactivates the
 * current pack (its overwritten bits written back) and activates the next; predictions run
 * the base's task graph with the active pack's head fed beside the patched weights.
 *
 * Packs are read from the store and re-verified (digest, strict decode) the first time they
 * are activated, then kept prepared in their compact stored form, so a swap back is only the
 * patch loop. One compiled task graph per task shape (classes, pair, max length) serves
 * every pack of that shape (and adapter spec: an adapter pack runs a graph with its sites,
 * its module tensors fed as inputs; a LoRA pack is merged into the base's weights, so it
 * shares the diff packs' graph). Not thread-safe: one caller (the app's pack-host worker).
 */
import type { Dataset } from '../data/index.js';
import { withUploadedFile } from '../data/uploaded.js';
import type { BaseModel, TaskSpec, TextRow } from '../model/base.js';
import { loadBase } from '../model/registry.js';
import type { PackContent } from '../packs/format.js';
import { PackStore } from '../packs/store.js';
import { LiveBase, patchWeights, preparePatch, type PreparedPatch } from '../packs/swap.js';
import type { ProviderName } from '../runtime/index.js';
import { metricsOf, Predictor, softmax } from './evaluate.js';
import type { GlueTask } from '../data/glue-tasks.js';
import type { Metrics } from '../data/metrics.js';
import { adapterGraph, importForPack, taskSpecOfPack } from './pack-inference.js';

export type Prediction = { label: string; probabilities: number[] } | { score: number };

export interface Activation {
  id: string;
  baseId: string;
  /** Time to patch the base (the previous pack's bits restored first), in ms. */
  swapMs: number;
  /** Whether this call read and verified the pack (first activation since install). */
  loaded: boolean;
}

interface Prepared {
  patch: PreparedPatch;
  content: PackContent;
  task: TaskSpec;
  maxLength: number;
}

export interface PackHostOptions {
  provider?: ProviderName;
  log?: (line: string) => void;
}

export class PackHost {
  private readonly store: PackStore;
  private base: { model: BaseModel; live: LiveBase } | undefined;
  private readonly prepared = new Map<string, Prepared>();
  private readonly predictors = new Map<string, Promise<Predictor>>();

  constructor(readonly home: string, private readonly options: PackHostOptions = {}) {
    this.store = new PackStore(home);
  }

  /** The id of the pack patched onto the base, if any. */
  get active(): string | null {
    return this.base?.live.active ?? null;
  }

  /** Make `id` (an installed pack's id or unique prefix) the active pack. */
  async activate(idOrPrefix: string): Promise<Activation> {
    const id = this.store.find(idOrPrefix).id;
    let loaded = false;
    let ready = this.prepared.get(id);
    if (!ready) {
      ready = this.prepare(id);
      loaded = true;
    }
    const { live, model } = this.base!;
    const started = performance.now();
    if (live.active !== id) live.activate(ready.patch);
    return { id, baseId: model.id, swapMs: performance.now() - started, loaded };
  }

  /** Predictions of pack `id` for `rows`, activating it first when another pack is active. */
  async predict(idOrPrefix: string, rows: readonly TextRow[]): Promise<{ id: string; task: PackContent['task']; predictions: Prediction[] }> {
    const { id, ready: { content, task }, scores } = await this.scores(idOrPrefix, (ready) => {
      rows.forEach((r, i) => {
        if (ready.task.pair && r.pair === undefined) throw new Error(`row ${i + 1}: this pack reads text pairs (${ready.content.task.inputColumns.join(', ')}): give the second text`);
        if (!ready.task.pair && r.pair !== undefined) throw new Error(`row ${i + 1}: this pack reads single texts: drop the second text`);
      });
      return rows;
    });
    const k = task.outputs;
    const predictions = rows.map((_, i): Prediction => {
      if (task.type === 'regression') return { score: scores[i] };
      const probabilities = softmax(scores.subarray(i * k, (i + 1) * k));
      return { label: content.task.labels[probabilities.indexOf(Math.max(...probabilities))], probabilities };
    });
    return { id, task: content.task, predictions };
  }

  /**
   * GLUE metrics of pack `id` on a labelled file the user picked (its bytes; `fileName` names
   * it in errors and gives its format; `glue` reads it with that task's layout).
   */
  async evaluate(idOrPrefix: string, fileName: string, bytes: Uint8Array, glue?: GlueTask): Promise<{ id: string; metrics: Metrics; n: number }> {
    let ds: Dataset | undefined;
    const { id, ready, scores } = await this.scores(idOrPrefix, async ({ content }) => {
      ds = await withUploadedFile(fileName, bytes, (path) => importForPack(path, content, glue ? { glue } : {}, fileName));
      return ds.rows;
    });
    return { id, metrics: metricsOf(scores, ds!.rows, ready.task, ds!.source.glue, ready.content.provenance.devMetrics), n: ds!.rows.length };
  }

  /** Activate pack `id`, take the rows `rowsFor` gives for it (it may refuse them), and score them with the pack's head. */
  private async scores(idOrPrefix: string, rowsFor: (ready: Prepared) => readonly TextRow[] | Promise<readonly TextRow[]>) {
    const { id } = await this.activate(idOrPrefix);
    const ready = this.prepared.get(id)!;
    const rows = await rowsFor(ready);
    const predictor = await this.predictor(ready);
    const scores = await predictor.scores(rows, patchWeights(ready.patch, this.base!.model));
    return { id, ready, scores };
  }

  /** Drop a pack from memory (restoring the base if it is active): call before uninstalling it. */
  forget(id: string): void {
    if (this.base?.live.active === id) this.base.live.deactivate();
    this.prepared.delete(id);
  }

  async dispose(): Promise<void> {
    this.base?.live.deactivate();
    const predictors = [...this.predictors.values()];
    this.predictors.clear();
    this.prepared.clear();
    for (const p of predictors) await (await p.catch(() => undefined))?.dispose();
  }

  /** Read and verify an installed pack, load its base if another (or none) is loaded, and prepare its patch. */
  private prepare(id: string): Prepared {
    const { content } = this.store.read(id);
    if (this.base?.model.fingerprint !== content.base.fingerprint) this.switchBase(content.base.id);
    const model = this.base!.model;
    const patch = preparePatch(id, content, model); // checks the fingerprint and every tensor against the loaded base
    const ready = { patch, content, task: taskSpecOfPack(content), maxLength: Math.min(content.task.maxLength, model.maxLength) };
    this.prepared.set(id, ready);
    return ready;
  }

  private switchBase(baseId: string): void {
    this.base?.live.deactivate();
    // Prepared patches and compiled graphs belong to the old base's arrays and shapes.
    this.prepared.clear();
    const stale = [...this.predictors.values()];
    this.predictors.clear();
    for (const p of stale) void p.then((s) => s.dispose(), () => undefined);
    const model = loadBase(this.home, baseId, this.options.log);
    this.base = { model, live: new LiveBase(model) };
  }

  private predictor({ task, maxLength, patch }: Prepared): Promise<Predictor> {
    const graph = adapterGraph(patch);
    const key = `${task.type}/${task.outputs}/${task.pair}/${maxLength}/${JSON.stringify(graph.module ?? null)}`;
    let p = this.predictors.get(key);
    if (!p) {
      p = Predictor.open(this.base!.model, task, { provider: this.options.provider, maxLength, ...graph });
      p.catch(() => this.predictors.delete(key));
      this.predictors.set(key, p);
    }
    return p;
  }
}
