// Credentials work only in the region that issued them, and the token and API calls go to the same
// host, so the region picks one base URL for both.

export const REGIONS = ['us', 'eu', 'apjc'] as const;
export type Region = (typeof REGIONS)[number];

export const REGION_BASE_URLS: Readonly<Record<Region, string>> = {
  us: 'https://visibility.amp.cisco.com',
  eu: 'https://visibility.eu.amp.cisco.com',
  apjc: 'https://visibility.apjc.amp.cisco.com',
};

/**
 * The base URL of the User API, without a trailing slash. An explicit `baseUrl` (e.g. the emulator's
 * `http://127.0.0.1:4001`, or a proxy) wins over `region`; with neither, the `us` region is used.
 */
export function resolveBaseUrl(options: { region?: Region; baseUrl?: string }): string {
  const chosen = options.baseUrl ?? REGION_BASE_URLS[options.region ?? 'us'];
  return chosen.replace(/\/+$/, '');
}
