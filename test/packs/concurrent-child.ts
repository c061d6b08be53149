/**
 * Child for the concurrency test: one writer of a shared pack store, through the CLI's code
 * path (`taskpack pack install|uninstall`, runCli in-process) or the app's (the services the
 * dev host and Electron call). It installs each of its packs, then uninstalls every other one.
 * argv: cli|app, home, then the pack files. Prints the ids it uninstalled, as JSON, at the end.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createAppServices } from '../../src-main/app-services.js';
import { runCli } from '../../src-main/cli/run.js';

const [role, home, ...files] = process.argv.slice(2);
// Started without arguments (e.g. picked up by a test runner scanning test/): nothing to do.
if (!role || files.length === 0) process.exit(0);

const app = createAppServices(home);
async function cli(...argv: string[]): Promise<{ installed?: { id: string } }> {
  let out = '', err = '';
  const code = await runCli([...argv, '--json'], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } }, { services: () => app, env: { TASKPACK_HOME: home } });
  if (code !== 0) throw new Error(`taskpack ${argv.join(' ')}: ${err}`);
  return JSON.parse(out) as { installed?: { id: string } };
}
const install = async (file: string) => role === 'cli' ? (await cli('pack', 'install', file)).installed!.id
  : (await app.installPack(basename(file), new Uint8Array(readFileSync(file)))).pack.id;
const uninstall = async (id: string) => { if (role === 'cli') await cli('pack', 'uninstall', id); else await app.uninstallPack(id); };

const ids: string[] = [];
for (const f of files) ids.push(await install(f));
const removed = ids.filter((_, i) => i % 2 === 0);
for (const id of removed) await uninstall(id);
await app.close?.();
process.stdout.write(`${JSON.stringify(removed)}\n`);
