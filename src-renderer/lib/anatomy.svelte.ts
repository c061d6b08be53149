/** The Task packs page's pack anatomy: one pack's heatmap, and its overlap with another pack. */
import type { PackAnatomy, PackOverlap } from '../../src-main/ipc/contract.js';
import { call, messageOf } from './api.js';

export class AnatomyState {
  /** The pack whose anatomy is shown (null: none open). */
  id = $state<string | null>(null);
  anatomy = $state.raw<(PackAnatomy & { id: string }) | null>(null);
  /** The pack compared with it, and their overlap. */
  otherId = $state<string | null>(null);
  overlap = $state.raw<PackOverlap | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);

  /** The largest cell, for scaling the heatmap's colour. */
  readonly maxCell = $derived(Math.max(1, ...(this.anatomy?.counts.flat() ?? [])));

  async show(id: string): Promise<void> {
    this.id = id;
    this.otherId = null;
    this.overlap = null;
    await this.guard(async () => {
      this.anatomy = null;
      const anatomy = await call('packs:anatomy', { id });
      if (this.id === id) this.anatomy = anatomy;
    });
  }

  async compare(otherId: string): Promise<void> {
    const id = this.id;
    if (!id) return;
    this.otherId = otherId;
    await this.guard(async () => {
      this.overlap = null;
      const overlap = await call('packs:compare', { a: id, b: otherId });
      if (this.id === id && this.otherId === otherId) this.overlap = overlap;
    });
  }

  close(): void {
    this.id = this.otherId = null;
    this.anatomy = this.overlap = null;
    this.error = null;
  }

  /** A removed pack's view goes with it. */
  forget(present: readonly string[]): void {
    if (this.id && !present.includes(this.id)) this.close();
    else if (this.otherId && !present.includes(this.otherId)) {
      this.otherId = null;
      this.overlap = null;
    }
  }

  private async guard(task: () => Promise<void>): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      await task();
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }
}
