/**
 * State of the finetune wizard: the choices, starting a run with the picked files, polling
 * its status (the loss curve comes in by cursor), cancel and resume, and earlier runs.
 */
import type { BaseSummary, CompareRun, DataChoices, DataPreview, GlueTask, QueueStatus, RunStatus, TrainMethod } from '../../src-main/ipc/contract.js';
import { call, messageOf } from './api.js';
import { bytesToBase64 } from './files.js';

const POLL_MS = 500;

/**
 * The budgets a method trains at, as the wizard asks for them: the label, what the user
 * types, and the run's field it fills (the typed value ÷ divide). A LoRA rank or an adapter bottleneck is
 * one entry here (e.g. `rank: { field: 'rank', divide: 1, label: 'Rank', initial: 8, min: 1, max: 64, step: 1 }`)
 * and a `budget` on its methods below.
 */
export const BUDGETS = {
  sparsity: { field: 'sparsity', divide: 100, label: 'Nonzeros (% of the base)', initial: 0.5, min: 0.01, max: 100, step: 'any' },
  rank: { field: 'rank', divide: 1, label: 'Rank', initial: 8, min: 1, max: 1024, step: 1 },
  bottleneck: { field: 'bottleneck', divide: 1, label: 'Bottleneck width', initial: 16, min: 1, max: 65536, step: 1 },
} as const satisfies Record<string, { field: keyof CompareRun; divide: number; label: string; initial: number; min: number; max: number; step: number | 'any' }>;
export type BudgetName = keyof typeof BUDGETS;

export const METHOD_CHOICES: readonly { id: TrainMethod; label: string; budget: BudgetName | null }[] = [
  { id: 'diff-structured', label: 'Diff pruning, structured (recommended)', budget: 'sparsity' },
  { id: 'diff', label: 'Diff pruning', budget: 'sparsity' },
  { id: 'magnitude', label: 'Magnitude pruning of a full finetune', budget: 'sparsity' },
  { id: 'lora', label: 'LoRA on query and value', budget: 'rank' },
  { id: 'adapter-houlsby', label: 'Adapters (Houlsby: after attention and FFN)', budget: 'bottleneck' },
  { id: 'adapter-pfeiffer', label: 'Adapters (Pfeiffer: after the FFN)', budget: 'bottleneck' },
  { id: 'bitfit', label: 'BitFit (biases only)', budget: null },
  { id: 'last-layer', label: 'Last layer only', budget: null },
  { id: 'full', label: 'Full finetuning (large pack)', budget: null },
];

/** A run's method and budget field from the value the user typed (the sparsity, which the request requires, stays at its default where unused). */
export function budgetFields(method: TrainMethod, value: number): CompareRun {
  const budget = METHOD_CHOICES.find((m) => m.id === method)?.budget;
  const fields = { method, sparsity: BUDGETS.sparsity.initial / BUDGETS.sparsity.divide };
  return budget ? { ...fields, [BUDGETS[budget].field]: value / BUDGETS[budget].divide } : fields;
}

export const RUN_STATE_TEXT = {
  running: 'Running', cancelling: 'Stopping…', cancelled: 'Cancelled', done: 'Done', failed: 'Failed', interrupted: 'Interrupted',
} as const;

export const GLUE_CHOICES = ['CoLA', 'SST-2', 'MRPC', 'STS-B', 'QQP', 'MNLI', 'QNLI', 'RTE', 'WNLI'] as const satisfies readonly GlueTask[];
// Every GLUE task the importer knows is offered: one added in data/glue-tasks.ts fails to compile here until listed.
export const GLUE_CHOICES_COMPLETE: [Exclude<GlueTask, (typeof GLUE_CHOICES)[number]>] extends [never] ? true : false = true;

const upload = async (f: File) => ({ fileName: f.name, data: bytesToBase64(new Uint8Array(await f.arrayBuffer())) });

const busy = (state: string | undefined) => state === 'running' || state === 'cancelling';
/** A run, or its sparsity explorer, still working: poll it. */
const live = (s: RunStatus | null) => s !== null && (busy(s.state) || busy(s.explore?.state));

/** "0.1, 0.25, 0.5, 1" (percent) → fractions; throws on anything else. */
export function parseTargets(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const targets = parts.map((p) => Number(p.replace(/%$/, '')) / 100);
  if (parts.length === 0 || parts.length > 8 || targets.some((t) => !(t > 0 && t <= 1))) throw new Error('Give 1 to 8 sparsities in percent, each above 0 and at most 100, e.g. 0.1, 0.25, 0.5, 1');
  if (new Set(targets).size !== targets.length) throw new Error('A sparsity is listed twice.');
  return targets;
}

export class TrainingWizard {
  taskName = $state('');
  trainFile = $state.raw<File | null>(null);
  devFile = $state.raw<File | null>(null);
  method = $state<TrainMethod>('diff-structured');
  /** Percent of the base's parameters. */
  sparsityPercent = $state<number>(BUDGETS.sparsity.initial);
  /** A single run's LoRA rank and adapters' bottleneck (Compare methods keeps one per ticked method). */
  rank = $state<number>(BUDGETS.rank.initial);
  bottleneck = $state<number>(BUDGETS.bottleneck.initial);
  /** Compare methods: train each ticked method at its budget, one after another. */
  comparing = $state(false);
  picks = $state(METHOD_CHOICES.map((m) => ({ method: m.id, on: m.id === 'diff-structured', value: m.budget ? BUDGETS[m.budget].initial : 0 })));
  /** The comparison started last (null: none this session). */
  queue = $state.raw<QueueStatus | null>(null);
  epochs = $state(3);
  seed = $state(1);
  glue = $state('');
  bases = $state.raw<BaseSummary[]>([]);
  /** Memory free on the machine when the bases were listed. */
  freeMemoryBytes = $state<number | null>(null);
  /** '' = the shipped base. */
  baseId = $state('');
  provider = $state<'cpu' | 'webgpu'>('cpu');
  /** Overrides of what the preview detected; '' = as detected. */
  taskType = $state<'' | 'classification' | 'regression'>('');
  textCol = $state('');
  pairCol = $state('');
  labelCol = $state('');

  /** How the training file reads with the choices above (null until it has been read). */
  preview = $state.raw<DataPreview | null>(null);
  inspecting = $state(false);
  previewError = $state<string | null>(null);

  /** The sparsity explorer's targets (percent) and steps per target (null: one epoch, at most 200). */
  exploreTargets = $state('0.1, 0.25, 0.5, 1');
  exploreSteps = $state<number | null>(null);

  runs = $state.raw<RunStatus[]>([]);
  current = $state.raw<RunStatus | null>(null);
  losses = $state.raw<[number, number][]>([]);
  starting = $state(false);
  error = $state<string | null>(null);

  /** The chosen method's budget (null: none to choose). */
  readonly budget = $derived(METHOD_CHOICES.find((m) => m.id === this.method)?.budget ?? null);
  readonly sparse = $derived(this.budget === 'sparsity');
  readonly running = $derived(live(this.current) || this.queue?.state === 'running');
  readonly picked = $derived(this.picks.filter((p) => p.on));
  readonly canStart = $derived(this.preview !== null && !this.inspecting && this.taskName.trim() !== '' && !this.starting && !this.running && (!this.comparing || this.picked.length >= 2));
  /** The run's estimated peak memory on the CPU (the chosen base and method), against the memory free. */
  readonly memory = $derived.by(() => {
    const base = this.baseId ? this.bases.find((b) => b.id === this.baseId) : this.bases[0];
    // Compared runs go one at a time: the largest of their peaks.
    const peaks = (this.comparing ? this.picked.map((p) => p.method) : [this.method]).map((m) => base?.trainingPeakBytes?.[m]);
    const peak = peaks.length && peaks.every((p) => p !== undefined) ? Math.max(...(peaks as number[])) : undefined;
    return peak === undefined || this.freeMemoryBytes === null || this.provider !== 'cpu' ? null : { peak, free: this.freeMemoryBytes, exceeds: peak > this.freeMemoryBytes };
  });
  readonly percent = $derived(this.current?.progress ? (100 * this.current.progress.step) / this.current.progress.totalSteps : 0);

  private timer: ReturnType<typeof setTimeout> | undefined;
  private queueTimer: ReturnType<typeof setTimeout> | undefined;
  private cursor = 0;

  constructor(private readonly onPackInstalled: () => void) {}

  private trainUpload: { fileName: string; data: string } | null = null;

  async pickTrainFile(file: File | null): Promise<void> {
    this.trainFile = file;
    this.trainUpload = null;
    this.textCol = this.pairCol = this.labelCol = this.taskType = '';
    if (file && this.taskName.trim() === '') this.taskName = suggestedTaskName(file.name);
    await this.inspect();
  }

  /** The import choices as sent: only what the user set. */
  private choices(): DataChoices {
    return {
      ...(this.glue ? { glue: this.glue } : {}), ...(this.taskType ? { taskType: this.taskType } : {}),
      ...(this.textCol ? { textCol: this.textCol } : {}), ...(this.pairCol ? { pairCol: this.pairCol } : {}), ...(this.labelCol ? { labelCol: this.labelCol } : {}),
    };
  }

  /** Read the training file with the current choices (again after each change of them). */
  async inspect(): Promise<void> {
    this.preview = null;
    this.previewError = null;
    const file = this.trainFile;
    if (!file) return;
    this.inspecting = true;
    try {
      this.trainUpload ??= await upload(file);
      const preview = await call('data:inspect', { file: this.trainUpload, ...this.choices() });
      if (this.trainFile === file) this.preview = preview;
    } catch (err) {
      if (this.trainFile === file) this.previewError = messageOf(err);
    } finally {
      this.inspecting = false;
    }
  }

  async loadRuns(): Promise<void> {
    try {
      this.runs = (await call('train:list', {})).runs;
    } catch (err) {
      this.error = messageOf(err);
    }
    await this.loadBases();
  }

  /** The bases to choose from (again after one is imported or removed on the Bases page). */
  async loadBases(): Promise<void> {
    try {
      ({ bases: this.bases, freeMemoryBytes: this.freeMemoryBytes } = await call('bases:list', {}));
      if (this.baseId && !this.bases.some((b) => b.id === this.baseId)) this.baseId = '';
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  async start(): Promise<void> {
    if (!this.canStart || !this.trainFile) return;
    this.starting = true;
    this.error = null;
    try {
      const shared = {
        taskName: this.taskName.trim(), train: this.trainUpload ?? (await upload(this.trainFile)), ...(this.devFile ? { dev: await upload(this.devFile) } : {}),
        epochs: this.epochs, seed: this.seed, ...this.choices(),
        ...(this.baseId ? { baseId: this.baseId } : {}), ...(this.provider !== 'cpu' ? { provider: this.provider } : {}),
      };
      if (this.comparing) {
        this.watchQueue(await call('train:compare', { ...shared, runs: this.picked.map((p) => budgetFields(p.method, p.value)) }));
      } else {
        this.follow(await call('train:start', { ...shared, ...budgetFields(this.method, this.budget === 'rank' ? this.rank : this.budget === 'bottleneck' ? this.bottleneck : this.sparsityPercent) }));
      }
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.starting = false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.current) return;
    await this.act(() => call('train:cancel', { runId: this.current!.runId }));
  }

  async resume(runId: string): Promise<void> {
    await this.act(() => call('train:resume', { runId }));
  }

  async explore(): Promise<void> {
    const run = this.current;
    if (!run) return;
    await this.act(() => {
      const targets = parseTargets(this.exploreTargets);
      return call('train:explore', { runId: run.runId, targets, ...(this.exploreSteps ? { steps: this.exploreSteps } : {}) });
    });
  }

  async installExplored(sparsity: number): Promise<void> {
    const run = this.current;
    if (!run) return;
    await this.act(() => call('train:install-explored', { runId: run.runId, sparsity }));
    this.onPackInstalled();
  }

  /** Delete an earlier run's data copy and checkpoints (its pack, if any, stays installed). */
  async remove(runId: string): Promise<void> {
    this.error = null;
    try {
      await call('train:remove', { runId });
    } catch (err) {
      this.error = messageOf(err);
    }
    await this.loadRuns();
  }

  /** Show an earlier run (its whole loss curve is fetched again). */
  async show(runId: string): Promise<void> {
    await this.act(() => call('train:status', { runId }));
  }

  private async act(task: () => Promise<RunStatus>): Promise<void> {
    this.error = null;
    try {
      this.follow(await task());
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /**
   * Follow a comparison: poll it until every run has ended, and show whichever of its runs is
   * running (the queue starts the next one when the shown one ends).
   */
  private watchQueue(status: QueueStatus): void {
    clearTimeout(this.queueTimer);
    this.queue = status;
    const running = status.runs.find((r) => busy(r.state));
    if (running?.runId && running.runId !== this.current?.runId) void this.show(running.runId);
    if (status.state === 'done') return;
    this.queueTimer = setTimeout(async () => {
      try {
        const next = await call('train:compare-status', { queueId: status.queueId });
        if (this.queue?.queueId === status.queueId) this.watchQueue(next);
      } catch (err) {
        this.error = messageOf(err);
      }
    }, POLL_MS);
  }

  /** Make `status` the current run and poll it while it runs. */
  private follow(status: RunStatus): void {
    clearTimeout(this.timer);
    this.cursor = 0;
    this.losses = [];
    this.apply(status);
    this.schedule();
  }

  private apply(status: RunStatus): void {
    const wasLive = live(this.current) && this.current?.runId === status.runId;
    this.current = status;
    if (status.losses.length) this.losses = [...this.losses, ...status.losses];
    this.cursor = status.nextCursor;
    if (wasLive && status.state === 'done') this.onPackInstalled();
    if (!live(status)) void this.loadRuns();
  }

  private schedule(): void {
    if (!live(this.current)) return;
    this.timer = setTimeout(async () => {
      const runId = this.current!.runId;
      try {
        const status = await call('train:status', { runId, cursor: this.cursor });
        if (this.current?.runId === runId) this.apply(status);
      } catch (err) {
        this.error = messageOf(err);
      }
      this.schedule();
    }, POLL_MS);
  }
}

/**
 * The task name a picked file suggests: its name without the extension, but nothing for a
 * generic one (train.tsv, data.csv): runs and packs are grouped by task name, so two tasks
 * both called "train" would be compared as one.
 */
export function suggestedTaskName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]+$/, '');
  return /^(train|training|dev|test|data|dataset)$/i.test(stem) ? '' : stem;
}
