/**
 * The ONNX versions the project emits, pinned in one place. Opset 20 is the first with a
 * standard Gelu (LayerNormalization is 17+), and ONNX Runtime 1.30 runs it on the CPU and
 * WebGPU EPs; IR version 9 is the IR that goes with opset 20.
 */
export const OPSET = 20;
export const IR_VERSION = 9;

export const PRODUCER_NAME = 'taskpack-studio';
/** Kept constant (not the package version) so the bytes of a graph do not change per release. */
export const PRODUCER_VERSION = '1';

/**
 * Non-default operator domains a node may use, with the opset imported for each. A node in a
 * domain missing here is an encoding error rather than a model ORT refuses later.
 */
export const EXTRA_DOMAIN_OPSETS: Readonly<Record<string, number>> = {
  'com.microsoft': 1,
};
