/** Shared fixtures for the app-shell tests: fake services, raw HTTP, running the real CLI. */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import type { AppInfo, DoctorReport } from '../../src-main/ipc/contract.js';
import type { Services } from '../../src-main/ipc/handlers.js';
import { projectRoot } from '../../src-main/paths.js';

export const FAKE_REPORT: DoctorReport = {
  ort: '1.30.0',
  node: '20.20.2',
  gradientCheck: { relErr: 2.4e-9, ok: true },
  providers: [
    { name: 'cpu', ok: true, stepMs: 12.34, maxRelErr: 3.1e-7 },
    { name: 'webgpu', ok: false, reason: 'no WebGPU adapter on this machine' },
  ],
};

export const FAKE_APP_INFO: AppInfo = {
  name: 'TaskPack Studio',
  version: '0.1.0',
  node: '20.20.2',
  platform: 'linux',
  arch: 'x64',
  electron: null,
  chrome: null,
};

export function fakeServices(overrides: Partial<Services> = {}): Services & { doctorCalls: number } {
  const services = {
    doctorCalls: 0,
    appInfo: () => FAKE_APP_INFO,
    async runDoctor() {
      services.doctorCalls++;
      return FAKE_REPORT;
    },
    ...overrides,
  };
  return services;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch: fetch forbids setting Host, which these tests must forge. */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** True when this test file runs compiled (dist/test) rather than from source under tsx. */
export const RUNNING_COMPILED = import.meta.url.endsWith('.js');

/** argv prefix that runs the real CLI: the bin when compiled, the TypeScript entry otherwise. */
export function cliCommand(): string[] {
  const root = projectRoot();
  return RUNNING_COMPILED ? [join(root, 'bin', 'taskpack.js')] : ['--import', 'tsx', join(root, 'src-main', 'cli', 'main.ts')];
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runRealCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliCommand(), ...args], {
      cwd: projectRoot(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
