/**
 * `taskpack pack inspect|verify PACK · install PACK · list · uninstall ID · export ID --out PACK`:
 * task-pack files and the local store (`<home>/packs/`). PACK is a file; inspect and verify
 * also take the id of an installed pack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PackError } from '../../packs/errors.js';
import { packReport, type PackReport } from '../../packs/inspect.js';
import { PackStore, type PackEntry } from '../../packs/store.js';
import { UsageError, type CommandOutcome, type CommandSpec } from '../command.js';

const SUBCOMMANDS = 'inspect, verify, install, list, uninstall or export';

export const packCommand: CommandSpec = {
  name: 'pack',
  summary: 'task packs: inspect or verify a file; install, list, uninstall and export in the local store',
  synopsis: 'inspect PACK | verify PACK | install PACK | list | uninstall ID | export ID --out PACK',
  options: { out: { type: 'string' } },
  maxPositionals: 2,
  async run(ctx, values, positionals) {
    const [sub, arg] = positionals;
    const store = new PackStore(ctx.home);
    const needArg = (what: string) => {
      if (arg === undefined) throw new UsageError(`'pack ${sub}' needs ${what}`);
      return arg;
    };
    switch (sub) {
      case 'inspect': return inspectOutcome(store, needArg('a pack file or id'));
      case 'verify': return verifyOutcome(store, needArg('a pack file or id'));
      case 'install': {
        const { entry, alreadyInstalled } = store.install(readPackFile(needArg('a pack file')));
        if (!entry.baseChecked) ctx.log(`pack: base '${entry.base.id}' is not installed here; checked against it on activation`);
        return { value: { installed: entry, alreadyInstalled }, human: `${alreadyInstalled ? 'already installed' : 'installed'} ${row(entry)}` };
      }
      case 'list': {
        if (arg !== undefined) throw new UsageError(`'pack list' takes no argument, got '${arg}'`);
        const packs = store.list();
        return { value: { packs }, human: packs.length ? packs.map(row).join('\n') : 'no packs installed' };
      }
      case 'uninstall': {
        const entry = store.uninstall(needArg('an installed pack id'));
        return { value: { uninstalled: entry }, human: `uninstalled ${row(entry)}` };
      }
      case 'export': {
        const out = values.out;
        if (typeof out !== 'string') throw new UsageError("'pack export' needs --out PACK");
        const entry = store.export(needArg('an installed pack id'), out);
        return { value: { exported: entry, out }, human: `exported ${entry.id} to ${out}` };
      }
      case undefined: throw new UsageError(`missing subcommand (${SUBCOMMANDS})`);
      default: throw new UsageError(`unknown subcommand '${sub}' (${SUBCOMMANDS})`);
    }
  },
};

function readPackFile(path: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`no such file '${path}'`);
  return new Uint8Array(readFileSync(path));
}

/** A file path, else an installed pack's id. */
function load(store: PackStore, ref: string): Uint8Array {
  return existsSync(ref) ? new Uint8Array(readFileSync(ref)) : store.read(ref).bytes;
}

function inspectOutcome(store: PackStore, ref: string): CommandOutcome {
  const bytes = load(store, ref);
  const { content, baseChecked } = store.decode(bytes);
  const report = packReport(bytes, content);
  return { value: { ...report, baseChecked }, human: formatReport(report) };
}

function verifyOutcome(store: PackStore, ref: string): CommandOutcome {
  let bytes: Uint8Array;
  try {
    bytes = load(store, ref);
  } catch (e) {
    throw e instanceof PackError ? e : new UsageError((e as Error).message);
  }
  try {
    const { digest, baseChecked, content } = store.decode(bytes);
    // A signature always verifies here; it is "trusted" only against a trusted-keys list.
    const signed = content.signature !== undefined;
    const trusted = signed ? (store.trust().keys ? true : null) : null;
    const value = { ok: true, digest, bytes: bytes.length, signed, trusted, baseChecked };
    const signedText = signed ? (trusted ? ', signed by a trusted key' : ', signed (no trusted-keys list to check the signer against)') : ', unsigned';
    return { value, human: `ok  ${digest}  ${bytes.length} bytes${signedText}${baseChecked ? ', checked against the installed base' : ''}` };
  } catch (e) {
    if (!(e instanceof PackError)) throw e;
    return { value: { ok: false, code: e.code, error: e.message }, human: `FAIL ${e.message}`, failure: e.message };
  }
}

function row(p: PackEntry): string {
  const acc = p.devMetrics.accuracy;
  return `${p.id}  ${p.task.name}  ${p.method}  ${p.bytes} bytes  nnz ${p.nnz}${acc === undefined ? '' : `  dev accuracy ${acc.toFixed(3)}`}  base ${p.base.id}`;
}

function formatReport(r: PackReport): string {
  const h = r.header;
  return [
    `task pack v${h.version}  ${h.digest}  ${h.totalBytes} bytes${h.signed ? `  signed by ${h.signer}` : ''}`,
    `base ${r.base.id} (${r.base.fingerprint.slice(0, 12)}…)`,
    `task '${r.task.name}' (${r.task.type}${r.task.labels.length ? `: ${r.task.labels.join(', ')}` : ''}), columns ${r.task.inputColumns.join(', ')}, max length ${r.task.maxLength}`,
    `method ${r.provenance.method}, dev ${Object.entries(r.provenance.devMetrics).map(([k, v]) => `${k} ${v}`).join(', ') || '–'}, created ${r.task.createdAt}`,
    `${r.totals.nnz} nonzeros in ${r.diffs.length} tensors, ${r.totals.diffBytes} bytes (${r.totals.bytesPerNonzero?.toFixed(2) ?? '–'} per nonzero); head ${r.totals.denseBytes} bytes`,
    ...r.diffs.map((d) => `  ${d.name.padEnd(24)} [${d.dims.join(', ')}]  nnz ${d.nnz} (${(100 * d.density).toFixed(2)}%)  ${d.indexEncoding} ${d.indexBytes} B  ${d.valueEncoding} ${d.valueBytes} B`),
    ...r.dense.map((t) => `  ${t.name.padEnd(24)} [${t.dims.join(', ')}]  dense ${t.bytes} B`),
  ].join('\n');
}
