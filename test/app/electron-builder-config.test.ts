/**
 * electron-builder cannot package here (no Electron binary), so check its config the way
 * it would: load electron-builder.yml and validate it against electron-builder's schema.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../src-main/paths.js';

type Config = Record<string, unknown> & { files?: Array<{ filter?: string[] }>; asarUnpack?: string[] };
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Config>;
  validateConfiguration(config: Config, debugLogger: unknown): Promise<void>;
}

const require = createRequire(join(projectRoot(), 'package.json'));

function loadBuilder(): { config: ConfigModule; DebugLogger: new (enabled: boolean) => unknown } | null {
  try {
    return {
      config: require('app-builder-lib/out/util/config/config.js') as ConfigModule,
      DebugLogger: (require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown }).DebugLogger,
    };
  } catch {
    return null;
  }
}

const builder = loadBuilder();

test('electron-builder.yml is valid for the installed electron-builder', { skip: builder ? false : 'electron-builder internals not found' }, async () => {
  const { config: configModule, DebugLogger } = builder!;
  const config = await configModule.getConfig(projectRoot(), null, null);
  await configModule.validateConfiguration(config, new DebugLogger(false));
  assert.equal(config.productName, 'TaskPack Studio');
  const files = config.files?.flatMap((set) => set.filter ?? []) ?? [];
  for (const pattern of ['package.json', 'dist/src-main/**', 'dist/renderer/**', 'resources/**']) assert.ok(files.includes(pattern), pattern);
  assert.ok(config.asarUnpack?.includes('node_modules/onnxruntime-node/bin/**'));
  const targets = (key: string) => JSON.stringify((config[key] as { target?: unknown }).target);
  assert.match(targets('linux'), /AppImage/);
  assert.match(targets('linux'), /deb/);
  assert.match(targets('win'), /nsis/);
  assert.match(targets('mac'), /dmg/);
});
