import { exampleUserIds } from '../../src/emulator/seed.js';
import { graphiqlTabs } from '../../src/server/graphiql-tabs.js';
import { getSchema } from '../../src/schema/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe('GraphiQL example tabs', () => {
  const tabs = graphiqlTabs(getSchema(), exampleUserIds());

  it('has a tab each for a lookup, a batch, a search page, an update and me', () => {
    expect(tabs.map((t) => /^(query|mutation) (\w+)/m.exec(t.query ?? '')?.[2])).toEqual([
      'GetUser',
      'GetUsers',
      'SearchUsers',
      'UpdateUser',
      'Me',
    ]);
  });

  it.each(tabs.map((tab, i) => [i, tab.query] as const))(
    'tab %i runs as it opens and returns data',
    async (_i, query) => {
      const res = await gw.post(query ?? '');
      expect(res.errors).toBeUndefined();
      const [root] = Object.values(res.data ?? {});
      expect(root).toBeTruthy();
      if (root && typeof root === 'object' && '__typename' in root)
        expect(root.__typename).toBe('UpdateUserSuccess');
      if (Array.isArray(root)) expect(root.every((u) => u !== null)).toBe(true);
    },
  );
});
