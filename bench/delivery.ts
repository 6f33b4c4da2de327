import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type App, startApp } from '../src/app.ts';
import { openCore } from '../src/core.ts';
import { createLogger } from '../src/ops/log.ts';
import { schedulerId } from '../src/schedule/scheduler.ts';
import { startFakePlatform } from '../test/support/fake-platform.ts';
import { FakeTransport } from '../test/support/fake-transport.ts';
import { deleteKeys } from '../test/support/redis.ts';

// How fast a whole minute's worth of scheduled check-ins reaches a rate-limited platform.
//
//   npm run bench:delivery [-- --couples N] [-- --redis redis://host:port]
//
// N paired couples are written straight into a temporary SQLite database, all scheduled for
// the same minute. The bot (role "all": rounds and send workers) runs against the real Redis and
// a fake platform that enforces 30 msg/s overall and 1 msg/s per chat, answering 429 beyond;
// the transport declares 25/s and 1 s per chat, as the Telegram adapter does. At the minute,
// every couple's occurrence fires as BullMQ's Job Scheduler would fire it: one "open" job per
// couple, delayed to the minute, with prevMillis = the minute. (The boot reconciler also
// upserts each couple's real Job Scheduler, which fires for the same minute; the occurrence
// key makes that a no-op, and the explicit jobs make the start deterministic.) We measure until
// both prompts of every couple are at the platform.

const { values } = parseArgs({
  options: {
    couples: { type: 'string', default: '5000' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const N = Number(values.couples);
if (!Number.isInteger(N) || N < 1) throw new Error('--couples must be a positive integer');
const REDIS_URL = values.redis!;
const LIMIT = 25;
const MIN = 60_000;

const out = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Counts log events by name (logs never hold content); errors are shown as they happen. */
const events = new Map<string, number>();
const log = createLogger('info', (line) => {
  const { event, level } = JSON.parse(line) as { event: string; level: string };
  events.set(event, (events.get(event) ?? 0) + 1);
  if (level === 'error') process.stderr.write(`${line}\n`);
});

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m) throw new Error('no used_memory in INFO');
  return Number(m[1]);
}

const prefix = `bench-delivery-${process.pid}-${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'checkin-bench-'));
const admin = new Redis(REDIS_URL);
const fake = await startFakePlatform({ perSecond: 30, perChatIntervalMs: 1000 });
const core = openCore({ databaseFile: join(dir, 'checkin.sqlite'), dataKey: randomBytes(32), log });
const { repo, engine, store } = core;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

let app: App | undefined;
try {
  // The minute they are all due: the next whole minute at least 15 s (plus setup time) away.
  const setupMs = 15_000 + N * 2;
  const due = Math.ceil((Date.now() + setupMs) / MIN) * MIN;
  const at = new Date(due);
  const weekday = at.getUTCDay() === 0 ? 7 : at.getUTCDay();
  const localTime = `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;

  // N onboarded, paired couples, written in one transaction (no onboarding through the engine).
  const t0 = performance.now();
  const now = Date.now();
  const coupleIds: number[] = [];
  repo.transaction(() => {
    for (let i = 0; i < N; i++) {
      const a = repo.createMember('telegram', String(10_000_000 + 2 * i), `A${i}`, 'en', now);
      const b = repo.createMember('telegram', String(10_000_000 + 2 * i + 1), `B${i}`, 'en', now);
      repo.updateMember(a.id, { role: 'recovery', timeZone: 'UTC', onboardedAt: now });
      repo.updateMember(b.id, { role: 'partner', timeZone: 'UTC', onboardedAt: now });
      const c = repo.createCouple({
        kind: 'pair',
        memberA: a.id,
        memberB: b.id,
        weekdays: String(weekday),
        localTime,
        timeZone: 'UTC',
        createdAt: now,
      });
      coupleIds.push(c.id);
    }
  });
  out(`created ${N} couples in ${fmt((performance.now() - t0) / 1000, 2)} s; due ${at.toISOString()}`);

  app = await startApp({
    engine,
    repo,
    redisUrl: REDIS_URL,
    prefix,
    role: 'all',
    transports: [
      new FakeTransport(fake.url, {
        platform: 'telegram',
        limits: { perSecond: LIMIT, perChatIntervalMs: 1000 },
      }),
    ],
    log,
  });
  const a = app;

  // One "open" job per couple for the due minute, as the Job Scheduler would produce it.
  for (let i = 0; i < coupleIds.length; i += 1000) {
    const delay = Math.max(0, due - Date.now());
    await a.queues.rounds.addBulk(
      coupleIds.slice(i, i + 1000).map((coupleId) => ({
        name: 'open',
        data: { coupleId },
        opts: { delay, prevMillis: due, jobId: `bench-open-${coupleId}` },
      })),
    );
  }
  if (Date.now() >= due)
    throw new Error('setup took longer than the lead time: the start would not be clean');
  out(`waiting ${fmt((due - Date.now()) / 1000)} s for the minute…`);

  const messages = 2 * N;
  const timeoutAt = due + (messages / LIMIT) * 3000 + 120_000;
  let shown = 0;
  while (fake.sent.length < messages) {
    if (Date.now() > timeoutAt) throw new Error(`timed out: ${fake.sent.length}/${messages} at the platform`);
    await sleep(200);
    if (Date.now() - shown > 30_000 && Date.now() > due) {
      shown = Date.now();
      out(`  … ${fake.sent.length}/${messages} at the platform, ${fake.count429()} 429s`);
    }
  }
  // A little longer, to catch anything sent twice.
  await sleep(2000);
  clearInterval(sampler);

  const sent = fake.sent;
  const first = sent[0]!.at;
  const last = sent.at(-1)!.at;
  const elapsed = (last - due) / 1000;
  const rate = messages / elapsed;
  const steady = (messages - 1) / ((last - first) / 1000);
  const perChat = new Map<string, number>();
  for (const s of sent) perChat.set(s.chatId, (perChat.get(s.chatId) ?? 0) + 1);
  const duplicates = [...perChat.values()].reduce((n, k) => n + (k - 1), 0);
  const counts = repo.outboxCounts();

  // Redis memory per scheduled couple: remove every couple's Job Scheduler (and its next job),
  // then create them again with scheduler.sync; the difference over N. The minute has passed,
  // so the re-created schedulers' next run is a week away and nothing fires meanwhile.
  for (const id of coupleIds) await a.queues.rounds.removeJobScheduler(schedulerId(id));
  await sleep(500);
  const before = await usedMemory(admin);
  for (const id of coupleIds) await a.scheduler.sync(id);
  const after = await usedMemory(admin);
  const schedulers = (await a.queues.rounds.getJobSchedulers(0, -1)).filter((s) =>
    (s.id ?? s.key).startsWith('couple-'),
  ).length;

  out();
  out(`couples                      ${N}`);
  out(`messages                     ${messages} (prompts at the platform: ${sent.length})`);
  out(`outbox                       ${JSON.stringify(counts)}`);
  out(
    `elapsed (minute -> last)     ${fmt(elapsed, 2)} s (first prompt ${fmt((first - due) / 1000, 2)} s after the minute)`,
  );
  out(
    `achieved send rate           ${fmt(rate, 2)} msg/s = ${fmt((rate / LIMIT) * 100)} % of ${LIMIT}/s (target >= 90 %)`,
  );
  out(`  first -> last prompt       ${fmt(steady, 2)} msg/s = ${fmt((steady / LIMIT) * 100)} %`);
  out(`429s received                ${fake.count429()} (target 0)`);
  out(`other refusals               ${fake.rejected.filter((r) => r.status !== 429).length}`);
  out(`peak per second at platform  ${fake.peakPerSecond()} (platform allows 30, bot declares ${LIMIT})`);
  out(`per-chat violations          ${fake.perChatViolations()}`);
  out(`sent twice                   ${duplicates}`);
  out(
    `peak RSS                     ${fmt(peakRss / 2 ** 20)} MiB (bot and fake platform share this process)`,
  );
  out(
    `Redis per scheduled couple   ${fmt((after - before) / N, 0)} bytes (${schedulers} Job Schedulers; used_memory ${before} -> ${after})`,
  );
  const warned = [...events].filter(([e]) => e !== 'reconciled').map(([e, n]) => `${e}=${n}`);
  out(`log events                   ${warned.join(' ') || 'none'}`);
} finally {
  clearInterval(sampler);
  if (app) await app.stop(5000);
  await deleteKeys(REDIS_URL, prefix);
  admin.disconnect();
  await fake.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
