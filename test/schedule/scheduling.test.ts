import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { copy } from '../../src/checkin/copy.ts';
import { nextOccurrence } from '../../src/checkin/schedule.ts';
import { Simulation } from '../../src/demo/simulation.ts';
import { scheduleOf } from '../../src/engine/couples.ts';
import { createLogger } from '../../src/ops/log.ts';
import { handleRoundJob } from '../../src/schedule/rounds.ts';
import { schedulerId } from '../../src/schedule/scheduler.ts';
import { answerAll, memberOf, onboard, pairCouple } from '../support/people.ts';
import { deleteKeys, eventually, REDIS_URL, uniquePrefix } from '../support/redis.ts';

const prefix = uniquePrefix('scheduling');
let sim: Simulation;
let app: App;

beforeEach(async () => {
  sim = new Simulation({ realTime: true });
  app = await startApp({
    engine: sim.engine,
    repo: sim.repo,
    redisUrl: REDIS_URL,
    prefix,
    role: 'all',
    transports: [],
    log: createLogger('silent'),
  });
});

afterEach(async () => {
  await app.stop(2000);
  await deleteKeys(REDIS_URL, prefix);
  sim.close();
});

const outboxKinds = () =>
  sim.store.sqlite.prepare('select kind, member_id as memberId from outbox order by id').all() as {
    kind: string;
    memberId: number;
  }[];

describe('job schedulers', () => {
  it("fire when the pure occurrence function says, in each couple's own zone", async () => {
    const cases = [
      { timeZone: 'America/Chicago', weekdays: '7', localTime: '02:30' },
      { timeZone: 'Europe/London', weekdays: '1,2,3,4,5,6,7', localTime: '01:30' },
      { timeZone: 'Australia/Sydney', weekdays: '3,6', localTime: '19:00' },
      { timeZone: 'Asia/Kathmandu', weekdays: '5', localTime: '07:45' },
    ];
    for (const c of cases) {
      const couple = sim.repo.createCouple({ kind: 'solo', createdAt: Date.now(), ...c });
      await app.scheduler.sync(couple.id);
      const next = await app.scheduler.nextRun(couple.id);
      expect(next, c.timeZone).toBe(nextOccurrence(scheduleOf(couple), Date.now()));
    }
  });

  it('follow a /schedule change and go away on /unpair', async () => {
    const c = pairCouple(sim);
    await eventually(() => app.scheduler.nextRun(c.coupleId), 5000, 'a scheduler for the new couple');
    c.a.say('/schedule wed 06:15');
    const couple = sim.repo.couple(c.coupleId)!;
    const want = nextOccurrence(scheduleOf(couple), Date.now());
    await eventually(async () => (await app.scheduler.nextRun(c.coupleId)) === want, 5000, 'the new rhythm');
    c.a.say('/unpair');
    c.a.press(copy.pairing.unpairButton);
    await eventually(async () => (await app.scheduler.nextRun(c.coupleId)) === undefined, 5000, 'removal');
  });

  it('open one round per occurrence, however often a firing is delivered', async () => {
    const c = pairCouple(sim);
    const at = Date.now() - 60_000;
    for (let i = 0; i < 3; i++) {
      await app.queues.rounds.add('open', { coupleId: c.coupleId }, { prevMillis: at });
    }
    await eventually(() => sim.repo.openRoundOf(c.coupleId), 5000, 'the round');
    await new Promise((r) => setTimeout(r, 300));
    const rounds = sim.store.sqlite
      .prepare('select count(*) n from rounds where couple_id = ?')
      .get(c.coupleId);
    expect(rounds).toEqual({ n: 1 });
    expect(outboxKinds().filter((o) => o.kind === 'prompt')).toHaveLength(2);
    // Its reminder and deadline are queued, with ids derived from the round.
    const roundId = sim.repo.openRoundOf(c.coupleId)!.id;
    await eventually(() => app.queues.rounds.getJob(`deadline-${roundId}`), 5000, 'deadline job');
    expect(await app.queues.rounds.getJob(`remind-${roundId}`)).toBeDefined();
  });

  it('never opens a round whose window passed while the bot was down', async () => {
    const c = pairCouple(sim);
    const job = {
      name: 'open',
      data: { coupleId: c.coupleId },
      opts: { prevMillis: Date.now() - 25 * 3600_000 },
    };
    expect(
      await handleRoundJob(
        {
          engine: sim.engine,
          repo: sim.repo,
          scheduler: app.scheduler,
          relay: app.relay,
          log: createLogger('silent'),
        },
        job as unknown as Job,
      ),
    ).toBe('refused');
    expect(sim.repo.openRoundOf(c.coupleId)).toBeUndefined();
  });
});

describe('a round on the queue', () => {
  it('reminds only the partner who has not sent, once', async () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    answerAll(c.a, [5, 5, 5, 'x', 'y', 5, 5, 'z']);
    c.a.press(copy.review.send);
    const roundId = sim.repo.openRoundOf(c.coupleId)!.id;
    await app.queues.rounds.add('remind', { roundId });
    await app.queues.rounds.add('remind', { roundId });
    await eventually(() => outboxKinds().some((o) => o.kind === 'reminder'), 5000, 'a reminder');
    await new Promise((r) => setTimeout(r, 300));
    const reminders = outboxKinds().filter((o) => o.kind === 'reminder');
    expect(reminders).toEqual([{ kind: 'reminder', memberId: memberOf(sim, c.b).id }]);
  });

  it('closes at the deadline: the sender is asked about releasing, the other told it closed', async () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    answerAll(c.a, [5, 5, 5, 'x', 'y', 5, 5, 'z']);
    c.a.press(copy.review.send);
    const roundId = sim.repo.openRoundOf(c.coupleId)!.id;
    await app.queues.rounds.add('deadline', { roundId });
    await eventually(() => sim.repo.round(roundId)?.status === 'closed', 5000, 'the close');
    const kinds = outboxKinds().filter((o) => o.kind === 'release-ask' || o.kind === 'round-closed');
    expect(kinds).toEqual([
      { kind: 'release-ask', memberId: memberOf(sim, c.a).id },
      { kind: 'round-closed', memberId: memberOf(sim, c.b).id },
    ]);
  });
});

describe('the reconciler', () => {
  it('restores every schedule and open round job after Redis is wiped', async () => {
    const pair = pairCouple(sim);
    const solo = sim.person('Robin');
    onboard(solo);
    solo.say('/schedule daily 21:00');
    pair.a.say('/checkin');
    const roundId = sim.repo.openRoundOf(pair.coupleId)!.id;
    const soloCouple = sim.repo.activeCoupleOf(memberOf(sim, solo).id)!.id;
    await eventually(() => app.queues.rounds.getJob(`deadline-${roundId}`), 5000, 'round jobs');

    expect(await deleteKeys(REDIS_URL, prefix)).toBeGreaterThan(0);
    expect(await app.queues.rounds.getJobScheduler(schedulerId(pair.coupleId))).toBeUndefined();

    const report = await app.reconcile();
    expect(report.schedulers).toBe(2);
    expect(report.nextMismatches).toBe(0);
    for (const id of [pair.coupleId, soloCouple]) {
      const couple = sim.repo.couple(id)!;
      expect(await app.scheduler.nextRun(id)).toBe(nextOccurrence(scheduleOf(couple), Date.now()));
    }
    expect(await app.queues.rounds.getJob(`deadline-${roundId}`)).toBeDefined();
    expect(await app.queues.rounds.getJob(`remind-${roundId}`)).toBeDefined();
  });

  it('closes rounds whose deadline passed while the bot was down, and removes orphan schedulers', async () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = sim.repo.openRoundOf(c.coupleId)!.id;
    sim.repo.updateRound(roundId, { deadlineAt: Date.now() - 1000 });
    await app.queues.rounds.upsertJobScheduler(
      'couple-999999',
      { pattern: '0 9 * * 1' },
      { name: 'open', data: { coupleId: 999999 } },
    );
    const report = await app.reconcile();
    expect(report.closed).toBe(1);
    expect(report.orphansRemoved).toBe(1);
    expect(sim.repo.round(roundId)?.status).toBe('closed');
  });
});
