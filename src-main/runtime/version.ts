import { ort } from './ort.js';

/** The onnxruntime-node version in use. */
export const ortVersion = (): string => ort.env.versions?.common ?? 'unknown';
