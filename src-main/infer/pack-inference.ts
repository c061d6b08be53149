/**
 * A task pack ready to predict: its base loaded, the pack patched onto the live base
 * (packs/swap LiveBase: the base's own arrays, patched in place, fed as inputs; a LoRA pack
 * merged) and its dense head (and an adapter pack's module tensors) fed beside them through
 * the task graph (with the adapter sites for an adapter pack: adapterGraph).
 */
import { importDataset, type Dataset } from '../data/index.js';
import type { GlueTask } from '../data/glue-tasks.js';
import type { BaseModel, TaskSpec, TextRow } from '../model/base.js';
import { loadBase } from '../model/registry.js';
import { decodePack } from '../packs/codec.js';
import { taskSpecOfPack, type PackContent } from '../packs/format.js';
import { LiveBase, patchWeights, preparePatch, type PreparedPatch } from '../packs/swap.js';
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

/** The graph a pack predicts through: an adapter pack's has its sites (a LoRA pack is merged into the base's weights). */
export const adapterGraph = (patch: Pick<PreparedPatch, 'module'>) => (patch.module?.kind === 'adapter' ? { module: patch.module } : {});

export class PackPredictor {
  private constructor(readonly content: PackContent, readonly base: BaseModel, readonly task: TaskSpec,
    private readonly live: LiveBase, private readonly predictor: Predictor, private readonly patch: PreparedPatch) {}

  static async open(home: string, bytes: Uint8Array, o: { provider?: ProviderName; log?: (l: string) => void } = {}): Promise<PackPredictor> {
    const header = decodePack(bytes);
    const base = loadBase(home, header.base.id, o.log);
    const content = decodePack(bytes, { base }); // checks the fingerprint and every tensor against this base
    const live = new LiveBase(base);
    const patch = preparePatch('pack', content, base);
    live.activate(patch);
    const task = taskSpecOfPack(content);
    const predictor = await Predictor.open(base, task, { provider: o.provider, maxLength: Math.min(content.task.maxLength, base.maxLength), ...adapterGraph(patch) });
    return new PackPredictor(content, base, task, live, predictor, patch);
  }

  scores(rows: readonly TextRow[]): Promise<Float32Array> {
    return this.predictor.scores(rows, patchWeights(this.patch, this.base));
  }

  async dispose(): Promise<void> {
    this.live.deactivate();
    await this.predictor.dispose();
  }
}
