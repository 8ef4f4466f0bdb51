/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves just past the start of the next whole second. The emulator counts token expiry in whole
 * seconds (a 1 s token issued at 12.99 s is dead at 13 s): one issued then lives nearly its lifetime.
 */
export const nextSecond = () => sleep(1_000 - (Date.now() % 1_000) + 10);

/** Polls `condition` every 20 ms until it holds (jest's timeout bounds the wait). */
export async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(20);
}
