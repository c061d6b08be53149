/**
 * The Storage page's scatter, as SVG geometry: dev metric against bytes per task on a log
 * x-axis, measured points in the plot, estimated ones (no metric) on a band under it, and
 * the Pareto frontier through the measured points that no other beats.
 */
import type { Budget, StoragePoint, StorageTask } from '../../src-main/ipc/contract.js';
import { formatBytes } from './format.js';

export const CHART = { width: 720, height: 330, left: 60, right: 24, top: 18, plotBottom: 240, bandTop: 276, bandBottom: 306 } as const;

export interface PlacedPoint {
  point: StoragePoint;
  cx: number;
  cy: number;
  /** "diff-structured 0.50 %": the method and its budget. */
  name: string;
  /** The point's title (tooltip and accessible name). */
  title: string;
  /** Where its name is written (measured points): right of it, or left near the right edge; moved down a line where it would cover another's. */
  label: { x: number; y: number; anchor: 'start' | 'end' } | null;
}

export interface ChartGeometry {
  points: PlacedPoint[];
  /** SVG polyline points of the frontier: a staircase by bytes (the best metric reached within a budget of bytes). */
  frontier: string;
  xTicks: { x: number; label: string }[];
  /** Labelled only where some point has a metric. */
  yTicks: { y: number; label: string }[];
}

export function budgetLabel(b: Budget | null): string {
  if (b === null) return '';
  return b.kind === 'sparsity' ? `${(100 * b.value).toPrecision(2)} %` : `${b.kind} ${b.value}`;
}

export const pointName = (p: StoragePoint) => [p.method, budgetLabel(p.budget)].filter(Boolean).join(' ');

/** A dev metric as GLUE reports it (×100). */
export const metricText = (m: number | null) => (m === null ? '—' : (100 * m).toFixed(1));

const LOG_UNITS = [1, 1024, 1024 ** 2, 1024 ** 3];
/** Approximate width of a label's character at the chart's 11 px, and the offsets tried, one text line apart. */
const CHAR_PX = 6.2, LABEL_DY = [4, -8, 16, -20, 28];

/** Greedy: each label takes the first offset where it covers no point and no label placed before it. */
function placeLabels(points: PlacedPoint[]): void {
  const taken = points.map((p) => ({ x0: p.cx - 7, x1: p.cx + 7, y0: p.cy - 7, y1: p.cy + 7 }));
  for (const p of [...points].sort((a, b) => a.cx - b.cx)) {
    const w = CHAR_PX * p.name.length;
    const anchor = p.cx + 8 + w > CHART.width - CHART.right ? 'end' : 'start';
    const [x0, x1] = anchor === 'start' ? [p.cx + 8, p.cx + 8 + w] : [p.cx - 8 - w, p.cx - 8];
    // A label's box: from its baseline up by the text's height.
    const box = (dy: number) => ({ x0, x1, y0: p.cy + dy - 10, y1: p.cy + dy + 2 });
    const free = (b: ReturnType<typeof box>) => !taken.some((t) => t.x0 < b.x1 && b.x0 < t.x1 && t.y0 < b.y1 && b.y0 < t.y1);
    const dy = LABEL_DY.find((d) => free(box(d))) ?? LABEL_DY[0];
    taken.push(box(dy));
    p.label = { x: anchor === 'start' ? x0 : x1, y: p.cy + dy, anchor };
  }
}

export function chartOf(task: StorageTask): ChartGeometry {
  const { width, left, right, top, plotBottom, bandTop, bandBottom } = CHART;
  const bytes = task.points.map((p) => p.bytesPerTask);
  // Whole decades around the points with room at both ends (at least one decade), so no point sits on an edge.
  const lo = Math.floor(Math.log10(Math.min(...bytes)) - 0.2), hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...bytes)) + 0.2));
  const x = (b: number) => left + ((Math.log10(b) - lo) / (hi - lo)) * (width - left - right);
  const metrics = task.points.flatMap((p) => (p.metric === null ? [] : [p.metric]));
  // A tenth of the spread (or 0.05) of room above and below the measured metrics.
  const pad = metrics.length ? Math.max(0.05, 0.1 * (Math.max(...metrics) - Math.min(...metrics))) : 0;
  const [yLo, yHi] = metrics.length ? [Math.min(...metrics) - pad, Math.max(...metrics) + pad] : [0, 1];
  const y = (m: number) => plotBottom - ((m - yLo) / (yHi - yLo)) * (plotBottom - top);
  const bandY = (bandTop + bandBottom) / 2;
  const points = task.points.map((point) => {
    const name = pointName(point);
    const what = point.estimated ? 'estimated, not trained' : point.metric === null ? 'no dev metric' : `${task.metric} ${metricText(point.metric)}`;
    return { point, cx: x(point.bytesPerTask), cy: point.metric === null ? bandY : y(point.metric), name, label: null, title: `${name}: ${formatBytes(point.bytesPerTask)} per task, ${what}${point.frontier ? ' (on the frontier)' : ''}` };
  });
  placeLabels(points.filter((p) => !p.point.estimated));
  const xTicks = LOG_UNITS.flatMap((u) => [1, 10, 100].map((k) => u * k))
    .filter((b, i, all) => all.indexOf(b) === i && Math.log10(b) >= lo && Math.log10(b) <= hi)
    .map((b) => ({ x: x(b), label: formatBytes(b).replace(/\.0+ /, ' ') }));
  const yTicks = Array.from({ length: 5 }, (_, i) => yLo + (i * (yHi - yLo)) / 4).map((m) => ({ y: y(m), label: metrics.length ? (100 * m).toFixed(1) : '' }));
  const steps = points.filter((p) => p.point.frontier).sort((a, b) => a.cx - b.cx);
  const frontier = steps.flatMap((p, i) => (i === 0 ? [[p.cx, p.cy]] : [[p.cx, steps[i - 1].cy], [p.cx, p.cy]]))
    .concat(steps.length ? [[width - right, steps[steps.length - 1].cy]] : [])
    .map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  return { points, frontier, xTicks, yTicks };
}
