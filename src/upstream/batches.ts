// How by-id lookups are split into `GET /batch/users` calls. One rule for everyone who needs it: the
// client that sends them, the cache that shares them between requests, and the per-operation budget
// that must predict how many there will be.

/** The most ids `GET /batch/users` accepts in one call. */
export const MAX_BATCH_IDS = 100;

/**
 * The most bytes of `id=…&` one batch call carries: 100 real ids (`idb-amp:<uuid>`) need about
 * 5,000, and servers refuse request lines of 8 KB or more (431, 414). Without this bound, long (but
 * valid, up to 256 characters) ids would make a batch fail, and with the cache for every caller whose
 * ids it carries.
 */
export const MAX_BATCH_QUERY_BYTES = 6_000;

/**
 * Splits distinct ids into the calls that carry them: at most MAX_BATCH_IDS ids and
 * MAX_BATCH_QUERY_BYTES of query each, in order. Real ids always fit 100 to a call, so for them this
 * is ⌈ids / 100⌉ calls.
 */
export function packBatches(ids: readonly string[]): string[][] {
  const calls: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    // As the client encodes it (URLSearchParams), plus its `&`.
    const size = new URLSearchParams([['id', id]]).toString().length + 1;
    if (current.length === MAX_BATCH_IDS || (current.length > 0 && bytes + size > MAX_BATCH_QUERY_BYTES)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(id);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
