/**
 * The runtime channel lists (contract, schemas, handlers, preload) agree with each other
 * and with the IpcContract type, and the preload runs under sandbox rules: CommonJS,
 * requiring nothing but `electron`, exposing only `invoke` limited to the list.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import type { Channel, IpcContract, TaskpackBridge } from '../../src-main/ipc/contract.js';
import { CHANNELS, isChannel, MODEL_FORMATS, TRAIN_METHODS } from '../../src-main/ipc/contract.js';
import { EXPORT_FORMATS } from '../../src-main/export/export-model.js';
import { createHandlers } from '../../src-main/ipc/handlers.js';
import { ARG_SCHEMAS } from '../../src-main/ipc/schemas.js';
import { projectRoot } from '../../src-main/paths.js';
import { METHODS } from '../../src-main/train/methods.js';
import { fakeServices } from './helpers.js';

// Type-level: the list covers IpcContract exactly (a mismatch fails to compile).
type Listed = (typeof CHANNELS)[number];
const exact: [Exclude<keyof IpcContract, Listed>, Exclude<Listed, keyof IpcContract>] extends [never, never] ? true : false = true;

test('CHANNELS lists every contract channel once', () => {
  assert.equal(exact, true);
  assert.deepEqual([...new Set(CHANNELS)], [...CHANNELS], 'no duplicates');
  for (const channel of CHANNELS) assert.match(channel, /^[a-z]+:[a-z-]+$/, `channel name ${channel}`);
});

test('schemas and handlers exist for exactly the listed channels', () => {
  assert.deepEqual(Object.keys(ARG_SCHEMAS).sort(), [...CHANNELS].sort());
  assert.deepEqual(Object.keys(createHandlers(fakeServices())).sort(), [...CHANNELS].sort());
});

// Type-level too: the wizard's methods are the trainer's, both ways.
type SameMembers<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMethods: SameMembers<(typeof TRAIN_METHODS)[number], (typeof METHODS)[number]> = true;
const sameFormats: SameMembers<(typeof MODEL_FORMATS)[number], (typeof EXPORT_FORMATS)[number]> = true;

test("the channels' methods are the trainer's, their model formats the exporter's", () => {
  assert.equal(sameMethods, true);
  assert.deepEqual([...TRAIN_METHODS].sort(), [...METHODS].sort());
  assert.equal(sameFormats, true);
  assert.deepEqual([...MODEL_FORMATS].sort(), [...EXPORT_FORMATS].sort());
});

test('isChannel accepts listed names only', () => {
  for (const channel of CHANNELS) assert.equal(isChannel(channel), true);
  for (const name of ['', 'app', 'app:info ', 'toString', '__proto__', 'system:DOCTOR']) assert.equal(isChannel(name), false, name);
});

/** Runs the preload source the way a sandboxed renderer does: a CommonJS function body. */
function loadPreload() {
  const source = readFileSync(join(projectRoot(), 'src-main', 'preload.cts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const exposed: Record<string, unknown> = {};
  const forwarded: Array<{ channel: string; args: unknown }> = [];
  const required: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (channel: string, args: unknown) => {
        forwarded.push({ channel, args });
        return { ok: true, value: channel };
      },
    },
  };
  const require = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require '${name}'`);
    return electron;
  };
  const module = { exports: {} };
  runInNewContext(outputText, { require, module, exports: module.exports, Promise, Object, String });
  return { exposed, forwarded, required };
}

test('preload exposes only invoke, limited to CHANNELS, requiring only electron', async () => {
  const { exposed, forwarded, required } = loadPreload();
  assert.deepEqual(required, ['electron']);
  assert.deepEqual(Object.keys(exposed), ['taskpack']);
  const bridge = exposed.taskpack as TaskpackBridge;
  assert.deepEqual(Object.keys(bridge), ['invoke']);
  assert.ok(Object.isFrozen(bridge));

  for (const channel of CHANNELS) {
    const result = await bridge.invoke(channel, {});
    assert.deepEqual(result, { ok: true, value: channel });
  }
  assert.deepEqual(forwarded.map((f) => f.channel), [...CHANNELS], 'preload allows every listed channel');

  for (const bad of ['app:quit', 'toString', 42]) {
    const result = await bridge.invoke(bad as Channel, {});
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'unknown-channel');
  }
  assert.equal(forwarded.length, CHANNELS.length, 'nothing outside the list reached ipcRenderer');
});
