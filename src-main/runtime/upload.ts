/**
 * Host tensors onto the GPU, to stay there: an Identity session on the WebGPU EP whose
 * output is left on the device ('gpu-buffer'). A step loop uploads the inputs that are the
 * same every step (frozen base weights, masks) once, instead of with every step.
 */
import type { ort } from './ort.js';
import { IdentitySessions } from './identity.js';
import { toOrt, type HostTensor } from './tensor.js';

export class GpuUploader {
  private readonly sessions = new IdentitySessions({ preferredOutputLocation: { y: 'gpu-buffer' } });

  /** A GPU-resident copy of `t`; dispose() it after its last use, before this uploader. */
  async upload(t: HostTensor): Promise<ort.Tensor> {
    const y = (await (await this.sessions.get(t.dtype)).run({ x: toOrt(t) })).y;
    if (!y || y.location !== 'gpu-buffer') throw new Error(`GpuUploader: Identity left its output on '${y?.location}', not the GPU`);
    return y;
  }

  dispose(): Promise<void> {
    return this.sessions.dispose();
  }
}
