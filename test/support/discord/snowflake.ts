// Discord snowflakes: 42 bits of milliseconds since the Discord epoch (2015-01-01), 5 bits worker,
// 5 bits process, 12 bits increment. One generator per process so ids from every fake server
// in a test run keep increasing, as real ids do, and carry the real creation time.

export const DISCORD_EPOCH = 1_420_070_400_000n;

const WORKER = 1n;
const PROCESS = BigInt(process.pid % 32);
let last = 0n;

/** A new snowflake, strictly greater than every one this process made before. */
export function snowflake(now: number = Date.now()): string {
  let id = ((BigInt(now) - DISCORD_EPOCH) << 22n) | (WORKER << 17n) | (PROCESS << 12n);
  if (id <= last) id = last + 1n;
  last = id;
  return id.toString();
}

/** The creation time (ms since the Unix epoch) encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
