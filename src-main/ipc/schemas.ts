/**
 * Runtime validation of every channel's arguments (the renderer is untrusted). The mapped
 * type ties each schema to the contract, so a schema that drifts from it fails to compile.
 */
import { z } from 'zod';
import type { ArgsOf, Channel } from './contract.js';

// Strict: unknown keys are rejected rather than silently dropped.
const noArgs = z.strictObject({});

export const ARG_SCHEMAS: { readonly [C in Channel]: z.ZodType<ArgsOf<C>> } = {
  'app:info': noArgs,
  'system:doctor': noArgs,
};

/** One line naming each failing path, e.g. `(args): Invalid input: expected object, received number`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(args)'}: ${issue.message}`)
    .join('; ');
}
