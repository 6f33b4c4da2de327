import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { type SimPerson, Simulation } from '../../src/demo/simulation.ts';
import type { Inbound, Outbound } from '../../src/engine/types.ts';
import { type FakePlatform, startFakePlatform } from '../support/fake-platform.ts';
import { answerAll, memberOf, pairCouple } from '../support/people.ts';
import { deleteKeys, eventually, REDIS_URL } from '../support/redis.ts';
import { tempDirs } from '../support/tmp.ts';

// The bot as a child process, killed with SIGKILL at named points of a round, then restarted:
// no answer is lost, no summary is sent twice, and every outbox row is accounted for.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(ROOT, 'test/support/bot-child.ts');
const tempDir = tempDirs('checkin-crash');
const KEY = randomBytes(32);
const ANSWERS = [6, 5, 4, 'CANARY-count-on', 'CANARY-deposit', 3, 2, 'CANARY-hear'] as const;

let fake: FakePlatform;
beforeAll(async () => {
  fake = await startFakePlatform();
});
afterAll(async () => {
  await fake.close();
});

/** A running bot process and what it replied. */
interface Bot {
  child: ChildProcess;
  replies: Map<string, Outbound[]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startBot(dir: string, prefix: string, crashAt?: string): Promise<Bot> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, fake.url], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATA_DIR: dir,
      DATA_KEY: KEY.toString('base64'),
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ...(crashAt ? { CRASH_AT: crashAt } : {}),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const replies = new Map<string, Outbound[]>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'READY') return resolve();
      const r = JSON.parse(line) as { dedupeKey: string; out: Outbound[] };
      replies.set(r.dedupeKey, r.out);
    });
    void exited.then(({ signal }) => reject(new Error(`bot exited before it was ready (${signal})`)));
  });
  await ready;
  return { child, replies, exited };
}

function send(bot: Bot, inbound: Inbound): void {
  bot.child.stdin!.write(`${JSON.stringify(inbound)}\n`);
}

/**
 * A paired couple in a database of its own, left where a crash is interesting: A has answered
 * (and sent, unless `aSends` is false); B has answered all but the last question.
 */
function prepare(aSends: boolean) {
  const dir = tempDir();
  const sim = new Simulation({ dir, keep: true, dataKey: KEY });
  const c = pairCouple(sim);
  c.a.say('/checkin');
  answerAll(c.a, [...ANSWERS]);
  if (aSends) c.a.press(copy.review.send);
  sim.deliverOutbox();
  c.b.press(copy.checkin.start);
  answerAll(c.b, ANSWERS.slice(0, -1) as unknown as (string | number)[]);
  const roundId = sim.repo.openRoundOf(c.coupleId)!.id;
  const b = memberOf(sim, c.b);
  const base = (p: SimPerson, key: string) => ({
    actor: p.actor,
    chat: { platform: p.actor.platform, chatId: p.actor.userId, kind: 'private' as const },
    dedupeKey: key,
  });
  const updates: Inbound[] = [
    { ...base(c.b, 'crash-1'), kind: 'text', text: 'CANARY-last-answer' },
    { ...base(c.b, 'crash-2'), kind: 'choice', token: sim.engine.deps.tokens.mint(b.id, 'send', roundId) },
  ];
  const aChat = c.a.actor.userId;
  const bMember = b.id;
  sim.close();
  return { dir, roundId, updates, aChat, bMember };
}

function reopen(dir: string) {
  return new Simulation({ dir, keep: true, dataKey: KEY });
}

const revealsTo = (chatId: string) =>
  fake.sent.filter((m) => m.chatId === chatId && m.text.includes(copy.reveal.opening)).length;

const cases = [
  { point: 'after-answer-commit', aSends: true },
  { point: 'after-submit-commit', aSends: false },
  { point: 'after-reveal-commit', aSends: true },
  { point: 'after-sending-mark', aSends: true },
  { point: 'after-platform-send', aSends: true },
];

describe('a bot killed with SIGKILL mid-round, then restarted', () => {
  for (const { point, aSends } of cases) {
    it(`loses nothing and sends nothing twice: ${point}`, async () => {
      fake.reset();
      const prefix = `test-crash-${point}-${process.pid}`;
      const { dir, roundId, updates, aChat, bMember } = prepare(aSends);

      const first = await startBot(dir, prefix, point);
      for (const u of updates) send(first, u);
      const { signal } = await first.exited;
      expect(signal, 'the bot died at the crash point').toBe('SIGKILL');

      // Restart; the platform redelivers every update it has no confirmation for.
      const second = await startBot(dir, prefix);
      for (const u of updates) send(second, u);
      await eventually(() => updates.every((u) => second.replies.has(u.dedupeKey)), 15_000, 'replies');

      const sim = reopen(dir);
      try {
        // Every answer B gave is there, once.
        const bAnswers = sim.store.sqlite
          .prepare('select count(*) n from answers where member_id = ? and round_id = ?')
          .get(bMember, roundId);
        expect(bAnswers).toEqual({ n: ANSWERS.length });
        expect(sim.repo.participation(roundId, bMember)?.submittedAt).not.toBeNull();

        if (aSends) {
          expect(sim.repo.round(roundId)?.status).toBe('revealed');
          // A's reveal goes through the outbox: at most once, and exactly once unless the crash
          // came between marking it "sending" and the platform call.
          await eventually(
            () => {
              const s = sim.store.sqlite
                .prepare("select state from outbox where kind = 'reveal' and round_id = ?")
                .get(roundId) as { state: string } | undefined;
              return s && s.state !== 'pending';
            },
            15_000,
            'the reveal row to leave pending',
          );
          await new Promise((r) => setTimeout(r, 1500));
          const expected = point === 'after-sending-mark' ? 0 : 1;
          expect(revealsTo(aChat)).toBe(expected);
        }
        // B's own summary (or "waiting") came back inline exactly once across both runs.
        const bReplies = [...second.replies.values()].flat();
        expect(
          bReplies.filter((o) => o.type === 'message' && o.kind === 'summary').length,
        ).toBeLessThanOrEqual(1);
        // No row is unaccounted for: each is sent, cancelled, or (the one the crash caught mid-send)
        // still "sending", which the reconciler turns into "uncertain" and never sends again.
        const rows = sim.store.sqlite.prepare('select id, state from outbox').all() as {
          id: number;
          state: string;
        }[];
        const sending = rows.filter((r) => r.state === 'sending');
        expect(rows.filter((r) => r.state === 'pending')).toEqual([]);
        expect(sending.length).toBe(
          point === 'after-sending-mark' || point === 'after-platform-send' ? 1 : 0,
        );
        expect(sim.repo.markStaleSendingUncertain(Date.now() + 3 * 60_000, Date.now())).toBe(sending.length);
        // Nothing typed reached the platform for the wrong person.
        expect(
          fake.sent.filter((m) => m.chatId === aChat && m.text.includes('CANARY-count-on')).length,
        ).toBeLessThanOrEqual(1);
      } finally {
        sim.close();
        second.child.kill('SIGTERM');
        await second.exited;
        await deleteKeys(REDIS_URL, prefix);
      }
    }, 60_000);
  }
});
