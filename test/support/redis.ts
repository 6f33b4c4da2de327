import { Redis } from 'ioredis';
import { afterAll } from 'vitest';

/** The Redis the tests use; .ci/run makes sure one answers here. */
export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A queue prefix unique to this test file and process, removed with its keys after the file. */
export function uniquePrefix(name: string): string {
  const prefix = `test-${name}-${process.pid}-${Date.now().toString(36)}`;
  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
  });
  return prefix;
}

/** Deletes every key under a prefix: what a wiped Redis looks like to this deployment. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  try {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) n += await redis.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
