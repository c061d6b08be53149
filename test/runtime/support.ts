/**
 * Shared bits of the runtime tests: whether WebGPU works here, and how to start a child
 * Node that loads the runtime the same way this test does (tsx or compiled dist/).
 */
import { detectProviders, type ProviderStatus } from '../../src-main/runtime/index.js';

let webgpu: Promise<ProviderStatus> | undefined;

/** The WebGPU probe's result, computed once per test process. */
export function webgpuStatus(): Promise<ProviderStatus> {
  webgpu ??= detectProviders().then((all) => all.find((p) => p.name === 'webgpu') ?? { name: 'webgpu', ok: false, reason: 'not listed' });
  return webgpu;
}

/**
 * undefined when WebGPU works; else the skip message. Under CI (CI=true) or with
 * TASKPACK_REQUIRE_WEBGPU=1 a missing adapter is an error, not a skip: .ci/run installs
 * lavapipe, so a skip there would hide a broken install.
 */
export async function webgpuSkipReason(): Promise<string | undefined> {
  const s = await webgpuStatus();
  if (s.ok) return undefined;
  const msg = `no WebGPU adapter here (${s.reason ?? 'unknown'}); install mesa-vulkan-drivers from bookworm-backports (see .ci/run)`;
  if (process.env.CI === 'true' || process.env.TASKPACK_REQUIRE_WEBGPU === '1') throw new Error(msg);
  return msg;
}

/** The file extension this test runs from: '.ts' under tsx, '.js' from dist/. */
export const SOURCE_EXT = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname) ? '.ts' : '.js';

/** URL of a runtime module as this process would load it. */
export function runtimeModuleUrl(name: string): string {
  return new URL(`../../src-main/runtime/${name}${SOURCE_EXT}`, import.meta.url).href;
}

/** This process's loader flags (e.g. --import tsx), without the test runner's own. */
export function loaderExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--test'));
}
