/** The tensor DSL: build graphs, differentiate them, interpret them in float64, lower them to ONNX. */
export * from './api.js';
export { grad } from './autodiff.js';
export { evaluate } from './interpret.js';
export { gatherRows } from './gather-rows.js';
export { lower, type LowerOptions } from './lower.js';
export { OPS } from './ops/index.js';
export type { OpAttrs, OpDef, OpName, VjpRule } from './op.js';
export { nd } from './nd.js';
export { ShapeError } from './shape.js';
export { Tensor, isFloat, sizeOf, type Dim, type DType, type NDArray, type Shape } from './tensor.js';
export { gradCheck, type GradCheckResult } from './gradcheck.js';
