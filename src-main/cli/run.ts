/**
 * The CLI frame, separate from the entry point so tests can drive it in-process with fake
 * services and captured output. Contract (README, 'Command line'): with --json exactly one
 * JSON document on stdout; progress on stderr; exit 0 on success, otherwise non-zero with a
 * one-line human error on stderr (1: the command failed, 2: it was called wrongly).
 */
import { parseArgs } from 'node:util';
import type { Services } from '../ipc/services.js';
import { errorLine } from '../ipc/handlers.js';
import { appVersion, userDataDir } from '../paths.js';
import { UsageError, type CommandSpec, type OptionValues } from './command.js';
import { COMMANDS } from './commands/index.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliDeps {
  services: () => Services;
  env?: NodeJS.ProcessEnv;
  commands?: readonly CommandSpec[];
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const commands = deps.commands ?? COMMANDS;
  const json = argv.includes('--json');
  const commandIndex = argv.findIndex((arg) => !arg.startsWith('-'));
  const name = commandIndex === -1 ? undefined : argv[commandIndex];
  const rest = argv.filter((_, i) => i !== commandIndex);
  const fail = (code: number, message: string) => {
    io.stderr(`${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  };

  if (name === undefined || name === 'help') {
    if (rest.some((arg) => arg === '--version' || arg === '-v') && name === undefined) {
      io.stdout(json ? `${JSON.stringify({ version: appVersion() })}\n` : `${appVersion()}\n`);
      return EXIT_OK;
    }
    const unknown = rest.find((arg) => !['--json', '--help', '-h'].includes(arg));
    if (unknown) return fail(EXIT_USAGE, `taskpack: unknown option '${unknown}' (run 'taskpack --help')`);
    if (name === undefined && !rest.some((arg) => arg === '--help' || arg === '-h')) {
      return fail(EXIT_USAGE, `taskpack: missing command (one of: ${commandNames(commands)}; run 'taskpack --help')`);
    }
    io.stdout(json ? `${JSON.stringify(usageDocument(commands))}\n` : `${usageText(commands)}\n`);
    return EXIT_OK;
  }

  const command = commands.find((c) => c.name === name);
  if (!command) {
    return fail(EXIT_USAGE, `taskpack: unknown command '${name}' (one of: ${commandNames(commands)}; run 'taskpack --help')`);
  }
  const prefix = `taskpack ${command.name}`;
  const usageHint = `usage: ${commandUsage(command)}`;

  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
    if (positionals.length > (command.maxPositionals ?? 0)) {
      throw new UsageError(`unexpected argument '${positionals[command.maxPositionals ?? 0]}'`);
    }
  } catch (err) {
    return fail(EXIT_USAGE, `${prefix}: ${describeParseError(err)} (${usageHint})`);
  }
  if (values.help) {
    const help = { command: command.name, usage: commandUsage(command), summary: command.summary };
    io.stdout(json ? `${JSON.stringify(help)}\n` : `${help.usage}\n  ${help.summary}\n`);
    return EXIT_OK;
  }

  const log = (line: string) => io.stderr(`${line}\n`);
  try {
    const ctx = { services: deps.services(), home: userDataDir(deps.env ?? process.env), json, log };
    const outcome = await command.run(ctx, values, positionals);
    io.stdout(json ? `${JSON.stringify(outcome.value)}\n` : `${outcome.human}\n`);
    return outcome.failure ? fail(EXIT_FAILED, `${prefix}: ${outcome.failure}`) : EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) return fail(EXIT_USAGE, `${prefix}: ${err.message} (${usageHint})`);
    return fail(EXIT_FAILED, `${prefix}: ${errorLine(err)}`);
  }
}

function commandNames(commands: readonly CommandSpec[]): string {
  return commands.map((c) => c.name).join(', ');
}

function commandUsage(command: CommandSpec): string {
  return ['taskpack', command.name, command.synopsis, '[--json]'].filter(Boolean).join(' ');
}

/** node:util's messages are long and multi-line; keep the part a person needs. */
function describeParseError(err: unknown): string {
  if (err instanceof UsageError) return err.message;
  const code = (err as { code?: string }).code;
  const message = errorLine(err);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option '${quoted}'`;
  return message.split('. ')[0];
}

/** Help text fits a terminal 80 columns wide. */
export const HELP_WIDTH = 80;

/** `text` in lines of at most `width`, broken at spaces outside [brackets]; a longer group is broken after its `|`s. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const unit of text.match(/(?:\[[^\]]*\]|[^\s[])+/g) ?? []) {
    (unit.length > width ? unit.split(/(?<=\|)/) : [unit]).forEach((piece, i) => {
      const last = out.length - 1, gap = i === 0 ? ' ' : '';
      if (last >= 0 && out[last].length + gap.length + piece.length <= width) out[last] += gap + piece;
      else out.push(piece);
    });
  }
  return out;
}

/** Each command's name and summary, its usage wrapped under them. */
export function usageText(commands: readonly CommandSpec[]): string {
  const nameWidth = Math.max(...commands.map((c) => c.name.length));
  const indent = ' '.repeat(2 + nameWidth + 2);
  const width = HELP_WIDTH - indent.length;
  return [
    'Usage: taskpack <command> [options]   (taskpack <command> --help: one command)',
    '',
    'Commands:',
    ...commands.flatMap((c) => {
      const [first, ...rest] = wrap(c.summary, width);
      const usage = c.synopsis ? wrap(`${c.name} ${c.synopsis}`, width - 2) : [];
      return [`  ${c.name.padEnd(nameWidth)}  ${first}`, ...rest.map((l) => indent + l), ...usage.map((l) => `${indent}  ${l}`)];
    }),
    '',
    ...wrap('Every command accepts --json (exactly one JSON document on stdout) and --help. TASKPACK_HOME names the user-data directory (default: the platform app-data directory).', HELP_WIDTH),
  ].join('\n');
}

function usageDocument(commands: readonly CommandSpec[]) {
  return { usage: 'taskpack <command> [options]', commands: commands.map((c) => ({ name: c.name, usage: commandUsage(c), summary: c.summary })) };
}
