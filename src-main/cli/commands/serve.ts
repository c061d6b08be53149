/** `taskpack serve`: the dev host (renderer + API) on loopback until interrupted. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDevHost } from '../../devhost/server.js';
import { createHandlers } from '../../ipc/handlers.js';
import { rendererDistDir } from '../../paths.js';
import { UsageError, type CommandSpec } from '../command.js';

export const DEFAULT_PORT = 5217;

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'the dev host: renderer + API on 127.0.0.1',
  synopsis: '[--port P]',
  options: { port: { type: 'string', short: 'p' } },
  async run(ctx, values) {
    const port = parsePort(values.port);
    const rendererDir = rendererDistDir();
    if (!existsSync(join(rendererDir, 'index.html'))) {
      ctx.log('serve: the renderer is not built (run `npm run build:renderer`); serving the API only');
    }
    const host = await startDevHost({ handlers: createHandlers(ctx.services), port, rendererDir, log: ctx.log, downloads: ctx.services.takeDownload, uploads: ctx.services.uploadPath });
    // The open server keeps the process alive; a signal closes it (running trainings
    // checkpoint first) and lets the process exit 0.
    const stop = () => {
      ctx.log('serve: stopping (running trainings checkpoint first)…');
      void host.close().then(() => ctx.services.close?.());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return {
      value: { url: host.url, port: host.port, token: host.token },
      human: `TaskPack Studio dev host on ${host.url}\n(open that URL: its token lets the page call the services; Ctrl-C to stop)`,
    };
  },
};

function parsePort(raw: unknown): number {
  if (raw === undefined) return DEFAULT_PORT;
  const port = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${String(raw)}'`);
  }
  return port;
}
