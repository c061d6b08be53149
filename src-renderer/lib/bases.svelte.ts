/**
 * State of the Bases page: the installed bases, importing a Hugging Face BERT folder (the
 * dev host: its files picked in the page and streamed one by one, with progress; Electron:
 * a folder dialog in the main process) and removing one.
 */
import type { BASE_FILE_NAMES, BaseSummary } from '../../src-main/ipc/contract.js';
import { ActionState } from './action-state.svelte.js';
import { call, inElectron, upload } from './api.js';
import { formatBytes } from './format.js';

type BaseFile = (typeof BASE_FILE_NAMES)[number];
/** The files the import reads (the contract's list; the renderer takes only types from src-main). */
const READ: readonly BaseFile[] = ['config.json', 'model.safetensors', 'pytorch_model.bin', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json'];
type SameMembers<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const BASE_FILES_MATCH: SameMembers<(typeof READ)[number], BaseFile> = true;
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** The files to send from a pick, or why the pick cannot be a BERT folder (the import checks everything again). */
export function chooseBaseFiles(files: readonly File[]): { send: File[]; skipped: string[] } {
  const byName = new Map(files.map((f) => [f.name, f]));
  const has = (n: BaseFile) => byName.has(n);
  if (!has('config.json')) throw new Error('config.json is missing: choose every file of the folder');
  if (!has('model.safetensors') && !has('pytorch_model.bin')) throw new Error('no weights: expected model.safetensors or pytorch_model.bin');
  if (!has('tokenizer.json') && !has('vocab.txt')) throw new Error('no tokenizer: expected tokenizer.json or vocab.txt');
  // What the import would read: safetensors before pytorch_model.bin.
  const wanted = READ.filter((n) => has(n) && !(n === 'pytorch_model.bin' && has('model.safetensors')));
  const send = wanted.map((n) => byName.get(n)!);
  const big = send.find((f) => f.size > MAX_FILE_BYTES);
  if (big) throw new Error(`${big.name} is ${formatBytes(big.size)}: a file of at most 2 GiB can be imported`);
  return { send, skipped: files.map((f) => f.name).filter((n) => !(wanted as readonly string[]).includes(n)) };
}

const randomHex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

export class BaseLibrary extends ActionState {
  bases = $state.raw<BaseSummary[]>([]);
  loaded = $state(false);
  // busy: 'import', or `remove:<id>`.
  /** What the import is doing now, for the progress line. */
  progress = $state<{ step: string; fraction: number | null } | null>(null);

  /** `onChange`: the wizard's base choice follows the installed bases. */
  constructor(private readonly onChange: () => void = () => {}) {
    super();
  }

  async load(): Promise<void> {
    await this.run(null, () => this.refresh());
  }

  private async refresh(): Promise<void> {
    this.bases = (await call('bases:list', {})).bases;
    this.loaded = true;
    this.onChange();
  }

  /** Import the picked files of a Hugging Face folder as base `id` (dev host). */
  async importFiles(files: readonly File[], id: string): Promise<void> {
    await this.run('import', async () => {
      const { send, skipped } = chooseBaseFiles(files);
      const uploadId = randomHex(16), total = send.reduce((a, f) => a + f.size, 0);
      let done = 0;
      for (const f of send) {
        this.progress = { step: `Uploading ${f.name}`, fraction: total ? done / total : null };
        await upload(`/upload/${uploadId}/${f.name}`, f, (sent) => (this.progress = { step: `Uploading ${f.name}`, fraction: total ? (done + sent) / total : null }));
        done += f.size;
      }
      this.progress = { step: 'Checking and converting', fraction: null };
      const { base } = await call('bases:import-upload', { uploadId, id });
      await this.refresh();
      this.notice = `Imported “${base.id}” (${base.layers} layers, ${formatBytes(base.bytes)})${skipped.length ? `; not read: ${skipped.join(', ')}` : ''}.`;
    });
  }

  /** Electron: choose the folder in a dialog of the main process. */
  async importFolder(id: string | undefined): Promise<void> {
    await this.run('import', async () => {
      this.progress = { step: 'Choosing a folder, then checking and converting', fraction: null };
      const { base } = await call('bases:import-folder', id ? { id } : {});
      await this.refresh();
      if (base) this.notice = `Imported “${base.id}” (${base.layers} layers, ${formatBytes(base.bytes)}).`;
    });
  }

  readonly canPickFolder = inElectron();

  async remove(id: string): Promise<void> {
    await this.run(`remove:${id}`, async () => {
      try {
        await call('bases:remove', { id });
      } finally {
        await this.refresh(); // a refusal names the packs that depend on it: show them in the list too
      }
      this.notice = `Removed the base “${id}”.`;
    });
  }

  protected override settled(): void {
    this.progress = null;
  }
}
