/** `taskpack doctor`: versions, working execution providers and the training-step self-test. */
import type { DoctorReport } from '../../selftest/report.js';
import type { CommandSpec } from '../command.js';

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'versions, execution providers that work here, and a training-step self-test',
  synopsis: '',
  options: {},
  async run(ctx) {
    const report = await ctx.services.runDoctor({ log: (line) => ctx.log(`doctor: ${line}`) });
    return { value: report, human: formatReport(report), failure: verdictFailure(report) };
  },
};

/** The report is data either way; these outcomes make the command exit non-zero. */
function verdictFailure(report: DoctorReport): string | undefined {
  if (!report.gradientCheck.ok) {
    return `the gradient check failed (relative error ${report.gradientCheck.relErr.toExponential(1)})`;
  }
  if (!report.providers.some((p) => p.ok)) return 'no execution provider passed the self-test';
  return undefined;
}

export function formatReport(report: DoctorReport): string {
  const rows = report.providers.map((p) => [
    p.name,
    p.ok ? 'ok' : 'FAIL',
    p.stepMs === undefined ? '–' : p.stepMs.toFixed(1),
    p.maxRelErr === undefined ? '–' : p.maxRelErr.toExponential(1),
    p.reason ?? '',
  ]);
  const table = [['provider', 'status', 'step ms', 'max rel err', 'note'], ...rows];
  const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
  const lines = table.map((row) => row.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd());
  const { ok, relErr } = report.gradientCheck;
  return [
    `onnxruntime ${report.ort} · node ${report.node}`,
    `gradient check (float64): ${ok ? 'ok' : 'FAIL'}, relative error ${relErr.toExponential(1)}`,
    '',
    ...lines,
  ].join('\n');
}
