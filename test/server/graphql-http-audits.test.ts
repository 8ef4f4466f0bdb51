import { serverAudits } from 'graphql-http';
import { startTestGateway, type ListeningTestGateway } from '../support/gateway.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { ORG_1_ID } from '../../src/emulator/demo-clients.js';
import { startLocalIssuer, type LocalIssuer } from '../support/auth.js';

// The GraphQL-over-HTTP conformance audits of graphql-http (pinned 1.23.1) against the running
// server, over a real socket: the protocol is the subject. The audits' GET requests carry no custom header, which our CSRF prevention refuses on
// purpose (a GET is a "simple" request a browser sends cross-site without a preflight); the fetch
// below adds the CSRF header, as any legitimate non-browser client would. In jwt mode it also adds
// a bearer token, which every caller must send.
describe('graphql-http serverAudits', () => {
  let gw: ListeningTestGateway;
  let issuer: LocalIssuer;

  afterEach(async () => {
    await gw?.close();
    await issuer?.close();
  });

  const run = async (headers: Record<string, string>) => {
    const fetchFn = (input: RequestInfo | URL, init: RequestInit = {}) => {
      const merged = new Headers(init.headers);
      for (const [name, value] of Object.entries(headers)) merged.set(name, value);
      return fetch(input, { ...init, headers: merged });
    };
    const results = [];
    for (const audit of serverAudits({ url: gw.url, fetchFn })) {
      const result = await audit.fn();
      results.push({
        id: audit.id,
        name: audit.name,
        status: result.status,
        reason: 'reason' in result ? result.reason : undefined,
      });
    }
    return results;
  };

  it('has no failing audit in the default mode (AUTH_MODE=none)', async () => {
    gw = await startTestGateway({ listen: true });
    const results = await run({ 'x-graphql-csrf': '1' });
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
    expect(results.filter((r) => r.status === 'warn')).toEqual([]);
  });

  it('has no failing audit in AUTH_MODE=jwt with a valid token', async () => {
    issuer = await startLocalIssuer();
    const { jwksUrl, issuer: iss, audience } = issuer;
    gw = await startTestGateway({
      listen: true,
      authenticate: () =>
        createAuthenticator(
          {
            mode: 'jwt',
            jwksUrl,
            issuer: iss,
            audience,
            algorithms: ['RS256'],
            clockToleranceSec: 5,
            orgClaim: null,
          },
          { gatewayOrgId: async () => ORG_1_ID },
        ),
    });
    const token = await issuer.sign({ scope: 'users:read profile:read' });
    const results = await run({ 'x-graphql-csrf': '1', authorization: `Bearer ${token}` });
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
    expect(results.filter((r) => r.status === 'warn')).toEqual([]);
  });
});
