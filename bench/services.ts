// What the benchmark's tools share: starting the emulator, the gateway and the baselines as processes,
// the emulator's controls, and the operations of the workloads.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startProdFlags } from '../test/support/built-gateway.js';

const here = dirname(fileURLToPath(import.meta.url));
export const root = dirname(here);

export interface Service {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

// The node flags of `npm start` (its `start:prod` script), so the heap limit measured is the shipped one.
const GATEWAY_ARGS = [...startProdFlags(), 'dist/main.js'];

/** Waits for the first stdout line of `child` that matches `pattern`; its first group is the URL. */
async function urlOf(child: ChildProcess, name: string, pattern: RegExp): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  try {
    return await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const match = pattern.exec(line);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
  } finally {
    lines.close();
    child.stdout?.resume();
  }
}

function service(child: ChildProcess, url: string): Service {
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A helper of the benchmark (the emulator, B2, B3, B4) from bench/, printing {"url": ...} first. */
export async function startService(script: string, args: string[] = []): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await urlOf(child, script, /^\{"url":"([^"]+)"\}$/);
  return service(child, url);
}

/**
 * The gateway exactly as `npm start` runs it against a Cisco-style upstream (compiled JS, src/main.ts
 * with its metrics, logging, auth, limits and resilience), configured through the environment.
 */
export async function startGateway(emulatorUrl: string, env: Record<string, string> = {}): Promise<Service> {
  const child = spawn(process.execPath, GATEWAY_ARGS, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH,
      XDR_BASE_URL: emulatorUrl,
      XDR_CLIENT_ID: 'client-demo-admin',
      XDR_CLIENT_SECRET: 'demo-admin-secret',
      // The benchmark's callers are anonymous, as in default mode.
      AUTH_ALLOW_NONE: 'true',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'error',
      // The bench's emulator has an unreachable quota; the guard would stop W1 at 7,600 calls.
      QUOTA_PER_HOUR: '0',
      ...env,
    },
  });
  const port = await urlOf(child, 'the gateway', /^GraphQL gateway: http:\/\/[^/]+:(\d+)\/graphql$/);
  return service(child, `http://127.0.0.1:${port}/graphql`);
}

/** Resident and peak resident memory of a process, in MB (Linux /proc). */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: round(kb('VmRSS') / 1024), peakRssMb: round(kb('VmHWM') / 1024) };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function control(
  emulatorUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${emulatorUrl}/__emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status}`);
  return response.json();
}

/** Every route of the emulator answers after `delayMs` (0: at once). */
export async function setDelay(emulatorUrl: string, delayMs: number): Promise<void> {
  await control(emulatorUrl, 'DELETE', 'faults');
  if (delayMs > 0) await control(emulatorUrl, 'POST', 'faults', { route: '*', delayMs });
}

export async function tokenOf(emulatorUrl: string): Promise<string> {
  const response = await fetch(`${emulatorUrl}/iroh/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('client-demo-admin:demo-admin-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The ids of the first 1,000 users of the emulator's seed, the workloads' pool. */
export async function userIdsOf(emulatorUrl: string, token: string): Promise<string[]> {
  const search = await fetch(`${emulatorUrl}/iroh/user-mgmt/search/users?limit=1000`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await search.json()) as { data: Record<string, string>[] }).data.map(
    (u) => u['user-id'] as string,
  );
}

export const FIELDS = 'id email name nick role enabled createdAt lastLoginAt';
export const USER = `query($id: ID!) { user(id: $id) { ${FIELDS} } }`;
export const USERS = `query($ids: [ID!]!) { users(ids: $ids) { ${FIELDS} } }`;

export const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
