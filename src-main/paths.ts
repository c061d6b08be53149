/**
 * Every filesystem location the app uses, resolved in one place so the CLI, the dev host
 * and Electron agree (Electron's userData is pointed at `userDataDir()` in main.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory name under the platform's application-data directory. */
export const APP_DIR_NAME = 'taskpack-studio';
const PACKAGE_NAME = 'taskpack-studio';

/**
 * The user-data directory (bases, packs, runs). `TASKPACK_HOME` wins so tests and scripts
 * can work in a directory of their own; otherwise the platform's app-data directory.
 */
export function userDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const override = env.TASKPACK_HOME?.trim();
  if (override) return resolve(override);
  if (platform === 'win32') {
    return join(env.APPDATA || join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_NAME);
  // Linux and other Unixes follow the XDG base-directory spec, as Electron does.
  const configHome = env.XDG_CONFIG_HOME?.trim();
  return join(configHome && configHome.startsWith('/') ? configHome : join(home, '.config'), APP_DIR_NAME);
}

let cachedRoot: string | undefined;

/**
 * The project (or packaged app) root: the nearest ancestor holding our package.json.
 * Walking up works from src-main/ under tsx, from dist/src-main/ and inside app.asar.
 */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** The package version from package.json. */
export function appVersion(): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? '0.0.0';
}

/** Where `vite build` writes the renderer (see src-renderer/vite.config.ts). */
export function rendererDistDir(): string {
  return join(projectRoot(), 'dist', 'renderer');
}
