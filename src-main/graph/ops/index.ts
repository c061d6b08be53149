/**
 * The one table of ops. Creating a node, lowering it, interpreting it and differentiating
 * it all go through this table; an op absent here cannot be built.
 */
import type { OpDef } from '../op.js';
import { elementwiseOps } from './elementwise.js';
import { layoutOps } from './layout.js';
import { linalgOps } from './linalg.js';
import { reduceOps } from './reduce.js';

export const OPS: Readonly<Record<string, OpDef>> = { ...elementwiseOps, ...linalgOps, ...reduceOps, ...layoutOps };
export type OpName = keyof typeof elementwiseOps | keyof typeof linalgOps | keyof typeof reduceOps | keyof typeof layoutOps;
