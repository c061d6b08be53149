/**
 * Channel handlers as plain functions: validate the (untrusted) arguments, call a service,
 * wrap the outcome as an IpcResult. No electron import: Electron's ipcMain wiring
 * (electron-bridge.ts) and the dev host (devhost/server.ts) both reuse these.
 */
import type { ArgsOf, Channel, IpcErrorCode, IpcResult, ResultOf, UploadedFile } from './contract.js';
import { freemem } from 'node:os';
import { CHANNELS, isChannel } from './contract.js';
import { ARG_SCHEMAS, describeIssues } from './schemas.js';
import type { FileBytes } from '../data/uploaded.js';
import type { Services } from './services.js';

const decodeFile = (f: UploadedFile): FileBytes => ({ fileName: f.fileName, bytes: new Uint8Array(Buffer.from(f.data, 'base64')) });

type Implementations = {
  readonly [C in Channel]: (args: ArgsOf<C>, services: Services) => ResultOf<C> | Promise<ResultOf<C>>;
};

const IMPLEMENTATIONS: Implementations = {
  'app:info': (_args, services) => services.appInfo(),
  'system:doctor': (_args, services) => services.runDoctor(),
  'packs:list': (_args, services) => services.listPacks(),
  'packs:install': (args, services) => services.installPack(args.fileName, new Uint8Array(Buffer.from(args.data, 'base64'))),
  'packs:uninstall': async (args, services) => ({ pack: await services.uninstallPack(args.id) }),
  'packs:activate': (args, services) => services.activatePack(args.id),
  'packs:export': async (args, services) => {
    const { fileName, bytes } = await services.exportPack(args.id);
    return { fileName, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  },
  'packs:export-model': (args, services) => services.exportModel(args.id, args.format),
  'packs:predict': (args, services) => services.predict(args.id, args.inputs),
  'packs:evaluate': (args, services) => services.evaluatePack(args.id, decodeFile(args.file), args.glue),
  'packs:anatomy': (args, services) => services.packAnatomy(args.id),
  'packs:compare': (args, services) => services.comparePacks(args.a, args.b),
  'trust:get': (_args, services) => services.trustSettings(),
  'trust:add-key': (args, services) => services.addTrustedKey(args.name, args.publicKey),
  'trust:remove-key': (args, services) => services.removeTrustedKey(args.fingerprint),
  'trust:require-signature': (args, services) => services.requireSignature(args.required),
  'storage:compare': (args, services) => services.compareStorage(args.tasks),
  'bases:list': async (_args, services) => ({ bases: await services.listBases(), freeMemoryBytes: freemem() }),
  'bases:import-upload': async (args, services) => ({ base: await services.importUploadedBase(args.uploadId, args.id) }),
  'bases:import-folder': async (args, services) => ({ base: await services.importBaseFolder(args.id) }),
  'bases:remove': async (args, services) => {
    await services.removeBase(args.id);
    return { id: args.id };
  },
  'data:inspect': ({ file, ...choices }, services) => services.inspectData(decodeFile(file), choices),
  'train:start': ({ train, dev, ...choices }, services) =>
    services.startTraining({ ...choices, train: decodeFile(train), ...(dev ? { dev: decodeFile(dev) } : {}) }),
  'train:compare': ({ train, dev, runs, ...choices }, services) =>
    services.compareMethods({ ...choices, train: decodeFile(train), ...(dev ? { dev: decodeFile(dev) } : {}) }, runs),
  'train:compare-status': (args, services) => services.compareStatus(args.queueId),
  'train:status': (args, services) => services.trainingStatus(args.runId, args.cursor),
  'train:cancel': (args, services) => services.cancelTraining(args.runId),
  'train:resume': (args, services) => services.resumeTraining(args.runId),
  'train:list': async (_args, services) => ({ runs: await services.listTraining() }),
  'train:remove': async (args, services) => { await services.removeTraining(args.runId); return { runId: args.runId }; },
  'train:explore': (args, services) => services.exploreSparsity(args.runId, args.targets, args.steps),
  'train:install-explored': (args, services) => services.installExplored(args.runId, args.sparsity),
};

export type Handler<C extends Channel> = (rawArgs: unknown) => Promise<IpcResult<ResultOf<C>>>;
export type HandlerTable = { readonly [C in Channel]: Handler<C> };

export function ipcFailure(code: IpcErrorCode, message: string): { ok: false; error: { code: IpcErrorCode; message: string } } {
  return { ok: false, error: { code, message } };
}

function makeHandler<C extends Channel>(channel: C, services: Services): Handler<C> {
  const schema = ARG_SCHEMAS[channel];
  const implementation = IMPLEMENTATIONS[channel] as Implementations[C];
  return async (rawArgs) => {
    const parsed = schema.safeParse(rawArgs);
    if (!parsed.success) {
      return ipcFailure('invalid-args', `invalid arguments for ${channel}: ${describeIssues(parsed.error)}`);
    }
    try {
      return { ok: true, value: await implementation(parsed.data, services) };
    } catch (err) {
      return ipcFailure('failed', `${channel} failed: ${errorLine(err)}`);
    }
  };
}

export function createHandlers(services: Services): HandlerTable {
  const table = {} as Record<Channel, Handler<Channel>>;
  for (const channel of CHANNELS) table[channel] = makeHandler(channel, services);
  return Object.freeze(table) as HandlerTable;
}

/** Routes a channel name that came from outside (IPC, HTTP path) to its handler. */
export function dispatch(handlers: HandlerTable, channel: string, rawArgs: unknown): Promise<IpcResult<unknown>> {
  if (!isChannel(channel)) return Promise.resolve(ipcFailure('unknown-channel', `unknown channel: ${channel.slice(0, 64)}`));
  return handlers[channel](rawArgs);
}

/** First line of an error's message: errors cross to the UI, stacks stay in the main process. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0] || 'unknown error';
}
