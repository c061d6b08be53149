/**
 * `taskpack pack inspect|verify PACK · compare PACK PACK · install PACK · list · uninstall ID ·
 * export ID --out PACK`: task-pack files and the local store (`<home>/packs/`). PACK is a
 * file or the id of an installed pack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PackError } from '../../packs/errors.js';
import { checkOverlapKinds, packAnatomy, packOverlap, type PackAnatomy, type PackOverlap } from '../../packs/anatomy.js';
import { packReport, type PackReport } from '../../packs/inspect.js';
import { PackStore, type PackEntry } from '../../packs/store.js';
import { UsageError, type CommandOutcome, type CommandSpec } from '../command.js';

const SUBCOMMANDS = 'inspect, verify, compare, install, list, uninstall or export';

export const packCommand: CommandSpec = {
  name: 'pack',
  summary: 'task packs: inspect, verify or compare files; install, list, uninstall, export',
  synopsis: 'inspect PACK | verify PACK | compare PACK PACK | install PACK | list | uninstall ID | export ID --out PACK',
  options: { out: { type: 'string' } },
  maxPositionals: 3,
  async run(ctx, values, positionals) {
    const [sub, arg, second] = positionals;
    if (second !== undefined && sub !== 'compare') throw new UsageError(`unexpected argument '${second}'`);
    const store = new PackStore(ctx.home);
    const needArg = (what: string) => {
      if (arg === undefined) throw new UsageError(`'pack ${sub}' needs ${what}`);
      return arg;
    };
    switch (sub) {
      case 'inspect': return inspectOutcome(store, needArg('a pack file or id'));
      case 'verify': return verifyOutcome(store, needArg('a pack file or id'));
      case 'compare': {
        if (second === undefined) throw new UsageError("'pack compare' needs two packs (files or ids)");
        return compareOutcome(store, needArg('two packs'), second);
      }
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
  const anatomy = packAnatomy(content, store.baseNames(content.base));
  return { value: { ...report, anatomy, baseChecked }, human: `${formatReport(report)}\n\n${formatAnatomy(anatomy)}` };
}

function compareOutcome(store: PackStore, refA: string, refB: string): CommandOutcome {
  const [a, b] = [refA, refB].map((ref) => store.decode(load(store, ref)).content);
  if (a.base.fingerprint !== b.base.fingerprint) throw new UsageError(`the packs are for different bases ('${a.base.id}' and '${b.base.id}'): positions compare only on one base`);
  try {
    checkOverlapKinds(a, b);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const overlap = packOverlap(a.diffs, b.diffs);
  return { value: overlap, human: formatOverlap(overlap, a.task.name, b.task.name) };
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
    ...(r.module ? [`kind ${r.kind}: ${r.module.description}, ${r.totals.moduleParameters} parameters in ${r.modules.length} module tensors, ${r.totals.moduleBytes} bytes`] : []),
    `${r.totals.nnz} nonzeros in ${r.diffs.length} tensors, ${r.totals.diffBytes} bytes (${r.totals.bytesPerNonzero?.toFixed(2) ?? '–'} per nonzero); head ${r.totals.denseBytes} bytes`,
    ...r.modules.map((t) => `  ${t.name.padEnd(24)} [${t.dims.join(', ')}]  module  ${t.valueEncoding} ${t.valueBytes} B`),
    ...r.diffs.map((d) => `  ${d.name.padEnd(24)} [${d.dims.join(', ')}]  nnz ${d.nnz} (${(100 * d.density).toFixed(2)}%)  ${d.indexEncoding} ${d.indexBytes} B  ${d.valueEncoding} ${d.valueBytes} B`),
    ...r.dense.map((t) => `  ${t.name.padEnd(24)} [${t.dims.join(', ')}]  dense ${t.bytes} B`),
  ].join('\n');
}

const percent = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '–');

/** Rows × kinds of nonzeros, with each row's and kind's share of the budget. */
function formatAnatomy(a: PackAnatomy): string {
  const header = ['', ...a.kinds.map((k) => k.label), 'total', 'share'];
  const kindTotals = a.kinds.map((_, k) => a.counts.reduce((n, row) => n + row[k], 0));
  const table = [
    header,
    ...a.rows.map((label, r) => {
      const total = a.counts[r].reduce((x, y) => x + y, 0);
      return [label, ...a.counts[r].map(String), String(total), percent(total, a.nonzeros)];
    }),
    ['total', ...kindTotals.map(String), String(a.nonzeros), ''],
    ['share', ...kindTotals.map((n) => percent(n, a.nonzeros)), '', ''],
  ];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const head = a.head.parameters ? `; head: ${a.head.parameters} dense parameters in ${a.head.tensors} tensors, outside the budget` : '';
  return [`where the ${a.nonzeros} nonzeros sit${head}`, ...table.map((row) => row.map((v, c) => (c ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd())].join('\n');
}

function formatOverlap(o: PackOverlap, nameA: string, nameB: string): string {
  const [a, b] = o.nonzeros;
  return [
    `'${nameA}' (${a} nonzeros) and '${nameB}' (${b}) share ${o.shared} positions (${percent(o.shared, a)} and ${percent(o.shared, b)} of theirs; chance: ${o.byChance.toFixed(1)}); Jaccard ${o.jaccard.toFixed(4)}`,
    ...o.byRow.map((r) => `  ${r.row.padEnd(12)} ${String(r.a).padStart(8)} ${String(r.b).padStart(8)}  shared ${r.shared}`),
  ].join('\n');
}
