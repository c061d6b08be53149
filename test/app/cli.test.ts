/**
 * The CLI frame (README, 'Command line'; cli/run.ts): --json prints exactly one JSON document on stdout, errors are
 * one line on stderr with a non-zero exit. In-process with fake services, plus the real
 * entry point spawned as a child process.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Services } from '../../src-main/ipc/services.js';
import { runCli, EXIT_FAILED, EXIT_OK, EXIT_USAGE, HELP_WIDTH, wrap } from '../../src-main/cli/run.js';
import { projectRoot } from '../../src-main/paths.js';
import { cliCommand, FAKE_REPORT, fakeServices, lines, runRealCli } from './helpers.js';
import { COMMANDS } from '../../src-main/cli/commands/index.js';

const COMMAND_NAMES = COMMANDS.map((c) => c.name);

async function cli(argv: string[], services: Services = fakeServices()) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, { services: () => services });
  return { code, stdout, stderr };
}

test('doctor --json prints exactly one JSON document: the report', async () => {
  const { code, stdout } = await cli(['doctor', '--json']);
  assert.equal(code, EXIT_OK);
  assert.equal(lines(stdout).length, 1);
  assert.deepEqual(JSON.parse(stdout), FAKE_REPORT);
  const flagFirst = await cli(['--json', 'doctor']);
  assert.deepEqual(JSON.parse(flagFirst.stdout), FAKE_REPORT);
});

test('doctor without --json prints a readable table', async () => {
  const { code, stdout } = await cli(['doctor']);
  assert.equal(code, EXIT_OK);
  assert.match(stdout, /onnxruntime 1\.30\.0/);
  assert.match(stdout, /gradient check \(float64\): ok, relative error 2\.4e-9/);
  assert.match(stdout, /cpu\s+ok\s+12\.3\s+3\.1e-7/);
  assert.match(stdout, /webgpu\s+FAIL\s+–\s+–\s+no WebGPU adapter/);
});

test('doctor exits 1 with one stderr line when no provider passes, still printing the report', async () => {
  const allFail = { ...FAKE_REPORT, providers: [{ name: 'cpu', ok: false, reason: 'broken' }] };
  const { code, stdout, stderr } = await cli(['doctor', '--json'], fakeServices({ runDoctor: async () => allFail }));
  assert.equal(code, EXIT_FAILED);
  assert.deepEqual(JSON.parse(stdout), allFail);
  assert.equal(lines(stderr).at(-1), 'taskpack doctor: no execution provider passed the self-test');
});

test('doctor exits 1 when the gradient check fails', async () => {
  const badGradients = { ...FAKE_REPORT, gradientCheck: { relErr: 0.3, ok: false } };
  const { code, stdout, stderr } = await cli(['doctor', '--json'], fakeServices({ runDoctor: async () => badGradients }));
  assert.equal(code, EXIT_FAILED);
  assert.deepEqual(JSON.parse(stdout), badGradients);
  assert.equal(lines(stderr).at(-1), 'taskpack doctor: the gradient check failed (relative error 3.0e-1)');
});

test('doctor progress goes to stderr, never stdout', async () => {
  const chatty = fakeServices({
    runDoctor: async (options) => {
      options?.log?.('gradient check…');
      return FAKE_REPORT;
    },
  });
  const { code, stdout, stderr } = await cli(['doctor', '--json'], chatty);
  assert.equal(code, EXIT_OK);
  assert.deepEqual(JSON.parse(stdout), FAKE_REPORT);
  assert.equal(stderr, 'doctor: gradient check…\n');
});

test('a throwing service exits 1 with a one-line error and nothing on stdout', async () => {
  const services = fakeServices({ runDoctor: async () => Promise.reject(new Error('no ORT here\nstack…')) });
  const { code, stdout, stderr } = await cli(['doctor', '--json'], services);
  assert.equal(code, EXIT_FAILED);
  assert.equal(stdout, '');
  assert.equal(lines(stderr).at(-1), 'taskpack doctor: no ORT here');
});

test('unknown commands, unknown flags and stray arguments exit 2 with one stderr line naming the usage', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate', '--json'], new RegExp(`^taskpack: unknown command 'frobnicate' \\(one of: ${COMMAND_NAMES.join(', ')}; run 'taskpack --help'\\)$`)],
    [['doctor', '--bogus'], /^taskpack doctor: unknown option '--bogus' \(usage: taskpack doctor \[--json\]\)$/],
    [['doctor', 'extra'], /^taskpack doctor: unexpected argument 'extra'/],
    [['serve', '--port', 'http'], /^taskpack serve: --port must be an integer .* \(usage: taskpack serve \[--port P\] \[--json\]\)$/],
    [['serve', '--port'], /^taskpack serve: .*argument missing/],
    [[], /^taskpack: missing command/],
  ];
  for (const [argv, message] of cases) {
    const { code, stdout, stderr } = await cli(argv);
    assert.equal(code, EXIT_USAGE, argv.join(' '));
    assert.equal(stdout, '', argv.join(' '));
    assert.equal(lines(stderr).length, 1, `one line for ${argv.join(' ')}: ${stderr}`);
    assert.match(stderr.trim(), message);
  }
});

test('--help lists the commands; with --json as one document', async () => {
  const text = await cli(['--help']);
  assert.equal(text.code, EXIT_OK);
  assert.match(text.stdout, /doctor\s+versions/);
  assert.match(text.stdout, /serve \[--port P\]/);
  const doc = await cli(['--help', '--json']);
  assert.deepEqual(JSON.parse(doc.stdout).commands.map((c: { name: string }) => c.name), COMMAND_NAMES);
});

test('--help fits one screen 80 columns wide: usages wrapped at spaces outside brackets, every word of each still there', async () => {
  const text = (await cli(['--help'])).stdout.trimEnd();
  const rows = text.split('\n');
  assert.ok(rows.every((l) => l.length <= HELP_WIDTH), `widest line ${Math.max(...rows.map((l) => l.length))}`);
  assert.ok(rows.length <= 45, `${rows.length} lines`);
  const words = (t: string) => t.split(/\s+/).join(' ').replaceAll('| ', '|'); // a long [a|b|…] group breaks after a |
  for (const c of COMMANDS) assert.ok(words(text).includes(words(`${c.name} ${c.synopsis}`.trim())), `${c.name}'s usage`);
  assert.deepEqual(wrap('train --train FILE [--method a|b|c] [--seed N] --out PACK', 24), ['train --train FILE', '[--method a|b|c]', '[--seed N] --out PACK']);
  assert.deepEqual(wrap('x [a very long group that cannot fit] y', 10), ['x', '[a very long group that cannot fit]', 'y']);
  assert.deepEqual(wrap('x [--method alpha|beta|gamma] y', 20), ['x [--method alpha|', 'beta|gamma] y']);
});

test('real CLI: unknown command exits non-zero with exactly one stderr line', async () => {
  const run = await runRealCli(['frobnicate', '--json']);
  assert.notEqual(run.code, 0);
  assert.equal(run.stdout, '');
  assert.deepEqual(lines(run.stderr), [`taskpack: unknown command 'frobnicate' (one of: ${COMMAND_NAMES.join(', ')}; run 'taskpack --help')`]);
});

test('real CLI: serve --json --port 0 prints one JSON document, serves with a CSP, exits 0 on SIGTERM', async () => {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-home-'));
  const child = spawn(process.execPath, [...cliCommand(), 'serve', '--json', '--port', '0'], {
    cwd: projectRoot(),
    env: { ...process.env, TASKPACK_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    while (!stdout.includes('\n')) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(child.exitCode, null, 'serve exited early');
    }
    const { url, port, token } = JSON.parse(stdout) as { url: string; port: number; token: string };
    assert.equal(url, `http://127.0.0.1:${port}/#token=${token}`);
    const callInfo = (headers: Record<string, string>) => fetch(new URL('/api/app:info', url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    assert.equal((await callInfo({})).status, 401, 'no token, no service');
    const api = await callInfo({ 'x-taskpack-token': token });
    assert.equal(api.status, 200);
    assert.equal(((await api.json()) as { value: { name: string } }).value.name, 'TaskPack Studio');
    if (existsSync(join(projectRoot(), 'dist', 'renderer', 'index.html'))) {
      const page = await fetch(url);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(lines(stdout).length, 1, 'exactly one JSON document');
  } finally {
    child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});

const DOCTOR_BUILD = join(projectRoot(), 'dist', 'src-main', 'selftest', 'doctor.js');
const CLI_BUILD = join(projectRoot(), 'dist', 'src-main', 'cli', 'main.js');
const realDoctorSkip =
  existsSync(DOCTOR_BUILD) && existsSync(CLI_BUILD)
    ? false
    : 'dist/src-main/selftest/doctor.js is not built yet (selftest/doctor.ts lands separately; run `npm run build`)';

test('real CLI end to end: taskpack doctor --json with the real self-test', { skip: realDoctorSkip, timeout: 300_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-home-'));
  try {
    const run = await runRealCli(['doctor', '--json'], { TASKPACK_HOME: home }, 280_000);
    assert.equal(lines(run.stdout).length, 1, `one JSON document; stderr: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as typeof FAKE_REPORT;
    assert.equal(typeof report.ort, 'string');
    assert.equal(report.node, process.versions.node);
    assert.ok(Array.isArray(report.providers) && report.providers.length > 0);
    for (const p of report.providers) assert.equal(typeof p.ok, 'boolean', p.name);
    const cpu = report.providers.find((p) => p.name.toLowerCase().startsWith('cpu'));
    assert.ok(cpu?.ok, `the CPU provider passes: ${JSON.stringify(cpu)}`);
    assert.equal(run.code, 0);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
