import { ConfigError, loadConfig } from '../../src/config.js';

describe('resilience settings', () => {
  it('have safe defaults', () => {
    expect(loadConfig({}).resilience).toEqual({
      operationDeadlineMs: 15_000,
      retryMaxAttempts: 3,
      retryBaseDelayMs: 100,
      maxRetryAfterSec: 2,
      retryBudgetPercent: 20,
      breakerFailures: 5,
      breakerCooldownMs: 5_000,
      maxBodyBytes: 10 * 1024 * 1024,
    });
  });

  it('are read from the environment; 0 is allowed where it means "off"', () => {
    expect(
      loadConfig({
        UPSTREAM_OPERATION_DEADLINE_MS: '3000',
        UPSTREAM_RETRY_MAX_ATTEMPTS: '1',
        UPSTREAM_RETRY_BASE_DELAY_MS: '0',
        UPSTREAM_MAX_RETRY_AFTER_SEC: '0',
        UPSTREAM_RETRY_BUDGET_PERCENT: '0',
        UPSTREAM_BREAKER_FAILURES: '10',
        UPSTREAM_BREAKER_COOLDOWN_MS: '1000',
        UPSTREAM_MAX_BODY_BYTES: '65536',
      }).resilience,
    ).toEqual({
      operationDeadlineMs: 3000,
      retryMaxAttempts: 1,
      retryBaseDelayMs: 0,
      maxRetryAfterSec: 0,
      retryBudgetPercent: 0,
      breakerFailures: 10,
      breakerCooldownMs: 1000,
      maxBodyBytes: 65536,
    });
  });

  it('bad values are all listed in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        UPSTREAM_OPERATION_DEADLINE_MS: '0',
        UPSTREAM_RETRY_MAX_ATTEMPTS: '11',
        UPSTREAM_MAX_RETRY_AFTER_SEC: '-1',
        UPSTREAM_RETRY_BUDGET_PERCENT: '150',
        UPSTREAM_BREAKER_FAILURES: 'many',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'UPSTREAM_OPERATION_DEADLINE_MS must be an integer 1-600000, got "0"',
      'UPSTREAM_RETRY_MAX_ATTEMPTS must be an integer 1-10, got "11"',
      'UPSTREAM_MAX_RETRY_AFTER_SEC must be an integer 0-60, got "-1"',
      'UPSTREAM_RETRY_BUDGET_PERCENT must be an integer 0-100, got "150"',
      'UPSTREAM_BREAKER_FAILURES must be an integer 1-1000, got "many"',
    ]);
  });
});

describe('UPSTREAM_CONNECTIONS', () => {
  it('defaults to 128 and is read from the environment', () => {
    expect(loadConfig({}).upstreamConnections).toBe(128);
    expect(loadConfig({ UPSTREAM_CONNECTIONS: '4' }).upstreamConnections).toBe(4);
  });

  it.each(['0', '1025', 'all'])('refuses %s, naming the setting', (value) => {
    expect(() => loadConfig({ UPSTREAM_CONNECTIONS: value })).toThrow(
      `UPSTREAM_CONNECTIONS must be an integer 1-1024, got "${value}"`,
    );
  });
});
