/**
 * The shape every CLI command has. `--json` and `--help` are added by the frame (run.ts),
 * so a command only declares its own options and returns data plus a human rendering.
 */
import type { ParseArgsConfig } from 'node:util';
import { GLUE_TASK_METRICS, isGlueTask, type GlueTask } from '../data/glue-tasks.js';
import type { Services } from '../ipc/services.js';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  services: Services;
  /** The user-data directory (TASKPACK_HOME or the platform default). */
  home: string;
  json: boolean;
  /** Progress and logs: always stderr, so stdout stays one JSON document. */
  log(line: string): void;
}

export interface CommandOutcome<R = unknown> {
  /** Printed as the JSON document under --json. */
  value: R;
  /** Printed on stdout otherwise. */
  human: string;
  /** Set when the command ran but its verdict is a failure: exit 1 with this one-line error. */
  failure?: string;
}

export interface CommandSpec {
  name: string;
  /** One line, shown in the command list. */
  summary: string;
  /** Arguments after the name, e.g. `[--port P]`. */
  synopsis: string;
  options: OptionsConfig;
  /** How many positional arguments the command takes (default 0). */
  maxPositionals?: number;
  run(ctx: CommandContext, values: OptionValues, positionals: string[]): Promise<CommandOutcome>;
}

/** A mistake in how the command was called: exit 2, with the command's usage. */
export class UsageError extends Error {}

/** `--glue TASK`: read a file in that GLUE task's layout (its columns, header or none) whatever its folder is called. */
export function glueOption(value: OptionValues[string]): GlueTask | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isGlueTask(value)) throw new UsageError(`--glue must be one of ${Object.keys(GLUE_TASK_METRICS).join(', ')}, got '${String(value)}'`);
  return value;
}

/**
 * A training worker's outcome; Ctrl-C meanwhile asks the worker to stop after its current
 * step, so the run leaves a checkpoint instead of dying mid-step.
 */
export async function outcomeStoppableByCtrlC<T>(worker: { outcome: Promise<T>; cancel(): void }, log: (line: string) => void, command: string): Promise<T> {
  const cancel = () => { log(`${command}: stopping after this step (checkpointing)…`); worker.cancel(); };
  process.once('SIGINT', cancel);
  try { return await worker.outcome; } finally { process.off('SIGINT', cancel); }
}
