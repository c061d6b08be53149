/**
 * Where a phase's training step really runs: the provider its session was opened on (and
 * why, if not wholly the requested one), where the state lives between steps, and the dev
 * evaluator's provider. A silent CPU fallback still trains correctly, only slower, so a run
 * says so instead of leaving it to be guessed from the speed.
 */
import type { HostStepLoop, ProviderName } from '../runtime/index.js';

export interface DeviceReport {
  requested: ProviderName;
  provider: ProviderName;
  /** Why the step does not run wholly on the requested provider (the whole session, or some nodes, on the CPU). */
  fallback?: string;
  /** Where the state tensors are: 'cpu' or 'gpu-buffer' ('cpu+gpu-buffer' if split). Meaningful after a step. */
  stateLocation: string;
  /** Where the inputs fed unchanged every step (frozen weights, masks) are held; absent when there are none. */
  fixedLocation?: string;
  evalProvider: ProviderName;
}

/** Read after the loop's first step: before it, the state is still the host's initial arrays. */
export function deviceReport(loop: HostStepLoop, evalProvider: ProviderName): DeviceReport {
  const info = loop.info();
  const fallback = info.fallbackReason ?? info.partialFallback;
  const where = (locations: Record<string, string>) => [...new Set(Object.values(locations))].sort().join('+');
  const fixedLocation = where(loop.fixedLocations());
  return {
    requested: info.requested, provider: info.provider, ...(fallback ? { fallback } : {}), stateLocation: where(loop.stateLocations()),
    ...(fixedLocation ? { fixedLocation } : {}), evalProvider,
  };
}
