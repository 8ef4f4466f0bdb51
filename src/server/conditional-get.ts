import { createHash } from 'node:crypto';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** A GET that names its document by id (documentId, or APQ's hash in `extensions`): its URL is stable. */
function isPersistedGet(request: Request, graphqlEndpoint: string): boolean {
  if (request.method !== 'GET') return false;
  const url = new URL(request.url);
  if (url.pathname !== graphqlEndpoint) return false;
  return (
    url.searchParams.has('documentId') || !!url.searchParams.get('extensions')?.includes('persistedQuery')
  );
}

/** Whether an If-None-Match header names `etag` (weak comparison, RFC 9110 §13.1.2), or is `*`. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Persisted reads by GET are cacheable by the caller: an answer without errors gets a weak ETag (the
 * hash of its JSON), `cache-control: private, max-age=<maxAgeSec>` (never longer than the gateway's
 * own cache keeps a user) and `vary: authorization`; a request whose If-None-Match holds that ETag
 * gets 304 and no body. Every other GraphQL answer keeps the error contract's `no-store`. Mutations
 * never come by GET (Yoga refuses them).
 */
export function useConditionalGet(options: { graphqlEndpoint: string; maxAgeSec: number }): Plugin {
  const clean = new WeakSet<Request>();
  return {
    onResultProcess({ request, result }) {
      if (isAsyncIterable(result) || Array.isArray(result) || result.errors?.length) return;
      if (isPersistedGet(request, options.graphqlEndpoint)) clean.add(request);
    },
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!clean.has(request) || response.status !== 200) return;
      const body = await response.text();
      const etag = `W/"${createHash('sha256').update(body).digest('base64url')}"`;
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('etag', etag);
      headers.set('cache-control', `private, max-age=${options.maxAgeSec}`);
      headers.append('vary', 'authorization');
      if (!matches(request.headers.get('if-none-match'), etag)) {
        return setResponse(new fetchAPI.Response(body, { status: 200, headers }));
      }
      headers.delete('content-length');
      setResponse(new fetchAPI.Response(null, { status: 304, headers }));
    },
  };
}
