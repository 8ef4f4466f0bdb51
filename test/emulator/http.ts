// Small fetch wrappers for the emulator tests: every answer comes back with its status, headers and
// parsed body, so tests can assert whole responses.

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    body: isJson ? (JSON.parse(text) as unknown) : text,
  };
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

export function requestToken(
  baseUrl: string,
  clientId: string,
  secret: string,
  body = 'grant_type=client_credentials',
): Promise<Answer> {
  return call(baseUrl, 'POST', '/iroh/oauth2/token', {
    body,
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
  });
}

export const TRACE_ID = expect.stringMatching(/^[0-9a-f-]{36}$/);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
