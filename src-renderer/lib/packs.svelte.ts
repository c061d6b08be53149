/** State of the installed task packs: list, install from a file, activate (swap), remove. */
import type { ModelFormat, PackActivation, PackSummary } from '../../src-main/ipc/contract.js';
import { ActionState } from './action-state.svelte.js';
import { call } from './api.js';
import { base64ToBytes, bytesToBase64, download, saveFrom } from './files.js';
import { formatBytes } from './format.js';

export class PackLibrary extends ActionState {
  // Lists are replaced, never mutated: no need for deep reactivity.
  packs = $state.raw<PackSummary[]>([]);
  active = $state<string | null>(null);
  loaded = $state(false);
  // busy: 'install', or `activate:<id>` / `export:<id>` / `export-model:<id>` / `remove:<id>`.
  lastSwap = $state.raw<PackActivation | null>(null);

  readonly activePack = $derived(this.packs.find((p) => p.id === this.active) ?? null);

  async load(): Promise<void> {
    await this.run(null, () => this.refresh());
  }

  private async refresh(): Promise<void> {
    const list = await call('packs:list', {});
    this.packs = list.packs;
    this.active = list.active;
    this.loaded = true;
  }

  async install(file: File): Promise<void> {
    await this.run('install', async () => {
      const data = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
      const { pack, alreadyInstalled } = await call('packs:install', { fileName: file.name, data });
      await this.refresh();
      this.notice = alreadyInstalled ? `“${pack.name}” is already installed.` : `Installed “${pack.name}”.`;
    });
  }

  async activate(id: string): Promise<void> {
    await this.run(`activate:${id}`, async () => {
      this.lastSwap = await call('packs:activate', { id });
      this.active = this.lastSwap.id;
    });
  }

  async remove(id: string): Promise<void> {
    await this.run(`remove:${id}`, async () => {
      const { pack } = await call('packs:uninstall', { id });
      await this.refresh();
      this.notice = `Removed “${pack.name}”.`;
    });
  }

  /** Save a copy of an installed pack (a download). */
  async exportPack(id: string): Promise<void> {
    await this.run(`export:${id}`, async () => {
      const { fileName, data } = await call('packs:export', { id });
      download(fileName, base64ToBytes(data), 'application/octet-stream');
    });
  }

  /** Save the pack merged into its base as a model folder (a zip, fetched straight to disk). */
  async exportModel(id: string, format: ModelFormat): Promise<void> {
    await this.run(`export-model:${id}`, async () => {
      const { fileName, bytes, url } = await call('packs:export-model', { id, format });
      saveFrom(url, fileName);
      this.notice = `Exported ${fileName} (${formatBytes(bytes)}).`;
    });
  }

  /** Called when a prediction made `id` the active pack. */
  markActive(id: string): void {
    this.active = id;
  }

}
