/**
 * The largest JSON request each channel's schema can accept, derived from the schema itself
 * (its JSON Schema's maxLength and maxItems), so the dev host's body limit can never fall
 * below what validation would take: a new channel that carries a file gets its limit with
 * its schema. A string or array without a bound is an error here, at start-up, not a
 * request that can grow without limit.
 */
import { z } from 'zod';
import type { Channel } from './contract.js';
import { ARG_SCHEMAS } from './schemas.js';

type JsonSchema = {
  type?: string | string[];
  maxLength?: number;
  maxItems?: number;
  contentEncoding?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/** Whitespace and framing a client may add around the arguments (pretty-printed JSON). */
const SLACK_BYTES = 4096;
/** A JSON number: `-1.7976931348623157e+308` is 24 characters. */
const NUMBER_BYTES = 24;
/** JSON escapes a UTF-16 code unit to at most 6 bytes (`\u001f`); base64 text is plain ASCII. */
const ESCAPED_UNIT_BYTES = 6;

/** Bytes of the longest JSON text `schema` admits (without whitespace); throws where unbounded. */
export function maxJsonBytes(schema: JsonSchema, path = '(args)'): number {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return Math.max(...alternatives.map((s) => maxJsonBytes(s, path)));
  if (schema.enum) return Math.max(...schema.enum.map((v) => JSON.stringify(v).length));
  if (schema.const !== undefined) return JSON.stringify(schema.const).length;
  const type = Array.isArray(schema.type) ? schema.type : [schema.type];
  return Math.max(...type.map((t) => {
    switch (t) {
      case 'string': {
        if (schema.maxLength === undefined) throw new Error(`${path}: a string without maxLength`);
        return 2 + schema.maxLength * (schema.contentEncoding === 'base64' ? 1 : ESCAPED_UNIT_BYTES);
      }
      case 'number': case 'integer': return NUMBER_BYTES;
      case 'boolean': return 5;
      case 'null': return 4;
      case 'array': {
        if (schema.maxItems === undefined || !schema.items) throw new Error(`${path}: an array without maxItems`);
        return 2 + schema.maxItems * (maxJsonBytes(schema.items, `${path}[]`) + 1);
      }
      case 'object': {
        if (schema.additionalProperties !== false) throw new Error(`${path}: an object that admits unknown keys`);
        const fields = Object.entries(schema.properties ?? {});
        return 2 + fields.reduce((sum, [key, value]) => sum + JSON.stringify(key).length + 2 + maxJsonBytes(value, `${path}.${key}`), 0);
      }
      default: throw new Error(`${path}: no size bound for JSON Schema type ${String(t)}`);
    }
  }));
}

/** Body limit per channel for the dev host: the schema's largest request plus slack. */
export const MAX_REQUEST_BYTES: Readonly<Record<Channel, number>> = Object.fromEntries(
  Object.entries(ARG_SCHEMAS).map(([channel, schema]) => [
    channel,
    maxJsonBytes(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, channel) + SLACK_BYTES,
  ]),
) as Record<Channel, number>;
