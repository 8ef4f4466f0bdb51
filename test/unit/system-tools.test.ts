// The test command's own provisioning (test/support/global-setup.ts): install what it can, skip what it
// cannot with one loud line, and under CI=true skip nothing.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_TOOLS, isPresent, onPath, planProvisioning, skippedLine } from '../support/global-setup.js';

const [redis, chromium] = SYSTEM_TOOLS as [(typeof SYSTEM_TOOLS)[number], (typeof SYSTEM_TOOLS)[number]];

describe('planProvisioning', () => {
  it('does nothing when nothing is missing, CI or not', () => {
    expect(planProvisioning({ missing: [], canInstall: false, ci: true })).toEqual({ install: [], skip: [] });
  });

  it('installs what is missing when it may, first', () => {
    expect(planProvisioning({ missing: [redis, chromium], canInstall: true, ci: true })).toEqual({
      install: ['redis-server', 'chromium'],
      skip: [],
    });
  });

  it('skips the suites of what it could not provide, outside CI', () => {
    expect(planProvisioning({ missing: [chromium], canInstall: false, ci: false })).toEqual({
      install: [],
      skip: ['chromium'],
    });
    expect(planProvisioning({ missing: [redis], canInstall: true, ci: false, installed: false })).toEqual({
      install: [],
      skip: ['redis-server'],
    });
  });

  it('fails under CI=true, naming what is missing and what cannot run', () => {
    expect(planProvisioning({ missing: [redis], canInstall: false, ci: true }).failure).toBe(
      'CI=true and redis-server missing (not installed: not root, no apt-get, or TEST_PROVISION=never): the Redis suites (test/cache/redis-cache, two-tier-cache and fleet-quota, test/e2e/fleet) cannot run, and CI skips nothing',
    );
    expect(
      planProvisioning({ missing: [redis, chromium], canInstall: true, ci: true, installed: false }).failure,
    ).toBe(
      'CI=true and redis-server and chromium missing after apt-get install: the Redis suites (test/cache/redis-cache, two-tier-cache and fleet-quota, test/e2e/fleet) and test/e2e/graphiql-browser.test.ts cannot run, and CI skips nothing',
    );
  });
});

it('says what did not run and how to get it', () => {
  expect(skippedLine(['chromium'])).toBe(
    'NOT RUN: test/e2e/graphiql-browser.test.ts, for want of chromium. Install it (apt-get install chromium; ' +
      'npm test does so itself when run as root on Debian or Ubuntu; or set CHROMIUM_PATH), then run npm test ' +
      'again. With CI=true a missing program fails the run instead.',
  );
  expect(skippedLine(['chromium', 'redis-server'])).toMatch(
    /^NOT RUN: the Redis suites \(test\/cache\/redis-cache, two-tier-cache and fleet-quota, test\/e2e\/fleet\) and test\/e2e\/graphiql-browser.test.ts, for want of redis-server and chromium\. Install them \(apt-get install redis-server chromium;/,
  );
});

it('finds programs on PATH and Chromium at CHROMIUM_PATH, executables only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'system-tools-'));
  try {
    const program = join(dir, 'redis-server');
    writeFileSync(program, '#!/bin/sh\n');
    chmodSync(program, 0o644);
    expect(onPath('redis-server', { PATH: `/nonexistent:${dir}` })).toBe(false);
    chmodSync(program, 0o755);
    expect(onPath('redis-server', { PATH: `/nonexistent:${dir}` })).toBe(true);
    expect(isPresent('redis-server', { PATH: '/nonexistent' })).toBe(false);
    expect(isPresent('chromium', { CHROMIUM_PATH: program })).toBe(true);
    expect(isPresent('chromium', { CHROMIUM_PATH: join(dir, 'no-chromium') })).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
