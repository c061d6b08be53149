/**
 * A readable, stable text form of an OnnxGraph, for debugging and golden tests. Same graph,
 * same text: numbers are printed with fixed precision, attributes sorted by name.
 *
 *   graph tiny
 *   inputs:
 *     %x: float32[batch, 4]
 *   initializers:
 *     %w: float32[4, 3] (12 values, min -0.5, max 0.9, mean 0.1) [0.1, -0.5, 0.3, 0.2, ...]
 *   nodes:
 *     %y = MatMul(%x, %w) {transA=1}  # node_name
 */
import type { AttrValue, Initializer, OnnxDim, OnnxGraph, OnnxNode, TensorData, ValueInfo } from './ir.js';
import { fromHalf } from './float16.js';

/** Up to this many leading values of a tensor are printed. */
const PREVIEW_VALUES = 6;

export function dumpGraph(graph: OnnxGraph): string {
  const lines = [`graph ${graph.name}`];
  if (graph.docString) lines.push(`  # ${graph.docString.replace(/\n/g, '\n  # ')}`);
  section(lines, 'inputs', graph.inputs.map(formatValueInfo));
  section(lines, 'outputs', graph.outputs.map(formatValueInfo));
  section(lines, 'initializers', graph.initializers.map((t) => `%${t.name}: ${formatTensor(t)}`));
  section(lines, 'value_info', (graph.valueInfo ?? []).map(formatValueInfo));
  section(lines, 'nodes', graph.nodes.map(formatNode));
  return lines.join('\n') + '\n';
}

function section(lines: string[], title: string, items: string[]): void {
  if (items.length === 0) return;
  lines.push(`${title}:`, ...items.map((item) => `  ${item}`));
}

function formatShape(shape: readonly OnnxDim[]): string {
  return `[${shape.join(', ')}]`;
}

function formatValueInfo(v: ValueInfo): string {
  return `%${v.name}: ${v.dtype}${formatShape(v.shape)}`;
}

export function formatNode(node: OnnxNode): string {
  const outputs = node.outputs.map(valueRef).join(', ');
  const op = node.domain ? `${node.domain}::${node.opType}` : node.opType;
  const names = Object.keys(node.attributes ?? {}).sort();
  const attrs = names.length ? ` {${names.map((k) => `${k}=${formatAttr(node.attributes![k])}`).join(', ')}}` : '';
  const comment = node.name ? `  # ${node.name}` : '';
  return `${outputs} = ${op}(${node.inputs.map(valueRef).join(', ')})${attrs}${comment}`;
}

/** '' marks an omitted optional input or output. */
function valueRef(name: string): string {
  return name === '' ? '_' : `%${name}`;
}

function formatAttr(attr: AttrValue): string {
  switch (attr.kind) {
    case 'int':
      return String(attr.value);
    case 'float':
      return formatFloat(attr.value);
    case 'string':
      return JSON.stringify(attr.value);
    case 'ints':
      return `[${attr.value.join(', ')}]`;
    case 'floats':
      return `[${attr.value.map(formatFloat).join(', ')}]`;
    case 'tensor':
      return `tensor ${formatTensor(attr.value)}`;
  }
}

/** Seven significant digits (float32 precision), always with a '.' or exponent so floats read as floats. */
export function formatFloat(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const rounded = Number(v.toPrecision(7));
  const magnitude = Math.abs(rounded);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-4)) return rounded.toExponential();
  const s = String(rounded);
  return s.includes('.') ? s : `${s}.0`;
}

function formatTensor(t: Initializer): string {
  const head = `${t.dtype}${formatShape(t.dims)}`;
  const values = numericValues(t);
  const isFloat = t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16';
  const show = (v: number | bigint): string => (typeof v === 'number' && isFloat ? formatFloat(v) : String(v));
  const preview = Array.from(values.slice(0, PREVIEW_VALUES), show);
  if (values.length <= PREVIEW_VALUES) return `${head} [${preview.join(', ')}]`;
  preview.push('...');
  return `${head} (${summary(values, show)}) [${preview.join(', ')}]`;
}

function summary(values: NumericValues, show: (v: number | bigint) => string): string {
  if (values instanceof BigInt64Array) {
    let min = values[0], max = values[0];
    for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
    return `${values.length} values, min ${min}, max ${max}`;
  }
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of values) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  return `${values.length} values, min ${show(min)}, max ${show(max)}, mean ${show(sum / values.length)}`;
}

type NumericValues = Exclude<TensorData, Uint16Array> | number[];

/** Values as printed: float16 bits decoded, bool as 0/1, int64 as bigint. */
function numericValues(t: Initializer): NumericValues {
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array, fromHalf);
  return t.data as NumericValues;
}

