/**
 * The one table of ops. Creating a node, lowering it, interpreting it and differentiating
 * it all go through this table; an op absent here cannot be built.
 */
import type { OpDef, OpName, OpTable } from '../op.js';
import { elementwiseOps } from './elementwise.js';
import { layoutOps } from './layout.js';
import { linalgOps } from './linalg.js';
import { reduceOps } from './reduce.js';

export const OPS: OpTable = { ...elementwiseOps, ...linalgOps, ...reduceOps, ...layoutOps };

/** The definition of the op a node names (rewrites and interpreters read attributes as the node holds them). */
export const opDef = (op: string): OpDef<any> | undefined => (Object.hasOwn(OPS, op) ? OPS[op as OpName] : undefined);
