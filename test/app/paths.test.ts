/** TASKPACK_HOME and the per-platform default user-data directory. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { projectRoot, rendererDistDir, userDataDir } from '../../src-main/paths.js';

test('TASKPACK_HOME wins on every platform, resolved to an absolute path', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    assert.equal(userDataDir({ TASKPACK_HOME: '/data/tp' }, platform, '/home/u'), '/data/tp');
  }
  assert.equal(userDataDir({ TASKPACK_HOME: 'rel/dir' }, 'linux', '/home/u'), resolve('rel/dir'));
  assert.equal(userDataDir({ TASKPACK_HOME: '  ' }, 'linux', '/home/u'), '/home/u/.config/taskpack-studio', 'blank is unset');
});

test('defaults follow the platform app-data conventions', () => {
  assert.equal(userDataDir({}, 'linux', '/home/u'), '/home/u/.config/taskpack-studio');
  assert.equal(userDataDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/u'), '/xdg/taskpack-studio');
  assert.equal(userDataDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.config/taskpack-studio', 'XDG requires absolute');
  assert.equal(userDataDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/taskpack-studio');
  assert.equal(userDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'), join('C:\\Users\\u\\AppData\\Roaming', 'taskpack-studio'));
});

test('projectRoot finds the package from source and from dist', () => {
  assert.ok(existsSync(join(projectRoot(), 'package.json')));
  assert.equal(rendererDistDir(), join(projectRoot(), 'dist', 'renderer'));
});
