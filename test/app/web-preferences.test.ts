/** The app window's webPreferences (main.ts passes app.isPackaged): DevTools only in development builds, the sandbox always. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowPreferences } from '../../src-main/security/web-preferences.js';

test('a packaged build has no DevTools; a development build has them; both keep the sandbox and isolation', () => {
  const packaged = windowPreferences('/app/preload.cjs', true), dev = windowPreferences('/app/preload.cjs', false);
  assert.equal(packaged.devTools, false);
  assert.equal(dev.devTools, true);
  for (const p of [packaged, dev]) {
    assert.equal(p.preload, '/app/preload.cjs');
    assert.deepEqual([p.contextIsolation, p.sandbox, p.nodeIntegration, p.nodeIntegrationInSubFrames, p.webviewTag], [true, true, false, false, false]);
  }
});
