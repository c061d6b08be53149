/**
 * Reading GPU-resident tensors back to the host.
 *
 * `getData()` on a 'gpu-buffer' tensor aborts the whole process under onnxruntime-node, so
 * values are read through a one-node Identity session on the WebGPU EP whose output is
 * left on the CPU: ORT itself copies device → host. The Identity sessions (one per dtype)
 * must live in the same process as the producing session (they share the WebGPU device),
 * and the producing session must stay alive until the read is done.
 */
import type { ort } from './ort.js';
import { IdentitySessions } from './identity.js';
import { fromOrtCpu, isHostDType, type HostTensor } from './tensor.js';

export class GpuReader {
  // No disable_cpu_ep_fallback here: should Identity of some dtype not run on WebGPU,
  // ORT still copies the device buffer to the host itself, which is all we need.
  private readonly sessions = new IdentitySessions({});
  private disposed = false;

  /** A host copy of any tensor: CPU tensors are taken as they are, GPU ones read back. */
  async read(t: ort.Tensor): Promise<HostTensor> {
    if (this.disposed) throw new Error('GpuReader: disposed');
    if (t.location === 'cpu') return fromOrtCpu(t);
    if (t.location !== 'gpu-buffer') throw new Error(`GpuReader: cannot read a tensor on '${t.location}'`);
    if (!isHostDType(t.type)) throw new TypeError(`GpuReader: dtype '${t.type}' is not a host dtype`);
    const session = await this.sessions.get(t.type);
    const y = (await session.run({ x: t })).y;
    if (!y) throw new Error('GpuReader: Identity gave no output');
    return fromOrtCpu(y);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.sessions.dispose();
  }
}
