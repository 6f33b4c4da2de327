import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { copy } from '../../src/checkin/copy.ts';
import type { Core } from '../../src/core.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { outboxSettled } from './outbox.ts';

// Generated histories for a therapist's channel, played through a real platform adapter and
// its emulator (issue 6): a couple links a channel and agrees (each partner in a scope), then
// has rounds where each partner shares or keeps what they like, some rounds one-sided with a
// release or not, and perhaps a /revoke on the way. An independent model says which canaries
// the channel may show; after every round, everything the channel ever showed is checked
// against it, and what it must show (a two-sided round within consent) is checked too.

export type Scope = 'scores' | 'words';

/** What one partner does in a round. */
export interface SidePlan {
  /** At review: [Safety] then [Share it]. */
  shareSafety: boolean;
  /** At review: [What I want you to hear] then [Keep it private]. */
  keepHear: boolean;
  skipDeposit: boolean;
}

export interface RoundPlan {
  a: SidePlan;
  b: SidePlan;
  /** Both send; otherwise only A does and the deadline closes the round. */
  bothSend: boolean;
  /** After a one-sided close, A releases their answers to B. */
  release: boolean;
}

export interface HistoryPlan {
  scopes: [Scope, Scope];
  /** How many partners press [I agree] (A first). */
  agree: 1 | 2;
  rounds: RoundPlan[];
  /** A sends /revoke after this round (0-based), if set. */
  revokeAfter: number | null;
}

const side: fc.Arbitrary<SidePlan> = fc.record({
  shareSafety: fc.boolean(),
  keepHear: fc.boolean(),
  skipDeposit: fc.nat(3).map((n) => n === 0),
});

/** Histories short enough for an emulator: one to three rounds. */
export const historyPlan: fc.Arbitrary<HistoryPlan> = fc.record({
  scopes: fc.tuple(fc.constantFrom<Scope>('scores', 'words'), fc.constantFrom<Scope>('scores', 'words')),
  agree: fc.constantFrom<1 | 2>(1, 2, 2, 2),
  rounds: fc.array(
    fc.record({ a: side, b: side, bothSend: fc.nat(3).map((n) => n > 0), release: fc.boolean() }),
    { minLength: 1, maxLength: 3 },
  ),
  revokeAfter: fc.option(fc.nat(1), { nil: null }),
});

/** A partner in their private chat with the bot, on some platform. */
export interface Partner {
  press(label: string): Promise<unknown>;
  /** Numbers press scale buttons, strings are typed, null presses Skip. */
  answer(answers: (number | string | null)[]): Promise<void>;
  /** A private command with an optional argument ("therapist", "code"). */
  run(command: string, arg?: string): Promise<unknown>;
  /** Waits until `count` messages of the private chat have ever shown `text` (in any version). */
  waitForText(text: string, count?: number): Promise<void>;
}

/** A therapist's group or channel, on the same platform. */
export interface Group {
  /** The manager sends /link there; returns the code the bot answered with. */
  link(): Promise<string>;
  /** Every text the group ever showed (every version of every message, buttons included). */
  texts(): string[];
}

export interface HistoryWorld {
  a: Partner;
  b: Partner;
  group: Group;
  engine: Engine;
  coupleId: number;
  /** Unique per run, so canaries of different runs never meet. */
  tag: string;
  /** Waits until every outbox row is sent or cancelled. */
  outboxSettled(): Promise<void>;
}

/** A line of the consent request that names nothing: how a partner knows it arrived. */
const CONSENT_LINE = copy.channel.consentAsk('', null, '')[4]!;

const SCORES = {
  a: { consistency: 7, reliability: 6, safety: 9, fear: 3, anger: 2 },
  b: { consistency: 5, reliability: 4, safety: 8, fear: 1, anger: 0 },
};

/** What the partners type in fullRound. */
export const ROUND_WORDS = {
  a: ['A count on walks', 'A deposit called', 'A hear me'],
  b: ['B count on tea', 'B deposit group', 'B hear private'],
} as const;
let occurrence = 0;

/**
 * A whole round through a platform, opened as the scheduler opens it (on-demand check-ins are
 * limited to two a day): both send; B keeps "hear" (ROUND_WORDS.b[2]) private.
 */
export async function fullRound(
  bot: { core: Core },
  coupleId: number,
  a: Partner,
  b: Partner,
): Promise<void> {
  bot.core.engine.openRound(coupleId, `s:full-round-${++occurrence}`, Date.now());
  const [wa, wb] = [ROUND_WORDS.a, ROUND_WORDS.b];
  for (const [p, answers, keepHear] of [
    [a, [7, 6, 9, wa[0], wa[1], 3, 2, wa[2]], false],
    [b, [5, 4, 8, wb[0], wb[1], 1, 0, wb[2]], true],
  ] as const) {
    // The newest [Start] is this round's once its prompt is out.
    await outboxSettled(bot);
    await p.press(copy.checkin.start);
    await p.answer([...answers]);
    if (keepHear) {
      await p.press(copy.questions.hear.label);
      await p.press(copy.review.keep);
    }
    await p.press(copy.review.send);
  }
  await outboxSettled(bot);
}

/**
 * Plays `runs` generated histories on a running bot, each with a fresh couple and a fresh place
 * from `setUp`. No shrinking: on an emulator one more run costs seconds, and the plan is printed.
 */
export async function assertHistories(
  bot: { core: Core },
  runs: number,
  setUp: () => Promise<{ a: Partner; b: Partner; group: Group; coupleId: number }>,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(historyPlan, async (plan) => {
      const world = await setUp();
      await playHistory(
        {
          ...world,
          engine: bot.core.engine,
          tag: randomBytes(3).toString('hex'),
          outboxSettled: () => outboxSettled(bot).then(() => undefined),
        },
        plan,
      ).catch((error: unknown) => {
        // A step that timed out says what it waited for; the plan says how it got there.
        if (error instanceof Error && !error.message.includes('plan: '))
          error.message += `\n${describe(plan)}`;
        throw error;
      });
    }),
    { numRuns: runs, endOnFailure: true },
  );
}

/** Plays a history and fails with a description of the first thing the channel should not have shown. */
export async function playHistory(w: HistoryWorld, plan: HistoryPlan): Promise<void> {
  const canary = (round: number, who: 'a' | 'b', q: string) => `${w.tag}R${round}${who.toUpperCase()}${q}`;
  const allowed = new Set<string>();
  const all = new Set<string>();
  let consented = false;
  let revoked = false;
  let safetyLines = 0;

  const code = await w.group.link();
  await w.a.run('therapist', code);
  const [scopeA, scopeB] = plan.scopes;
  await w.a.press(scopeA === 'scores' ? copy.channel.agreeScores : copy.channel.agreeWords);
  if (plan.agree === 2) {
    await w.b.waitForText(CONSENT_LINE);
    await w.b.press(scopeB === 'scores' ? copy.channel.agreeScores : copy.channel.agreeWords);
    consented = true;
  }
  const words = consented && scopeA === 'words' && scopeB === 'words';

  for (const [i, round] of plan.rounds.entries()) {
    const opened = w.engine.openRound(w.coupleId, `s:history-${w.tag}-${i}`, Date.now());
    if (!opened) throw new Error(`round ${i} did not open`);
    const plays: [Partner, 'a' | 'b', SidePlan][] = [[w.a, 'a', round.a]];
    if (round.bothSend) plays.push([w.b, 'b', round.b]);
    const texts: Record<'a' | 'b', { countOn: string; deposit: string | null; hear: string }> = {
      a: {
        countOn: canary(i, 'a', 'count'),
        deposit: canary(i, 'a', 'deposit'),
        hear: canary(i, 'a', 'hear'),
      },
      b: {
        countOn: canary(i, 'b', 'count'),
        deposit: canary(i, 'b', 'deposit'),
        hear: canary(i, 'b', 'hear'),
      },
    };
    for (const [p, who, s] of plays) {
      const t = texts[who];
      if (s.skipDeposit) t.deposit = null;
      for (const c of [t.countOn, t.deposit, t.hear]) if (c) all.add(c);
      // The newest [Start] is this round's once its prompt is out. (A prompt to someone who did
      // not play a one-sided round may never have gone out: the deadline came first.)
      await w.outboxSettled();
      await p.press(copy.checkin.start);
      const sc = SCORES[who];
      await p.answer([
        sc.consistency,
        sc.reliability,
        sc.safety,
        t.countOn,
        t.deposit,
        sc.fear,
        sc.anger,
        t.hear,
      ]);
      if (s.shareSafety) {
        await p.press(copy.questions.safety.label);
        await p.press(copy.review.share);
      }
      if (s.keepHear) {
        await p.press(copy.questions.hear.label);
        await p.press(copy.review.keep);
      }
      await p.press(copy.review.send);
    }
    const posts = consented && !revoked && round.bothSend;
    if (!round.bothSend) {
      w.engine.closeRound(opened.roundId);
      // The release question only comes when A shared something; A always shares count-on.
      await w.outboxSettled();
      await w.a.press(round.release ? copy.deadline.releaseButton : copy.deadline.keepButton);
    }
    if (posts && words) {
      for (const who of ['a', 'b'] as const) {
        const t = texts[who];
        allowed.add(t.countOn);
        if (t.deposit) allowed.add(t.deposit);
        if (!round[who].keepHear) allowed.add(t.hear);
      }
    }
    await w.outboxSettled();

    const shown = w.group.texts().join('\n');
    const leaked = [...all].filter((c) => shown.includes(c) && !allowed.has(c));
    if (leaked.length > 0) {
      throw new Error(`after round ${i}: the channel shows ${leaked.join(', ')}\n${describe(plan)}`);
    }
    const missing = [...allowed].filter((c) => !shown.includes(c));
    if (missing.length > 0) {
      throw new Error(`after round ${i}: the channel never got ${missing.join(', ')}\n${describe(plan)}`);
    }
    // Safety scores: the line appears only for a round posted with a shared safety score, and
    // then names only the partners who shared theirs.
    const lines = shown.split('\n').filter((l) => l.startsWith(`${copy.questions.safety.label}:`));
    const sharers = posts ? (['a', 'b'] as const).filter((who) => round[who].shareSafety) : [];
    if (sharers.length > 0) safetyLines++;
    if (lines.length !== safetyLines) {
      throw new Error(
        `after round ${i}: ${lines.length} safety lines, expected ${safetyLines}\n${describe(plan)}`,
      );
    }
    const last = lines.at(-1);
    if (sharers.length > 0 && last) {
      for (const who of ['a', 'b'] as const) {
        const label = copy.channel.partnerLabels[who === 'a' ? 0 : 1].toLowerCase();
        if (last.includes(label) !== sharers.includes(who)) {
          throw new Error(`after round ${i}: "${last}" is wrong about ${label}\n${describe(plan)}`);
        }
      }
    }
    if (plan.revokeAfter === i && !revoked) {
      await w.a.run('revoke');
      revoked = true;
    }
  }
}

function describe(plan: HistoryPlan): string {
  return `plan: ${JSON.stringify(plan)}`;
}
