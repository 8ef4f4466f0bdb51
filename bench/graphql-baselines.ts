// Baselines B3 and B4: the hand-rolled resolver layer an adopter might write instead of the gateway,
// serving the benchmark's GraphQL operations (`user(id)`, `users(ids)`) over the same upstream calls
// and reshaping as B2 (baseline-upstream.ts), with nothing else: no auth, limits, DataLoader,
// validation of answers, metrics or logs.
//   B3 (`yoga`):       graphql-yoga with its defaults, one resolver per field of Query.
//   B4 (`graphql-js`): node:http + graphql-js parse / validate / execute, documents cached by text.
// Usage: graphql-baselines.ts <emulator url> yoga|graphql-js. Prints {"url": ...} on its first line.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, parse, validate, type DocumentNode } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { connectUpstream } from './baseline-upstream.js';

const [upstreamUrl, kind] = process.argv.slice(2);
if (!upstreamUrl || (kind !== 'yoga' && kind !== 'graphql-js')) {
  throw new Error('usage: graphql-baselines.ts <emulator url> yoga|graphql-js');
}
const upstream = await connectUpstream(upstreamUrl);

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type User {
      id: ID!
      email: String
      name: String
      nick: String
      role: String!
      enabled: Boolean!
      createdAt: String
      lastLoginAt: String
    }
    type Query {
      user(id: ID!): User
      users(ids: [ID!]!): [User]!
    }
  `,
  resolvers: {
    Query: {
      user: async (_: unknown, { id }: { id: string }) => (await upstream.batch([id]))[0],
      users: (_: unknown, { ids }: { ids: string[] }) => upstream.batch(ids),
    },
  },
});

/** B4's request handler: what Yoga does for a JSON POST, by hand. */
const documents = new Map<string, DocumentNode>();
async function graphqlJs(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    query: string;
    variables?: Record<string, unknown>;
  };
  let document = documents.get(query);
  if (!document) {
    document = parse(query);
    const errors = validate(schema, document);
    if (errors.length > 0) throw new Error(errors[0]?.message);
    if (documents.size < 1000) documents.set(query, document);
  }
  const result = await execute({ schema, document, variableValues: variables });
  const body = JSON.stringify(result);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const yoga = createYoga({ schema, logging: false, graphiql: false });
const server =
  kind === 'yoga'
    ? createServer(yoga)
    : createServer((req, res) => {
        graphqlJs(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(400);
          res.end();
        });
      });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/graphql` }));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void upstream.close().then(() => process.exit(0)));
});
