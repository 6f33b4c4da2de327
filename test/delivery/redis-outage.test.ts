import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { copy } from '../../src/checkin/copy.ts';
import { nextOccurrence } from '../../src/checkin/schedule.ts';
import { type SimPerson, Simulation } from '../../src/demo/simulation.ts';
import { scheduleOf } from '../../src/engine/couples.ts';
import { createLogger } from '../../src/ops/log.ts';
import { redisReachable } from '../../src/schedule/queues.ts';
import type { OutboxRow } from '../../src/store/repo.ts';
import { type FakePlatform, startFakePlatform } from '../support/fake-platform.ts';
import { FakeTransport } from '../support/fake-transport.ts';
import {
  type Answer,
  answerAll,
  hygieneProblems,
  inviteCode,
  memberOf,
  onboard,
  recordTyped,
  textOf,
} from '../support/people.ts';
import { eventually } from '../support/redis.ts';

// Redis dies under a running bot and comes back empty. People keep talking to the bot the whole
// time; what they trigger waits in SQLite and goes out, once, when Redis returns, without anyone
// touching anything. The Redis here is a private child process, so killing it harms no other test.

let sim: Simulation;
let typed: string[];
let fake: FakePlatform;
let app: App | undefined;
let redis: ChildProcess | undefined;

beforeEach(async () => {
  sim = new Simulation({ realTime: true });
  typed = recordTyped(sim);
  fake = await startFakePlatform();
});

afterEach(async () => {
  // Stop the app while its Redis still answers where possible, then the Redis; bounded either way.
  await Promise.race([app?.stop(2000), new Promise((r) => setTimeout(r, 5000))]);
  app = undefined;
  if (redis && redis.exitCode === null && redis.signalCode === null) {
    const gone = new Promise((r) => redis!.once('exit', r));
    redis.kill('SIGKILL');
    await gone;
  }
  redis = undefined;
  await fake.close();
  try {
    expect(hygieneProblems(sim, typed)).toEqual([]);
  } finally {
    sim.close();
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a throw-away redis-server (no persistence: it comes back empty) and waits for it. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  redis = child;
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await eventually(() => redisReachable(`redis://127.0.0.1:${port}`, 500), 10_000, 'redis-server to start');
  return child;
}

async function killRedis(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

const chat = (p: SimPerson) => p.actor.userId;
const sentTo = (p: SimPerson) => fake.sent.filter((m) => m.chatId === chat(p));
const rows = () =>
  sim.store.sqlite
    .prepare('select id, kind, state, member_id as memberId from outbox order by id')
    .all() as Pick<OutboxRow, 'id' | 'kind' | 'state' | 'memberId'>[];
const settled = () => {
  const c = sim.repo.outboxCounts();
  return c.pending === 0 && c.sending === 0;
};

const A_ANSWERS: Answer[] = [7, 6, 9, 'A-count walks', 'A-deposit told you first', 4, 2, 'A-hear I am here'];
const B_ANSWERS: Answer[] = [
  6,
  5,
  8,
  'B-count the truth',
  'B-deposit went to group',
  6,
  3,
  'B-hear it mattered',
];

/** A private Redis on a free port and the whole app (rounds and send workers) against it. */
async function boot(): Promise<{ port: number; server: ChildProcess; app: App }> {
  const port = await freePort();
  const server = await startRedis(port);
  app = await startApp({
    engine: sim.engine,
    repo: sim.repo,
    redisUrl: `redis://127.0.0.1:${port}`,
    prefix: 'outage',
    role: 'all',
    transports: [new FakeTransport(fake.url, { platform: 'telegram' })],
    log: createLogger('debug', (line) => sim.logLines.push(line)),
  });
  return { port, server, app };
}

/** Two telegram users, onboarded and paired. */
function pair(): { a: SimPerson; b: SimPerson; coupleId: number } {
  const a = sim.person('Alex', 'telegram');
  const b = sim.person('Sam', 'telegram');
  onboard(a, { role: 'recovery' });
  const code = inviteCode(a);
  onboard(b, { role: 'partner', code });
  b.press(copy.pairing.joinButton);
  return { a, b, coupleId: sim.repo.activeCoupleOf(memberOf(sim, a).id)!.id };
}

it('a Redis outage delays delivery but loses nothing, sends nothing twice, and needs no one to step in', async () => {
  const { port, server } = await boot();

  // Delivery works: pairing tells A, through the queue, that they're connected.
  const { a, b } = pair();
  await eventually(
    () => sentTo(a).some((m) => m.text.includes("You're connected")),
    10_000,
    'the paired notice',
  );
  await eventually(settled, 5000, 'the outbox to settle');
  const before = fake.sent.length;

  // Redis dies.
  await killRedis(server);
  await eventually(() => app!.queues.producer.status !== 'ready', 5000, 'the bot to notice');

  // Both partners do a whole check-in meanwhile, and hear back at once, with no error.
  a.say('/checkin');
  answerAll(a, A_ANSWERS);
  expect(textOf(a.press(copy.review.send))).toBe(copy.checkin.waiting);
  b.say('/checkin');
  expect(textOf(answerAll(b, B_ANSWERS))).toContain(copy.review.send);
  const bSummary = b.press(copy.review.send);
  expect(textOf(bSummary)).toContain(copy.reveal.opening);
  expect(textOf(bSummary)).toContain('A-hear I am here');
  for (const r of sim.delivered) expect(textOf([r.message])).not.toContain(copy.somethingWrong);

  // What they triggered waits in SQLite.
  await new Promise((r) => setTimeout(r, 500));
  const waiting = rows().filter((r) => r.state === 'pending');
  expect(waiting.map((r) => r.kind).sort()).toEqual(['prompt', 'reveal']);
  expect(fake.sent.length).toBe(before);

  // Redis comes back, empty, on the same port. Nobody does anything.
  await startRedis(port);
  await eventually(() => sentTo(a).some((m) => m.text.includes(copy.reveal.opening)), 15_000, 'the reveal');
  await eventually(settled, 10_000, 'the outbox to settle');
  await new Promise((r) => setTimeout(r, 1200));

  // A's reveal went once; B's prompt, rendered now, was moot (B had already sent) and went nowhere.
  const reveals = sentTo(a).filter((m) => m.text.includes(copy.reveal.opening));
  expect(reveals).toHaveLength(1);
  expect(reveals[0]!.text).toContain('B-hear it mattered');
  expect(reveals[0]!.protect).toBe(true);
  expect(sentTo(b)).toEqual([]);
  const byId = new Map(rows().map((r) => [r.id, r]));
  for (const r of waiting) {
    expect(byId.get(r.id)?.state, r.kind).toBe(r.kind === 'reveal' ? 'sent' : 'cancelled');
  }
  expect(memberOf(sim, a).unreachableAt).toBeNull();
  // The per-chat gate lived in the Redis that was lost (and see "per-chat spacing holds" in
  // sending.test.ts), so the platform may have said 429 for A's chat; that is honoured (nothing
  // was accepted too early) and is the only kind of refusal.
  expect(fake.perChatViolations()).toBe(0);
  expect(fake.rejected.filter((r) => r.status !== 429)).toEqual([]);
}, 45_000);

it('a Redis not running when the bot starts: answers are kept, and everything starts once it runs', async () => {
  const port = await freePort();
  app = await startApp({
    engine: sim.engine,
    repo: sim.repo,
    redisUrl: `redis://127.0.0.1:${port}`,
    prefix: 'late',
    role: 'all',
    transports: [new FakeTransport(fake.url, { platform: 'telegram' })],
    log: createLogger('debug', (line) => sim.logLines.push(line)),
  });
  const { a, coupleId } = pair();
  expect(textOf(a.say('/status'))).toContain(copy.status.paired);
  expect(rows().filter((r) => r.state === 'pending').length).toBeGreaterThan(0);
  await startRedis(port);
  // With no manual step: the queued notice goes out, and the reconciler rebuilds the schedule.
  await eventually(settled, 15_000, 'the outbox to drain');
  await eventually(() => app!.scheduler.nextRun(coupleId), 15_000, "the couple's schedule");
});

it('a Redis that comes back empty gets every schedule back, without a restart', async () => {
  const { port, server, app: running } = await boot();
  const { coupleId } = pair();
  const couple = sim.repo.couple(coupleId)!;
  const want = nextOccurrence(scheduleOf(couple), Date.now());
  await eventually(async () => (await running.scheduler.nextRun(coupleId)) === want, 10_000, 'the schedule');

  // Redis restarts without its data (a failover, a wiped cache, a new instance).
  await killRedis(server);
  await eventually(() => running.queues.producer.status !== 'ready', 5000, 'the bot to notice');
  await startRedis(port);
  await eventually(() => running.queues.producer.status === 'ready', 10_000, 'the bot to reconnect');

  // The couple's check-ins keep coming: their Job Scheduler is back, due when the schedule says.
  await eventually(
    async () => (await running.scheduler.nextRun(coupleId).catch(() => undefined)) === want,
    15_000,
    "the couple's schedule to be rebuilt from the database",
  );
  // And the hourly reconciler itself is scheduled again.
  expect(await running.queues.rounds.getJobScheduler('reconcile')).toBeDefined();
}, 45_000);

it('a stopped bot lets go of Redis, so its process can exit', async () => {
  const { port, app: running } = await boot();
  const probe = new Redis(`redis://127.0.0.1:${port}`);
  try {
    const clients = async () => ((await probe.client('LIST')) as string).trim().split('\n').length - 1;
    await eventually(async () => (await clients()) > 0, 5000, 'the bot to connect');
    await running.stop(2000);
    app = undefined;
    // Every connection the bot opened is closed; one left open keeps a stopped process alive
    // (main.ts returns an exit code and waits for the event loop to drain).
    await eventually(async () => (await clients()) === 0, 3000, 'the connections to close').catch(() => {});
    expect(await clients()).toBe(0);
  } finally {
    probe.disconnect();
  }
});
