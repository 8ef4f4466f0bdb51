import { ConfigError, loadConfig } from '../../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the settings');
}

describe('loadConfig: upstream settings', () => {
  it('with no XDR_* setting runs the embedded emulator on the default ports', () => {
    const config = loadConfig({});
    expect(config.upstream).toEqual({ mode: 'emulator', emulatorPort: 4001 });
    expect(config.port).toBe(4000);
  });

  it('Cisco mode from a region and credentials', () => {
    const config = loadConfig({
      XDR_REGION: 'apjc',
      XDR_CLIENT_ID: 'my-client',
      XDR_CLIENT_SECRET: 's3cr3t-value',
      AUTH_ALLOW_NONE: 'true',
    });
    expect(config.upstream).toEqual({
      mode: 'cisco',
      region: 'apjc',
      baseUrl: 'https://visibility.apjc.amp.cisco.com',
      clientId: 'my-client',
      clientSecret: 's3cr3t-value',
    });
  });

  it('half-given Cisco settings name each missing one', () => {
    expect(problemsOf({ XDR_CLIENT_ID: 'my-client' })).toEqual(
      expect.arrayContaining([
        'XDR_REGION (us, eu or apjc) or XDR_BASE_URL is required when the XDR_* settings are used',
        'XDR_CLIENT_SECRET is required when the XDR_* settings are used',
      ]),
    );
  });

  it('invalid values are all listed in one message that repeats no secret', () => {
    let message = '';
    try {
      loadConfig({
        XDR_REGION: 'mars',
        XDR_BASE_URL: 'ftp://user:pw@example.com',
        XDR_CLIENT_SECRET: 'top-secret-value',
        PORT: 'abc',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('XDR_REGION must be one of us, eu, apjc, got "mars"');
    expect(message).toContain('XDR_BASE_URL must be an http(s) URL without credentials, query or fragment');
    expect(message).toContain('XDR_CLIENT_ID is required when the XDR_* settings are used');
    expect(message).toContain('PORT must be a port number 0-65535, got "abc"');
    expect(message).not.toContain('top-secret-value');
    expect(message).not.toContain('pw@');
  });
});
