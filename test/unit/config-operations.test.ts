import { ConfigError, loadConfig } from '../../src/config.js';

describe('operations settings', () => {
  it('default to info logs, a 10 s readiness cache, a 10 s shutdown deadline and no tracing', () => {
    expect(loadConfig({}).operations).toEqual({
      logLevel: 'info',
      readinessCacheMs: 10_000,
      shutdownTimeoutMs: 10_000,
      tracing: false,
      serviceName: 'xdr-user-gateway',
    });
  });

  it('are read from the environment', () => {
    expect(
      loadConfig({ LOG_LEVEL: 'debug', READINESS_CACHE_MS: '0', SHUTDOWN_TIMEOUT_MS: '30000' }).operations,
    ).toEqual({
      logLevel: 'debug',
      readinessCacheMs: 0,
      shutdownTimeoutMs: 30_000,
      tracing: false,
      serviceName: 'xdr-user-gateway',
    });
  });

  it('list every bad value in one message', () => {
    let error: unknown;
    try {
      loadConfig({ LOG_LEVEL: 'loud', READINESS_CACHE_MS: '-1', SHUTDOWN_TIMEOUT_MS: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'READINESS_CACHE_MS must be an integer 0-600000, got "-1"',
      'SHUTDOWN_TIMEOUT_MS must be an integer 0-600000, got "soon"',
    ]);
  });

  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
  ])('tracing follows the standard OTEL_* environment: %j → %s', (env, on) => {
    expect(loadConfig(env).operations.tracing).toBe(on);
  });
});
