/**
 * The self-test report that `runDoctor()` (selftest/doctor.ts) returns. It lives in its
 * own file so the IPC contract, the CLI and the renderer can depend on the shape without
 * depending on the self-test implementation.
 */
export interface DoctorReport {
  /** onnxruntime-node version. */
  ort: string;
  /** Node.js version the self-test ran under. */
  node: string;
  /** Float64 gradient check of the self-test step's loss over all trainables (⟨u, Jv⟩ vs ⟨Jᵀu, v⟩). */
  gradientCheck: { relErr: number; ok: boolean };
  providers: ProviderCheck[];
}

export interface ProviderCheck {
  /** Execution provider name, e.g. "cpu", "webgpu". */
  name: string;
  ok: boolean;
  /** Mean wall time of one training step on this provider, in milliseconds. */
  stepMs?: number;
  /** Largest relative error of this provider's outputs against the reference. */
  maxRelErr?: number;
  /** Why the provider failed or was skipped. */
  reason?: string;
}
