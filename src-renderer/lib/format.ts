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
