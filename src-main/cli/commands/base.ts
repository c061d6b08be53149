/**
 * `taskpack base list | info [ID] | import DIR | remove ID`: the installed bases (the shipped
 * one first, converted on first use) and their details; removing an imported base is
 * refused while packs depend on it. `import` (Hugging Face BERT folders) is the BERT
 * import's branch, kept separate below.
 */
import { readBaseManifest } from '../../model/base-store.js';
import { idFromFolder, importBertFolder } from '../../model/bert/import.js';
import { defaultBaseId, ensureShippedBase, listBases, shippedBases, type BaseListing } from '../../model/registry.js';
import { uninstallBase } from '../../packs/bases.js';
import { UsageError, type CommandContext, type CommandOutcome, type CommandSpec, type OptionValues } from '../command.js';

export const baseCommand: CommandSpec = {
  name: 'base',
  summary: 'base models installed (the shipped one first), their details, and importing a Hugging Face BERT folder',
  synopsis: 'list | info [ID] | import DIR [--id ID] | remove ID',
  options: { id: { type: 'string' } },
  maxPositionals: 2,
  async run(ctx, values, positionals) {
    const [sub, arg] = positionals;
    switch (sub) {
      case 'list':
        if (arg !== undefined) throw new UsageError(`'base list' takes no argument, got '${arg}'`);
        return listOutcome(ctx);
      case 'info':
        return infoOutcome(ctx, arg ?? defaultBaseId());
      case 'import':
        return importOutcome(ctx, values, arg);
      case 'remove': {
        if (arg === undefined) throw new UsageError("'base remove' needs a base id");
        const m = uninstallBase(ctx.home, arg);
        return { value: { removed: { id: m.id, fingerprint: m.fingerprint } }, human: `removed base ${m.id} (${m.displayName})` };
      }
      case undefined:
        throw new UsageError('missing subcommand (list, info, import or remove)');
      default:
        throw new UsageError(`unknown subcommand '${sub}' (list, info, import or remove)`);
    }
  },
};

function listOutcome(ctx: CommandContext): CommandOutcome {
  const bases = listBases(ctx.home);
  const row = (b: BaseListing) =>
    `${b.id.padEnd(24)} ${b.architecture.padEnd(9)} ${b.shipped ? 'shipped' : 'imported'}  ${b.installed ? `${((b.parameters ?? 0) / 1e6).toFixed(1)} M params  ${b.fingerprint?.slice(0, 12)}` : '(converted on first use)'}  ${b.displayName}`;
  return { value: { bases }, human: bases.length ? bases.map(row).join('\n') : 'no bases' };
}

function infoOutcome(ctx: CommandContext, id: string): CommandOutcome {
  const shipped = shippedBases().some((s) => s.id === id);
  const m = shipped ? ensureShippedBase(ctx.home, id, ctx.log) : readBaseManifest(ctx.home, id);
  const parameters = m.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
  const value = {
    id: m.id, architecture: m.architecture, displayName: m.displayName, shipped, fingerprint: m.fingerprint,
    maxLength: m.maxLength, parameters, config: m.config, tensors: m.tensors.map(({ name, dims }) => ({ name, dims })),
  };
  const human = [
    `${m.id}  ${m.displayName} (${m.architecture}${shipped ? ', shipped' : ''})`,
    `fingerprint ${m.fingerprint}`,
    `${m.tensors.length} tensors, ${(parameters / 1e6).toFixed(2)} M parameters, max length ${m.maxLength}`,
    ...m.tensors.map((t) => `  ${t.name.padEnd(20)} [${t.dims.join(', ')}]`),
  ].join('\n');
  return { value, human };
}

// ── import: Hugging Face BERT folders (model/bert/) ──────────────────────────────────────
async function importOutcome(ctx: CommandContext, values: OptionValues, dir: string | undefined): Promise<CommandOutcome> {
  if (dir === undefined) throw new UsageError("'base import' needs a folder");
  if (values.id !== undefined && typeof values.id !== 'string') throw new UsageError('--id takes one value');
  const id = (values.id as string | undefined) ?? idFromFolder(dir);
  if (shippedBases().some((s) => s.id === id)) throw new UsageError(`'${id}' is the id of a shipped base; choose another with --id`);
  ctx.log(`importing ${dir} as '${id}'…`);
  const { manifest, sources, ignored } = importBertFolder(dir, ctx.home, { id });
  const parameters = manifest.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
  const value = { id: manifest.id, architecture: manifest.architecture, fingerprint: manifest.fingerprint, maxLength: manifest.maxLength, parameters, config: manifest.config, sources, ignored };
  const human = [
    `imported ${manifest.id} (bert, ${(parameters / 1e6).toFixed(2)} M parameters) from ${sources.weights} + ${sources.tokenizer}`,
    `fingerprint ${manifest.fingerprint}`,
    ...(ignored.length ? [`ignored ${ignored.length} checkpoint tensors not used by the encoder: ${ignored.join(', ')}`] : []),
  ].join('\n');
  return { value, human };
}
