import { z } from 'zod';
import { REGIONS, resolveBaseUrl, type Region } from './upstream/regions.js';

// The only reader of process.env (through main.ts). Every setting, its default and its meaning is
// listed in the README's configuration table; keep the two in step.

export type UpstreamConfig =
  | { mode: 'emulator'; emulatorPort: number }
  | { mode: 'cisco'; baseUrl: string; region?: Region; clientId: string; clientSecret: string };

export interface Config {
  host: string;
  port: number;
  upstream: UpstreamConfig;
  /** Per-attempt timeout of an upstream call. */
  upstreamTimeoutMs: number;
  /** Most ids one `users(ids:)` field accepts. */
  maxUserIds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const port = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a port number 0-65535, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const positiveInt = (name: string, fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer 1-${max}, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

const envSchema = z.object({
  HOST: z.string().optional(),
  PORT: port('PORT', 4000),
  EMULATOR_PORT: port('EMULATOR_PORT', 4001),
  XDR_REGION: z.string().optional(),
  XDR_BASE_URL: z.string().optional(),
  XDR_CLIENT_ID: z.string().optional(),
  XDR_CLIENT_SECRET: z.string().optional(),
  UPSTREAM_TIMEOUT_MS: positiveInt('UPSTREAM_TIMEOUT_MS', 10_000, 300_000),
  USERS_MAX_IDS: positiveInt('USERS_MAX_IDS', 500, 10_000),
});

/**
 * Parses and validates the environment once. Throws a ConfigError that lists every problem, naming
 * each setting; the message never repeats a secret's value.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  const e = parsed.success ? parsed.data : undefined;
  const upstream = resolveUpstream(env, problems);
  if (!e || !upstream || problems.length > 0) throw new ConfigError(problems);
  return {
    host: e.HOST || '127.0.0.1',
    port: e.PORT,
    upstream: upstream.mode === 'emulator' ? { mode: 'emulator', emulatorPort: e.EMULATOR_PORT } : upstream,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    maxUserIds: e.USERS_MAX_IDS,
  };
}

function resolveUpstream(
  env: Record<string, string | undefined>,
  problems: string[],
): UpstreamConfig | { mode: 'emulator' } | undefined {
  const given = (name: string) => (env[name] ?? '') !== '';
  const cisco = ['XDR_REGION', 'XDR_BASE_URL', 'XDR_CLIENT_ID', 'XDR_CLIENT_SECRET'];
  if (!cisco.some(given)) return { mode: 'emulator' };

  const before = problems.length;
  const region = env.XDR_REGION || undefined;
  const baseUrl = env.XDR_BASE_URL || undefined;
  if (region !== undefined && !(REGIONS as readonly string[]).includes(region)) {
    problems.push(`XDR_REGION must be one of ${REGIONS.join(', ')}, got "${region}"`);
  }
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    problems.push('XDR_BASE_URL must be an http(s) URL without credentials, query or fragment');
  }
  if (region === undefined && baseUrl === undefined) {
    problems.push('XDR_REGION (us, eu or apjc) or XDR_BASE_URL is required when the XDR_* settings are used');
  }
  if (!given('XDR_CLIENT_ID')) problems.push('XDR_CLIENT_ID is required when the XDR_* settings are used');
  if (!given('XDR_CLIENT_SECRET')) {
    problems.push('XDR_CLIENT_SECRET is required when the XDR_* settings are used');
  }
  if (problems.length > before) return undefined;
  return {
    mode: 'cisco',
    baseUrl: resolveBaseUrl({ region: region as Region | undefined, baseUrl }),
    ...(region ? { region: region as Region } : {}),
    clientId: env.XDR_CLIENT_ID as string,
    clientSecret: env.XDR_CLIENT_SECRET as string,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      !url.username &&
      !url.password &&
      !url.search &&
      !url.hash
    );
  } catch {
    return false;
  }
}
