import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, type Role, startApp } from '../../src/app.ts';
import { copy } from '../../src/checkin/copy.ts';
import { type SimPerson, Simulation } from '../../src/demo/simulation.ts';
import { createLogger } from '../../src/ops/log.ts';
import { reconcile } from '../../src/schedule/rounds.ts';
import type { OutboxRow } from '../../src/store/repo.ts';
import { type FakePlatform, type FakePlatformOptions, startFakePlatform } from '../support/fake-platform.ts';
import { FakeTransport } from '../support/fake-transport.ts';
import {
  type Answer,
  answerAll,
  type Couple,
  hygieneProblems,
  inviteCode,
  memberOf,
  onboard,
  recordTyped,
  textOf,
} from '../support/people.ts';
import { deleteKeys, eventually, REDIS_URL, uniquePrefix } from '../support/redis.ts';

// The send path for real: the engine writes outbox rows, the relay puts them on a real BullMQ
// queue in a real Redis, the send worker renders them at send time and posts them over HTTP to
// a strict fake platform that answers 429, 403 and 5xx the way Telegram does.

const prefix = uniquePrefix('delivery');
let sim: Simulation;
let typed: string[];
let fake: FakePlatform;
const apps: App[] = [];

beforeEach(() => {
  sim = new Simulation({ realTime: true });
  typed = recordTyped(sim);
});

afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((a) => a.stop(2000)));
  await fake?.close();
  await deleteKeys(REDIS_URL, prefix);
  try {
    expect(hygieneProblems(sim, typed)).toEqual([]);
  } finally {
    sim.close();
  }
});

async function platform(options: FakePlatformOptions = {}): Promise<FakePlatform> {
  fake = await startFakePlatform(options);
  return fake;
}

/** Starts the queues (and, unless role is 'bot', the workers) around the simulation's engine. */
async function start(role: Role = 'all'): Promise<App> {
  const app = await startApp({
    engine: sim.engine,
    repo: sim.repo,
    redisUrl: REDIS_URL,
    prefix,
    role,
    transports: [new FakeTransport(fake.url, { platform: 'telegram' })],
    // The bot's own log lines go where the hygiene check reads them.
    log: createLogger('debug', (line) => sim.logLines.push(line)),
  });
  apps.push(app);
  return app;
}

/** Two telegram users onboarded and paired; A (in recovery) invited B (the partner). */
function pair(names: [string, string] = ['Alex', 'Sam']): Couple {
  const a = sim.person(names[0], 'telegram');
  const b = sim.person(names[1], 'telegram');
  onboard(a, { role: 'recovery' });
  const code = inviteCode(a);
  onboard(b, { role: 'partner', code });
  b.press(copy.pairing.joinButton);
  const couple = sim.repo.activeCoupleOf(memberOf(sim, a).id);
  if (couple?.kind !== 'pair') throw new Error('pairing failed');
  return { a, b, coupleId: couple.id };
}

/** A private chat's id on telegram is the user's id. */
const chat = (p: SimPerson) => p.actor.userId;
const sentTo = (p: SimPerson) => fake.sent.filter((m) => m.chatId === chat(p));
const rows = () => sim.store.sqlite.prepare('select * from outbox order by id').all() as OutboxRow[];
const rowsTo = (p: SimPerson) => {
  const id = sim.repo.memberByPlatform(p.actor.platform, p.actor.userId)?.id;
  return (
    sim.store.sqlite
      .prepare('select id, kind, state, member_id as memberId from outbox order by id')
      .all() as Pick<OutboxRow, 'id' | 'kind' | 'state' | 'memberId'>[]
  ).filter((r) => r.memberId === id);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no outbox row is pending or in flight. */
async function settled(timeoutMs = 10_000): Promise<void> {
  await eventually(
    () => {
      const c = sim.repo.outboxCounts();
      return c.pending === 0 && c.sending === 0;
    },
    timeoutMs,
    'the outbox to settle',
  );
}

// Rebuild trust, in question order: consistency, reliability, safety, count-on, deposit, fear, anger, hear.
const A_ANSWERS: Answer[] = [7, 6, 9, 'A-count CANARY-A-count', 'A-deposit CANARY-A-deposit', 4, 2, 'A-hear'];
const B_ANSWERS: Answer[] = [
  6,
  5,
  8,
  'B-count CANARY-B-PRIVATE-count',
  'B-deposit CANARY-B-shared-deposit',
  6,
  3,
  'B-hear CANARY-B-shared-hear',
];
const B_PRIVATE = 'CANARY-B-PRIVATE';

/** A answers and sends. */
function aSends(c: Couple): void {
  c.a.say('/checkin');
  answerAll(c.a, A_ANSWERS);
  expect(textOf(c.a.press(copy.review.send))).toBe(copy.checkin.waiting);
}

/** B answers (keeping "count on" private) and sends; returns B's inline replies. */
function bSends(c: Couple) {
  c.b.say('/checkin');
  answerAll(c.b, B_ANSWERS);
  c.b.press(copy.questions.countOn.label);
  c.b.press(copy.review.keep);
  return c.b.press(copy.review.send);
}

describe('a paired check-in on the queue', () => {
  it('delivers the reveal once, opening neutrally, protected, without a private answer', async () => {
    await platform();
    await start();
    const c = pair();
    await settled();
    aSends(c);
    const bReply = bSends(c);
    // The last sender sees the reveal inline; the first gets it through the outbox.
    expect(textOf(bReply)).toContain(copy.reveal.opening);

    await eventually(() => sentTo(c.a).some((m) => m.text.includes(copy.reveal.opening)), 10_000, 'reveal');
    await settled();
    await sleep(1200);
    const reveals = sentTo(c.a).filter((m) => m.text.includes(copy.reveal.opening));
    expect(reveals).toHaveLength(1);
    const reveal = reveals[0]!;
    // A lock-screen preview shows only the neutral first line.
    expect(reveal.text.split('\n')[0]).toBe(copy.update);
    expect(reveal.protect).toBe(true);
    // It is B's check-in A reads: B's shared words are there, B's private one is not.
    expect(reveal.text).toContain('CANARY-B-shared-deposit');
    expect(reveal.text).toContain('CANARY-B-shared-hear');
    for (const m of fake.sent) expect(m.text).not.toContain(B_PRIVATE);
    // Nothing reached B's chat twice, and the prompt B never needed (B was already answering) was not sent.
    const bTexts = sentTo(c.b).map((m) => m.text);
    expect(new Set(bTexts).size).toBe(bTexts.length);
    expect(rows().filter((r) => r.kind === 'reveal')).toMatchObject([{ state: 'sent' }]);
    expect(fake.perChatViolations()).toBe(0);
    // (A 429 can occur here: see "per-chat spacing holds at the platform" below.)
    expect(fake.rejected.filter((r) => r.status !== 429)).toEqual([]);
  });
});

describe('platform limits and failures', () => {
  it('a platform answering 429 still gets everything exactly once, one per chat per second', async () => {
    // The bot declares 25/s; this platform takes 2/s and answers 429 beyond.
    await platform({ perSecond: 2 });
    await start();
    const couples = Array.from({ length: 5 }, (_, i) => pair([`A${i}`, `B${i}`]));
    for (const c of couples) c.a.say('/checkin');
    await settled(25_000);

    expect(fake.count429()).toBeGreaterThan(0);
    const all = rows();
    expect(all.length).toBe(10); // a "paired" notice to each A and a prompt to each B
    expect(all.every((r) => r.state === 'sent')).toBe(true);
    await sleep(1200);
    // Each outbox row arrived once: one message per row, in the chat of its member.
    for (const c of couples) {
      expect(sentTo(c.a).map((m) => m.text.split('\n')[0])).toEqual([copy.update]);
      const prompts = sentTo(c.b);
      expect(prompts).toHaveLength(1);
      expect(prompts[0]!.text).toContain(copy.ready);
    }
    expect(fake.sent).toHaveLength(all.length);
    expect(fake.perChatViolations()).toBe(0);
  }, 40_000);

  it('a burst of prompts never draws a 429 from a platform allowing 30/s (the bot declares 25/s)', async () => {
    // 40 couples' occurrences fire together: 80 prompts to 80 chats. A 429 pauses every send
    // for at least a second, and Telegram lengthens the wait for bots that keep hitting it.
    await platform({ perSecond: 30 });
    const app = await start();
    const now = Date.now();
    const ids = sim.repo.transaction(() =>
      Array.from({ length: 40 }, (_, i) => {
        const [a, b] = [0, 1].map((k) => {
          const m = sim.repo.createMember('telegram', String(50_000 + 2 * i + k), `P${i}${k}`, 'en', now);
          return sim.repo.updateMember(m.id, {
            role: k === 0 ? 'recovery' : 'partner',
            timeZone: 'UTC',
            onboardedAt: now,
          });
        });
        return sim.repo.createCouple({
          kind: 'pair',
          memberA: a!.id,
          memberB: b!.id,
          timeZone: 'UTC',
          createdAt: now,
        }).id;
      }),
    );
    await app.queues.rounds.addBulk(
      ids.map((coupleId) => ({ name: 'open', data: { coupleId }, opts: { prevMillis: now } })),
    );
    await eventually(() => fake.sent.length >= 80, 20_000, 'every prompt');
    await settled();
    expect(new Set(fake.sent.map((m) => m.chatId)).size).toBe(80);
    expect(fake.count429()).toBe(0);
  }, 30_000);

  it('per-chat spacing holds at the platform even when one request is slower in flight', async () => {
    // Network latency varies: here the first request takes 300 ms longer to reach the platform.
    // The platform measures one message per second per chat where messages arrive, not where
    // the worker took its gate, so the worker must leave the gap after the send, not before it.
    await platform();
    class SlowFirst extends FakeTransport {
      #calls = 0;
      override async send(...args: Parameters<FakeTransport['send']>) {
        if (this.#calls++ === 0) await sleep(300);
        return super.send(...args);
      }
    }
    const app = await startApp({
      engine: sim.engine,
      repo: sim.repo,
      redisUrl: REDIS_URL,
      prefix,
      role: 'all',
      transports: [new SlowFirst(fake.url, { platform: 'telegram' })],
      log: createLogger('debug', (line) => sim.logLines.push(line)),
    });
    apps.push(app);
    const c = pair();
    // Two notices for A, queued together: "you're connected", then "the rhythm changed".
    c.b.say('/schedule wed 06:15');
    await settled();
    await sleep(1200);
    expect(sentTo(c.a)).toHaveLength(2);
    expect(fake.perChatViolations()).toBe(0);
    expect(fake.count429()).toBe(0);
  });

  it('a person who blocked the bot is marked unreachable after one 403, and the mark clears when they write', async () => {
    await platform();
    const app = await start();
    const c = pair();
    await settled();
    fake.blocked.add(chat(c.b));
    c.a.say('/checkin');
    await eventually(() => fake.rejected.some((r) => r.status === 403), 10_000, 'the 403');
    await settled();
    const bMember = memberOf(sim, c.b);
    expect(bMember.unreachableAt).not.toBeNull();
    expect(rowsTo(c.b)).toMatchObject([{ kind: 'prompt', state: 'failed' }]);

    // A reminder for B goes nowhere near the platform: no retry storm.
    const roundId = sim.repo.openRoundOf(c.coupleId)!.id;
    await app.queues.rounds.add('remind', { roundId });
    await eventually(() => rowsTo(c.b).some((r) => r.kind === 'reminder' && r.state === 'failed'), 10_000);
    await sleep(1500);
    expect(fake.rejected.filter((r) => r.chatId === chat(c.b))).toMatchObject([{ status: 403 }]);
    expect(sentTo(c.b)).toEqual([]);

    expect(textOf(c.a.say('/status'))).toContain(copy.status.partnerUnreachable);

    // B unblocks and writes again: the mark is gone for A.
    fake.blocked.delete(chat(c.b));
    c.b.say('/status');
    expect(memberOf(sim, c.b).unreachableAt).toBeNull();
    expect(textOf(c.a.say('/status'))).not.toContain(copy.status.partnerUnreachable);
  });

  it('transient 502s are retried until the message arrives, once', async () => {
    await platform();
    await start();
    const c = pair();
    await settled();
    fake.failNext(2, 502);
    c.a.say('/checkin');
    await eventually(() => sentTo(c.b).length > 0, 15_000, 'the prompt after two 502s');
    await settled();
    await sleep(1200);
    expect(fake.rejected.map((r) => r.status)).toEqual([502, 502]);
    expect(sentTo(c.b)).toHaveLength(1);
    expect(sentTo(c.b)[0]!.text).toContain(copy.ready);
    expect(rowsTo(c.b)).toMatchObject([{ kind: 'prompt', state: 'sent' }]);
  }, 25_000);
});

describe('rendered at send time', () => {
  it('a partner who deletes everything before the worker runs: nothing of theirs goes out', async () => {
    await platform();
    // Only the bot part runs: rows are written and queued, but nothing sends yet.
    const bot = await start('bot');
    const c = pair();
    aSends(c);
    // B answers and sends: the mutual reveal to A is written, holding B's shared words if rendered now.
    bSends(c);
    const bId = memberOf(sim, c.b).id;
    expect(rowsTo(c.b).map((r) => [r.kind, r.state])).toEqual([['prompt', 'pending']]);
    const reveal = rows().find((r) => r.kind === 'reveal')!;
    expect(reveal.state).toBe('pending');
    // Both are on the send queue already, as ids.
    for (const id of [reveal.id, rowsTo(c.b)[0]!.id]) {
      await eventually(() => bot.queues.send.telegram.getJob(`o-${id}`), 5000, 'the send job');
    }

    c.b.say('/delete');
    c.b.press(copy.deletion.button);
    expect(sim.repo.member(bId)).toBeUndefined();

    // Now a worker renders what was queued.
    await start('worker');
    await settled();
    await sleep(1200);
    expect(sentTo(c.b)).toEqual([]);
    for (const m of fake.sent) {
      expect(m.text).not.toContain('CANARY-B');
      expect(m.text).not.toContain('B-hear');
    }
    // Rows to B went with B (or were cancelled): none was sent.
    const bRows = sim.store.sqlite.prepare('select state from outbox where member_id = ?').all(bId);
    expect(bRows.filter((r) => (r as { state: string }).state !== 'cancelled')).toEqual([]);
    // A's "you're connected" notice, queued while they were paired, is no longer true: not sent.
    expect(sentTo(c.a).some((m) => m.text.includes("You're connected"))).toBe(false);
    expect(rows().find((r) => r.kind === 'paired')?.state).toBe('cancelled');
    // A hears, neutrally, that the pairing ended.
    expect(sentTo(c.a).filter((m) => m.text.includes(copy.pairing.ended))).toHaveLength(1);
  });
});

describe('at most once', () => {
  it('a row found "sending" is never sent; the reconciler marks it uncertain once stale', async () => {
    await platform();
    const bot = await start('bot');
    const c = pair();
    c.a.say('/checkin');
    const prompt = rowsTo(c.b).find((r) => r.kind === 'prompt')!;
    const job = `o-${prompt.id}`;
    await eventually(() => bot.queues.send.telegram.getJob(job), 5000, 'the send job');
    // As if a worker had marked it and died before (or after) the platform call.
    expect(sim.repo.moveOutbox(prompt.id, ['pending'], 'sending', Date.now())).toBe(true);

    const app = await start('worker');
    // The worker takes the job and finds the row already "sending": it does not send it.
    await eventually(
      async () => !(await app.queues.send.telegram.getJob(job)),
      10_000,
      'the job to be taken',
    );
    // Everything else (A's "paired" notice) goes.
    await eventually(() => sentTo(c.a).length > 0, 10_000, "A's notice");
    expect(sim.repo.outboxRow(prompt.id)?.state).toBe('sending');

    const deps = {
      engine: sim.engine,
      repo: sim.repo,
      scheduler: app.scheduler,
      relay: app.relay,
      log: createLogger('silent'),
    };
    // Fresh: it may still be in flight somewhere, so it is left alone.
    expect((await reconcile(deps)).uncertain).toBe(0);
    expect(sim.repo.outboxRow(prompt.id)?.state).toBe('sending');
    // Three minutes on, it was abandoned: uncertain, and not queued again.
    const later = await reconcile({ ...deps, clock: () => Date.now() + 3 * 60_000 });
    expect(later.uncertain).toBe(1);
    expect(sim.repo.outboxRow(prompt.id)?.state).toBe('uncertain');
    await sleep(1200);
    expect(sentTo(c.b)).toEqual([]);
    expect(sim.repo.outboxRow(prompt.id)?.state).toBe('uncertain');
  });
});
