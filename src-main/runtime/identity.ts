/**
 * One-node Identity sessions on the WebGPU EP, one per dtype, opened on first use: the
 * device ↔ host copies of readback.ts (output left on the CPU) and upload.ts (output left
 * on the GPU). They share the process's WebGPU device with the sessions whose tensors they move.
 */
import { ort } from './ort.js';
import { ensureXdgRuntimeDir } from './providers.js';
import type { HostDType } from './tensor.js';
import { identityModel } from './tiny-model.js';

export class IdentitySessions {
  private readonly sessions = new Map<HostDType, Promise<ort.InferenceSession>>();

  constructor(private readonly options: ort.InferenceSession.SessionOptions) {}

  get(dtype: HostDType): Promise<ort.InferenceSession> {
    let s = this.sessions.get(dtype);
    if (!s) {
      ensureXdgRuntimeDir();
      s = ort.InferenceSession.create(identityModel(dtype), { executionProviders: ['webgpu'], ...this.options });
      this.sessions.set(dtype, s);
      s.catch(() => this.sessions.delete(dtype));
    }
    return s;
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) {
      try {
        await (await s).release();
      } catch {
        /* a session that failed to open has nothing to release */
      }
    }
  }
}
