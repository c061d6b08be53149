/**
 * Electron main process: thin wiring only. The renderer is untrusted: it runs sandboxed
 * and context-isolated without Node, is served from disk over a private app:// scheme
 * with a strict CSP, may not navigate, open windows, reach the network or get any
 * permission, and talks to the services only through the validated IPC handlers.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppServices } from './app-services.js';
import { attachment, DOWNLOAD_PREFIX } from './export/downloads.js';
import { registerIpcHandlers } from './ipc/electron-bridge.js';
import { utilityProcessJob } from './ipc/electron-job-process.js';
import { createHandlers } from './ipc/handlers.js';
import type { Services } from './ipc/services.js';
import { rendererDistDir, userDataDir } from './paths.js';
import { resolveRendererFile } from './renderer-files.js';
import { rendererSecurityHeaders } from './security/csp.js';
import { windowPreferences } from './security/web-preferences.js';
import { setJobLauncher } from './train/job-process.js';

const SCHEME = 'app';
const HOST = 'renderer';
const ENTRY_URL = `${SCHEME}://${HOST}/index.html`;
const HERE = dirname(fileURLToPath(import.meta.url));
let services: Services;

// Before `ready`: a standard, secure scheme gives the renderer a real origin (not file://),
// which ES module scripts (loaded in CORS mode, vite adds `crossorigin`) need.
protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);
app.setPath('userData', userDataDir()); // the CLI and the app share one user-data directory
app.enableSandbox(); // every renderer sandboxed, whatever a window asks for

function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${SCHEME}:` && url.host === HOST;
  } catch {
    return false;
  }
}

async function serveRendererFile(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host === HOST && request.method === 'GET' && url.pathname.startsWith(DOWNLOAD_PREFIX)) return serveDownload(url.pathname.slice(DOWNLOAD_PREFIX.length));
  const file = url.host === HOST && request.method === 'GET' ? resolveRendererFile(rendererDistDir(), url.pathname) : null;
  if (!file) return new Response('not found', { status: 404 });
  return new Response(await readFile(file.path), {
    headers: { ...rendererSecurityHeaders(), 'Content-Type': file.contentType },
  });
}

/** A prepared model zip (export/downloads.ts), once: Electron's download manager asks where to save it. */
function serveDownload(ticket: string): Response {
  const download = services.takeDownload?.(ticket);
  if (!download) return new Response('no such download', { status: 404 });
  const file = createReadStream(download.path);
  file.once('close', download.done);
  return new Response(Readable.toWeb(file) as ReadableStream<Uint8Array>, {
    headers: { 'Content-Type': 'application/zip', 'Content-Length': String(download.bytes), 'Content-Disposition': attachment(download.fileName) },
  });
}

/** Only the top frame of our own page may call IPC handlers. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAppUrl(frame.url);
}

function lockDownContents(contents: WebContents): void {
  // The UI is a single page: any navigation is either a bug or an attack.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // No remote content: only our own scheme (and devtools) may be fetched at all; blob URLs
  // our page made itself (saved predictions) may be downloaded.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ours = isAppUrl(details.url) || details.url.startsWith(`blob:${SCHEME}://${HOST}/`) || details.url.startsWith('devtools://');
    callback({ cancel: !ours });
  });
}

async function createWindow(): Promise<BrowserWindow> {
  const window = new BrowserWindow({
    width: 1120,
    height: 760,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'TaskPack Studio',
    backgroundColor: '#f5f6f8',
    webPreferences: windowPreferences(join(HERE, 'preload.cjs'), app.isPackaged),
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(ENTRY_URL);
  return window;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await app.whenReady();
  // Training runs in utility processes: the packaged binary cannot fork itself as Node (runAsNode fuse off).
  setJobLauncher(utilityProcessJob);
  // Importing a base: the folder is chosen here, in the main process; the renderer never names a path.
  services = createAppServices(undefined, {
    async pickFolder() {
      const r = await dialog.showOpenDialog({ title: 'Import a Hugging Face BERT folder', properties: ['openDirectory'] });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  });
  protocol.handle(SCHEME, serveRendererFile);
  lockDownSession();
  registerIpcHandlers(ipcMain, createHandlers(services), isTrustedSender);
  // Quitting mid-training: let each run checkpoint (a few seconds at most) so resume loses nothing.
  let closed = false;
  app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    void services.close?.().finally(() => {
      closed = true;
      app.quit();
    });
  });
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
}
