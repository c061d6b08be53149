/** Number formatting for the report table. */

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
};

export function formatStepTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** 3.1e-7 → "3.1 × 10⁻⁷": relative errors span many decades, so show the exponent plainly. */
export function formatRelativeError(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  const [mantissa, exponent] = value.toExponential(1).split('e');
  if (exponent === '+0') return mantissa;
  const digits = exponent.replace('+', '');
  return `${mantissa} × 10${[...digits].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/** 107317 → "104.8 KiB": pack and model sizes, binary units as the CLI prints them. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Dev metrics as "accuracy 85.2, f1 80.1" (×100, as GLUE reports them). */
export function formatMetrics(metrics: Record<string, number>): string {
  const entries = Object.entries(metrics);
  return entries.length ? entries.map(([name, v]) => `${name} ${(100 * v).toFixed(1)}`).join(', ') : '—';
}

export function formatPercent(p: number): string {
  return `${(100 * p).toFixed(1)} %`;
}
