/**
 * A task pack ready to predict: its base loaded, the pack patched onto the live base
 * (packs/swap LiveBase: the base's own arrays, patched in place, fed as inputs) and its
 * dense head fed beside them through the task graph.
 */
import { importDataset, type Dataset } from '../data/index.js';
import type { GlueTask } from '../data/glue-tasks.js';
import type { BaseModel, TaskSpec, TextRow } from '../model/base.js';
import { loadBase } from '../model/registry.js';
import { decodePack } from '../packs/codec.js';
import { taskSpecOfPack, type PackContent } from '../packs/format.js';
import { LiveBase, preparePatch } from '../packs/swap.js';
import type { ProviderName } from '../runtime/index.js';
import { Predictor } from './evaluate.js';

export { taskSpecOfPack };

export interface ColumnNames {
  /** Read the file with this GLUE task's layout (e.g. CoLA's, which has no header). */
  glue?: GlueTask;
  textCol?: string;
  pairCol?: string;
  labelCol?: string;
}

/**
 * A labelled file read as the pack reads its inputs: the pack's task type and label set,
 * one text column or two. A file with the other shape is refused, naming both.
 */
export function importForPack(path: string, content: PackContent, columns: ColumnNames = {}, fileName = path): Dataset {
  const task = taskSpecOfPack(content);
  const ds = importDataset(path, {
    taskType: task.type, ...(task.type === 'classification' ? { labels: content.task.labels } : {}),
    ...(columns.glue ? { glue: columns.glue } : {}), textCol: columns.textCol, pairCol: columns.pairCol ?? (task.pair ? undefined : 'none'), labelCol: columns.labelCol,
  });
  if (ds.task.pair !== task.pair) throw new Error(`the pack reads ${task.pair ? 'text pairs' : 'single texts'}, ${fileName} has ${ds.task.pair ? 'pairs' : 'single texts'}`);
  return ds;
}

export class PackPredictor {
  private constructor(readonly content: PackContent, readonly base: BaseModel, readonly task: TaskSpec,
    private readonly live: LiveBase, private readonly predictor: Predictor, private readonly head: ReadonlyMap<string, { dims: readonly number[]; data: Float32Array }>) {}

  static async open(home: string, bytes: Uint8Array, o: { provider?: ProviderName; log?: (l: string) => void } = {}): Promise<PackPredictor> {
    const header = decodePack(bytes);
    const base = loadBase(home, header.base.id, o.log);
    const content = decodePack(bytes, { base }); // checks the fingerprint and every tensor against this base
    const live = new LiveBase(base);
    const head = live.activate(preparePatch('pack', content, base));
    const task = taskSpecOfPack(content);
    const predictor = await Predictor.open(base, task, { provider: o.provider, maxLength: Math.min(content.task.maxLength, base.maxLength) });
    return new PackPredictor(content, base, task, live, predictor, head);
  }

  scores(rows: readonly TextRow[]): Promise<Float32Array> {
    return this.predictor.scores(rows, (n) => this.head.get(n) ?? this.base.weights.get(n)!);
  }

  async dispose(): Promise<void> {
    this.live.deactivate();
    await this.predictor.dispose();
  }
}
