import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteName } from './test-controls.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  traceId: string;
  /** Aborted when the emulator closes: pending delays give up. */
  signal: AbortSignal;
}

export interface Endpoint {
  /** Set for the routes that test controls count and can inject faults into. */
  name?: RouteName;
  handle(ctx: RequestContext, params: string[]): Promise<void>;
}

export interface Route {
  /** Matched against the raw (still percent-encoded) path; groups become `params`. */
  path: RegExp;
  methods: Partial<Record<string, Endpoint>>;
}

export type RouteMatch =
  | { kind: 'found'; endpoint: Endpoint; params: string[] }
  | { kind: 'wrong-method'; allow: string[] }
  | { kind: 'none' };

export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  for (const route of routes) {
    const match = route.path.exec(pathname);
    if (!match) continue;
    const endpoint = Object.hasOwn(route.methods, method) ? route.methods[method] : undefined;
    if (!endpoint) return { kind: 'wrong-method', allow: Object.keys(route.methods) };
    return { kind: 'found', endpoint, params: match.slice(1) };
  }
  return { kind: 'none' };
}
