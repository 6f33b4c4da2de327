import { createInterface } from 'node:readline';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openCore } from '../../src/core.ts';
import type { Inbound } from '../../src/engine/types.ts';
import { createLogger } from '../../src/ops/log.ts';
import { FakeTransport } from './fake-transport.ts';

// A whole bot process for the crash tests: the real configuration, core, queues and workers,
// sending to a fake platform (argv[2]) and taking Inbound updates as JSON lines on stdin, the
// way an adapter hands them over. With CRASH_AT set it kills itself with SIGKILL at that point:
// a real crash, not a thrown exception.

const config = loadConfig();
const log = createLogger(config.logLevel);
const core = openCore({ databaseFile: config.databaseFile, dataKey: config.dataKey, log });
const crashPoint = (name: string) => {
  if (name === config.crashAt) process.kill(process.pid, 'SIGKILL');
};
const app = await startApp({
  engine: core.engine,
  repo: core.repo,
  redisUrl: config.redisUrl,
  prefix: config.queuePrefix,
  role: config.role,
  // One fake platform stands in for both apps: a couple may be split across them.
  transports: (['telegram', 'discord'] as const).map(
    (platform) => new FakeTransport(process.argv[2]!, { platform, limits: { perSecond: 12 } }),
  ),
  log,
  crashPoint,
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const inbound = JSON.parse(line) as Inbound;
  const out = core.engine.handle(inbound);
  process.stdout.write(`${JSON.stringify({ dedupeKey: inbound.dedupeKey, out })}\n`);
});

const stop = async () => {
  lines.close();
  await app.stop(5000);
  core.store.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.stdout.write('READY\n');
