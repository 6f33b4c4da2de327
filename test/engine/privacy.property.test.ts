import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { plainText, type SimGroup, type SimPerson, Simulation } from '../../src/demo/simulation.ts';
import type { Button } from '../../src/engine/types.ts';
import {
  answerIdsOf,
  type CanaryInfo,
  onboardCouple,
  PrivacyMonitor,
  PrivacyViolation,
  pair,
  TEXT_VARIANTS,
} from '../support/privacy.ts';

// Privacy as invariants (DESIGN.md, "Testing"). A couple — one on Telegram, one on Discord —
// onboards and pairs, then does random things for a while: check-ins, answers with canary
// strings (some with crisis wording, some with markup), skips, share/private flips, edits,
// support detours, sends, deadlines, release choices, pause/resume, /history, /status,
// /export, unpairing, re-pairing, deleting, re-starting, and outbox deliveries at random
// moments. After EVERY step the PrivacyMonitor (test/support/privacy.ts) checks everything
// anyone received, every new log line and every outbox row; at the end, the database files.

const HOUR = 3_600_000;

type Who = 'A' | 'B';
type Scope = 'scores' | 'words';
type Action =
  /**
   * The natural next move on the newest message: type an answer (with a canary) when it asks
   * for text, otherwise press its n-th button.
   */
  | { kind: 'advance'; who: Who; index: number; variant: number; crisis: boolean; form: boolean }
  /**
   * Finish one's check-in in one go (each move is still its own checked step): answer what is
   * left, maybe switch one answer between shared and private at review, then send.
   */
  | { kind: 'finish'; who: Who; seed: number }
  /** Press the n-th button of the newest message that has buttons (maybe an old one). */
  | { kind: 'tap'; who: Who; index: number }
  /** Press a button with this label wherever it is: the newest, or (age > 0) an older one. */
  | { kind: 'press'; who: Who; label: string; age: number }
  /** Type an answer with a canary in it whatever is being asked (or submit Discord's form). */
  | { kind: 'type'; who: Who; variant: number; crisis: boolean; form: boolean }
  | { kind: 'command'; who: Who; text: string }
  | { kind: 'deliver' }
  /**
   * 25 hours pass and every overdue round closes, as the deadline job would. Unless `early`,
   * only once someone has sent their check-in (a one-sided close, where the release is asked).
   */
  | { kind: 'deadline'; early: boolean }
  /** `who` invites the other again (after an unpair, or a delete and a new /start). */
  | { kind: 'repair'; who: Who }
  /**
   * The therapist sends /link in their group and `who` redeems the code with /therapist; then
   * `agree` of the two press [I agree] (`who` first, each step checked), with these scopes.
   */
  | { kind: 'link'; who: Who; agree: 0 | 1 | 2; scopes: [Scope, Scope] }
  /** Someone asks for /trends in the therapist's group. */
  | { kind: 'trends' };

const weighted = <T>(...xs: [number, T][]): fc.Arbitrary<T> =>
  fc.oneof(...xs.map(([weight, x]) => ({ weight, arbitrary: fc.constant(x) })));

const who = fc.constantFrom<Who>('A', 'B');

const labels = weighted(
  [8, copy.review.send],
  [3, copy.review.share],
  [2, copy.review.keep],
  [2, copy.review.confirmShare],
  [1, copy.review.edit],
  [1, copy.review.back],
  [2, copy.questions.safety.label],
  [1, copy.questions.hear.label],
  [1, copy.questions.countOn.label],
  [1, copy.questions.deposit.label],
  [1, copy.checkin.skip],
  [1, copy.checkin.support],
  [1, copy.checkin.continue],
  [1, copy.checkin.start],
  [1, copy.deletion.button],
  [1, copy.pairing.unpairButton],
  [1, copy.deletion.cancel],
  [1, copy.pairing.joinButton],
  [3, copy.channel.agreeWords],
  [2, copy.channel.agreeScores],
  [1, copy.channel.notNow],
);

const commands = weighted(
  [8, '/checkin'],
  [3, '/history'],
  [2, '/export'],
  [1, '/status'],
  [1, '/pause'],
  [1, '/pause 2 weeks'],
  [2, '/resume'],
  [2, '/unpair'],
  [2, '/delete'],
  [1, '/start'],
  [1, '/support'],
  [1, '/revoke'],
  [1, '/therapist'],
);

const typing = {
  variant: fc.nat(TEXT_VARIANTS - 1),
  // About one answer in four uses crisis wording.
  crisis: fc.nat(3).map((n) => n === 0),
  form: fc.boolean(),
};

const scope = fc.constantFrom<Scope>('scores', 'words');
const linkAction: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('link' as const),
  who,
  agree: fc.constantFrom<0 | 1 | 2>(0, 1, 2, 2),
  scopes: fc.tuple(scope, scope),
});

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 55,
    arbitrary: fc.record({ kind: fc.constant('advance'), who, index: fc.nat(20), ...typing }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('finish'), who, seed: fc.nat(10_000) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tap'), who, index: fc.nat(20) }) },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('press'),
      who,
      label: labels,
      age: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('type'), who, ...typing }) },
  { weight: 9, arbitrary: fc.record({ kind: fc.constant('command'), who, text: commands }) },
  { weight: 8, arbitrary: fc.constant({ kind: 'deliver' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('deadline'), early: fc.nat(3).map((n) => n === 0) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repair'), who }) },
  { weight: 3, arbitrary: linkAction },
  { weight: 1, arbitrary: fc.constant({ kind: 'trends' as const }) },
) as fc.Arbitrary<Action>;

const roleLabels = fc.record({
  a: fc.constantFrom(...Object.values(copy.onboarding.roles)),
  b: fc.constantFrom(...Object.values(copy.onboarding.roles)),
});

/** The newest message of a person that has buttons, flattened. */
function latestButtons(p: SimPerson): Button[] {
  for (let i = p.inbox.length - 1; i >= 0; i--) {
    const buttons = p.inbox[i]!.message.buttons?.flat() ?? [];
    if (buttons.length > 0) return buttons;
  }
  return [];
}

/** The buttons of a person with this label, newest first, one per distinct token. */
function buttonsLabelled(p: SimPerson, label: string): Button[] {
  const out = new Map<string, Button>();
  for (let i = p.inbox.length - 1; i >= 0; i--) {
    for (const b of p.inbox[i]!.message.buttons?.flat() ?? []) {
      if (b.label === label && !out.has(b.token)) out.set(b.token, b);
    }
  }
  return [...out.values()];
}

function hasForm(p: SimPerson): boolean {
  return p.inbox.some((r) => r.message.expectsText);
}

function openRounds(sim: Simulation): number[] {
  return (
    sim.store.sqlite.prepare("select id from rounds where status = 'open'").all() as { id: number }[]
  ).map((r) => r.id);
}

function pairedNow(sim: Simulation, member: number | null): boolean {
  return member !== null && sim.repo.activeCoupleOf(member)?.kind === 'pair';
}

/** Types (or, on Discord, submits through the newest form) a fresh answer with a canary. */
function typeAnswer(
  mon: PrivacyMonitor,
  p: SimPerson,
  who: Who,
  a: { variant: number; crisis: boolean; form: boolean },
): true {
  const info: CanaryInfo = mon.canaryText(p, a.variant, a.crisis);
  const form = a.form && p.actor.platform === 'discord' && hasForm(p);
  mon.step(`${who}: ${form ? 'submits the form with' : 'types'} ${JSON.stringify(info.text)}`);
  if (form) p.submitForm(info.text);
  else p.say(info.text);
  mon.locate(info);
  return true;
}

/**
 * Answers the rest of a check-in, move by move, checking the invariants after each: digits and
 * canary texts (some with crisis wording), an occasional skip, one share/private switch at
 * review when the seed says so, then [Send my check-in].
 */
function finish(sim: Simulation, mon: PrivacyMonitor, p: SimPerson, who: Who, seed: number): boolean {
  const member = mon.memberOf(p);
  if (member === null || !sim.repo.member(member)?.onboardedAt) return false;
  const digits = Array.from({ length: 11 }, (_, i) => String(i));
  const review = new Set<string>(Object.values(copy.questions).map((q) => q.label));
  let flipped = seed % 3 !== 0;
  let checkinSent = false;
  const crisisLabels = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = (seed >> (i % 12)) + i;
    const newest = p.inbox.at(-1)?.message;
    const buttons = newest?.buttons?.flat() ?? [];
    const find = (label: string) => buttons.find((b) => b.label === label);
    const tap = (b: Button) => {
      mon.step(`${who}: taps [${b.label}]`);
      mon.press(p, b);
    };
    if (newest?.expectsText) {
      const skip = find(copy.checkin.skip);
      if (skip && r % 9 === 0) tap(skip);
      else {
        typeAnswer(mon, p, who, { variant: r, crisis: r % 4 === 0, form: r % 2 === 0 });
        if (r % 4 === 0) crisisLabels.add(newest.expectsText.label);
      }
    } else if (buttons.some((b) => b.label === '7')) {
      tap(r % 9 === 0 ? find(copy.checkin.skip)! : find(digits[r % 11]!)!);
    } else if (find(copy.review.confirmShare)) {
      tap(find(r % 2 === 0 ? copy.review.confirmShare : copy.review.keep)!);
    } else if (find(copy.review.send) && !flipped) {
      const answers = buttons.filter((b) => review.has(b.label));
      flipped = true;
      if (answers.length === 0) continue;
      // Safety and the texts are the interesting ones to switch.
      const safety = answers.find((b) => b.label === copy.questions.safety.label);
      const crisis = answers.find((b) => crisisLabels.has(b.label));
      tap(crisis && r % 2 === 0 ? crisis : safety && r % 3 !== 0 ? safety : answers[r % answers.length]!);
      // The answer on its own: switch it (shared <-> private) and so return to review.
      const toggle = p.inbox.at(-1)?.message.buttons?.flat()[0];
      if (toggle?.label === copy.review.share || toggle?.label === copy.review.keep) {
        mon.check();
        tap(toggle);
      }
    } else if (find(copy.review.send)) {
      tap(find(copy.review.send)!);
      checkinSent = true;
    } else if (find(copy.checkin.start) || find(copy.checkin.continue)) {
      tap((find(copy.checkin.start) ?? find(copy.checkin.continue))!);
    } else if (find(copy.review.back)) {
      tap(find(copy.review.back)!);
    } else if (i === 0) {
      mon.step(`${who}: /checkin`);
      p.say('/checkin');
    } else break;
    mon.check();
    if (checkinSent) break;
  }
  return true;
}

/** The therapist and their group, linked to the couple in the course of a run. */
interface Practice {
  therapist: SimPerson;
  group: SimGroup;
}

/** Applies one action; false (and nothing happens) when it does not apply right now. */
function apply(
  sim: Simulation,
  mon: PrivacyMonitor,
  people: Record<Who, SimPerson>,
  practice: Practice,
  a: Action,
): boolean {
  switch (a.kind) {
    case 'advance': {
      const p = people[a.who];
      const newest = p.inbox.at(-1)?.message;
      const buttons = newest?.buttons?.flat() ?? [];
      // A text question: mostly answer it, sometimes skip or ask for support instead.
      if (newest?.expectsText && (buttons.length === 0 || a.index % 5 !== 0)) {
        return typeAnswer(mon, p, a.who, a);
      }
      if (buttons.length === 0) {
        // Nothing to answer on screen: (re)start, or open or resume a check-in.
        const text = mon.memberOf(p) === null ? '/start' : '/checkin';
        mon.step(`${a.who}: ${text}`);
        p.say(text);
        return true;
      }
      // At review, send about half of the time; otherwise any button.
      const send = buttons.find((b) => b.label === copy.review.send);
      const b = send && a.index % 2 === 0 ? send : buttons[a.index % buttons.length]!;
      mon.step(`${a.who}: taps [${b.label}]`);
      mon.press(p, b);
      return true;
    }
    case 'finish':
      return finish(sim, mon, people[a.who], a.who, a.seed);
    case 'tap': {
      const p = people[a.who];
      const buttons = latestButtons(p);
      if (buttons.length === 0) return false;
      const b = buttons[a.index % buttons.length]!;
      mon.step(`${a.who}: taps [${b.label}]`);
      mon.press(p, b);
      return true;
    }
    case 'press': {
      const p = people[a.who];
      const all = buttonsLabelled(p, a.label);
      const b = all[Math.min(a.age, all.length - 1)];
      if (!b) return false;
      const which = b === all[0] ? 'the newest' : `an older one, #${all.indexOf(b) + 1} from the newest`;
      mon.step(`${a.who}: presses [${b.label}] (${which})`);
      mon.press(p, b);
      return true;
    }
    case 'type':
      return typeAnswer(mon, people[a.who], a.who, a);
    case 'command':
      mon.step(`${a.who}: ${a.text}`);
      mon.noteCommand(people[a.who], a.text);
      people[a.who].say(a.text);
      return true;
    case 'link': {
      const p = people[a.who];
      if (!pairedNow(sim, mon.memberOf(p))) return false;
      const reply = plainText(practice.group.command(practice.therapist, '/link').at(-1)!);
      const code = /\/therapist (\S+)/.exec(reply)?.[1];
      if (!code) return false;
      // Not for logs; the group sees it, since that is where the therapist gets it.
      mon.secrets.add(code);
      mon.step(`the therapist sends /link; ${a.who} sends /therapist <code>`);
      p.say(`/therapist ${code}`);
      const agreeing = [a.who, a.who === 'A' ? 'B' : 'A'] as const;
      for (const [i, w] of agreeing.slice(0, a.agree).entries()) {
        mon.check();
        if (i > 0) {
          mon.step('the outbox is delivered');
          sim.deliverOutbox();
          mon.check();
        }
        const label = a.scopes[i] === 'scores' ? copy.channel.agreeScores : copy.channel.agreeWords;
        const b = people[w].findButton(label);
        if (!b) continue;
        mon.step(`${w}: taps [${label}]`);
        mon.press(people[w], b);
      }
      return true;
    }
    case 'trends':
      mon.step('the therapist sends /trends in the group');
      practice.group.command(practice.therapist, '/trends');
      return true;
    case 'deliver':
      mon.step('the outbox is delivered');
      sim.deliverOutbox();
      return true;
    case 'deadline': {
      const open = openRounds(sim);
      const sentIn = (id: number) => sim.repo.roundView(id)?.participants.some((p) => p.submittedAt !== null);
      if (open.length === 0 || !(a.early || open.some(sentIn))) return false;
      sim.advance(25 * HOUR);
      const closed = sim.repo.overdueRounds(sim.now).map((r) => r.id);
      mon.step(`25 hours pass; the deadline closes round(s) ${closed.map((id) => `#${id}`).join(', ')}`);
      for (const id of closed) sim.engine.closeRound(id);
      return true;
    }
    case 'repair': {
      const inviter = people[a.who];
      const other = people[a.who === 'A' ? 'B' : 'A'];
      const ids = [mon.memberOf(inviter), mon.memberOf(other)];
      const ready = ids.every((id) => id !== null && sim.repo.member(id)?.onboardedAt != null);
      if (!ready || ids.some((id) => pairedNow(sim, id))) return false;
      mon.step(`${a.who}: /pair; the other sends /join <code> and presses [Join]`);
      mon.secrets.add(pair(inviter, other));
      return true;
    }
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const at = error.stack
    ?.split('\n')
    .filter((l) => l.includes('/src/') || l.includes('/test/'))
    .slice(0, 4)
    .map((l) => l.trim().replace(/\(.*\/((src|test)\/[^)]*)\)/, '($1)'));
  return `${error.name}: ${error.message}\n    ${at?.join('\n    ') ?? ''}`;
}

/** How many runs reached the states worth checking: a guard against a generator that never gets there. */
const reached = { runs: 0, channelPosts: 0, channelAnswers: 0 };

function runScenario(roles: { a: string; b: string }, actions: Action[], opening: Action | null): void {
  const sim = new Simulation();
  const mon = new PrivacyMonitor(sim);
  try {
    const { a, b, code } = onboardCouple(sim, roles);
    for (const s of [a.name, b.name, code]) mon.secrets.add(s);
    for (const s of [a.name, b.name, code]) mon.notForChannels.add(s);
    const therapist = sim.person('Dr Therapist', 'discord');
    const group = sim.group('Couples group', 'discord', 3);
    group.managers.add(therapist);
    const practice: Practice = { therapist, group };
    mon.step(
      `A (${a.name}, telegram) and B (${b.name}, discord) onboard as ${roles.a} / ${roles.b} and pair`,
    );
    mon.check();
    const people = { A: a, B: b };
    // An exception is a failure too, reported with the steps that led to it.
    const attempt = (fn: () => boolean): boolean => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof PrivacyViolation) throw error;
        return mon.fail(`the last step threw ${describeError(error)}`);
      }
    };
    // Half of the runs start with the therapist's group linked (and mostly agreed to), since a
    // round opened before both agreed is never posted and on-demand rounds are few a day.
    for (const x of [...(opening ? [opening] : []), ...actions]) {
      sim.advance(60_000);
      if (attempt(() => apply(sim, mon, people, practice, x))) mon.check();
    }
    mon.step('the outbox is delivered (end of run)');
    attempt(() => sim.deliverOutbox() && true);
    mon.check();
    mon.checkFiles();
    reached.runs++;
    if (group.inbox.some((r) => r.message.kind === 'summary')) reached.channelPosts++;
    if (group.inbox.some((r) => answerIdsOf(r.message).length > 0)) reached.channelAnswers++;
  } finally {
    sim.close();
  }
}

// 200 runs take about 15-25 s on two busy cores. PRIVACY_RUNS=2000 soaks it for longer.
const RUNS = Number(process.env.PRIVACY_RUNS ?? 200);

describe('privacy invariants under random use', () => {
  it(
    'holds after every step of random check-ins by a couple',
    () => {
      fc.assert(
        fc.property(
          roleLabels,
          fc.array(action, { minLength: 20, maxLength: 60, size: 'max' }),
          fc.option(linkAction, { nil: null }),
          (roles, actions, opening) => runScenario(roles, actions, opening),
        ),
        { numRuns: RUNS },
      );
      // The therapist's group must really receive reveals with answers in some of the runs.
      expect(reached.channelPosts, `of ${reached.runs} runs`).toBeGreaterThan(RUNS / 50);
      expect(reached.channelAnswers).toBeGreaterThan(0);
    },
    Math.max(120_000, RUNS * 600),
  );
});

// ---- the same rules, by example ---------------------------------------------------------------

let sim: Simulation;
afterEach(() => sim?.close());

/** Answers the questions in order: a number taps it, null skips, a string is typed. */
function answerAll(p: SimPerson, mon: PrivacyMonitor, answers: (number | string | null)[]): void {
  for (const x of answers) {
    mon.step(`${p.name}: ${x === null ? 'skips' : typeof x === 'number' ? `taps ${x}` : `types "${x}"`}`);
    if (x === null) p.press(copy.checkin.skip);
    else if (typeof x === 'number') p.press(String(x));
    else mon.say(p, x, /want to die|suicide/.test(x));
    mon.check();
  }
}

/** The text and answer ids of everything a person received so far. */
function seen(p: SimPerson): { text: string; ids: Set<number> } {
  return { text: p.transcript(), ids: new Set(p.inbox.flatMap((r) => answerIdsOf(r.message))) };
}

function answerId(memberOf: SimPerson, questionId: string): number {
  const member = sim.repo.memberByPlatform(memberOf.actor.platform, memberOf.actor.userId)!;
  const row = sim.store.sqlite
    .prepare('select id from answers where member_id = ? and question_id = ? order by id desc limit 1')
    .get(member.id, questionId) as { id: number };
  return row.id;
}

function openRoundOf(p: SimPerson): number {
  const member = sim.repo.memberByPlatform(p.actor.platform, p.actor.userId)!;
  return sim.repo.openRoundOf(sim.repo.activeCoupleOf(member.id)!.id)!.id;
}

function setUp(): { a: SimPerson; b: SimPerson; mon: PrivacyMonitor } {
  sim = new Simulation();
  const mon = new PrivacyMonitor(sim);
  const { a, b } = onboardCouple(sim);
  mon.check();
  return { a, b, mon };
}

/** The monitor's model is told about presses the example makes through it. */
function press(mon: PrivacyMonitor, p: SimPerson, label: string): void {
  const b = p.findButton(label);
  if (!b) throw new Error(`${p.name} sees no [${label}]:\n${p.last()}`);
  mon.step(`${p.name}: taps [${label}]`);
  mon.press(p, b);
  mon.check();
}

describe('privacy rules, by example', () => {
  it("keeps a private answer out of the partner's reveal and shows it in the author's /history", () => {
    const { a, b, mon } = setUp();
    a.say('/checkin');
    answerAll(a, mon, [7, 6, 8, 'CANARY-1-A count-on', 'CANARY-2-A deposit', 4, 2, 'CANARY-3-A hear']);
    press(mon, a, copy.questions.countOn.label);
    press(mon, a, copy.review.keep);
    expect(a.last()).toContain(copy.review.keptPrivate);
    press(mon, a, copy.review.send);
    sim.deliverOutbox();
    press(mon, b, copy.checkin.start);
    answerAll(b, mon, [5, 5, 5, 'B count-on', 'B deposit', 1, 1, 'B hear']);
    press(mon, b, copy.review.send);
    sim.deliverOutbox();
    mon.check();

    const partner = seen(b);
    expect(partner.text).toContain(copy.reveal.opening);
    expect(partner.text).toContain('CANARY-2-A deposit');
    expect(partner.text).toContain('CANARY-3-A hear');
    expect(partner.text).not.toContain('CANARY-1-A');
    expect(partner.ids.has(answerId(a, 'count-on'))).toBe(false);

    a.say('/history');
    mon.check();
    expect(a.last()).toContain(`CANARY-1-A count-on”${` (${copy.history.private})`}`);
    expect(answerIdsOf(a.inbox.at(-1)!.message)).toContain(answerId(a, 'count-on'));
    b.say('/history');
    mon.check();
    expect(b.last()).not.toContain('CANARY-1-A');
  });

  it('keeps a safety score private unless its author shares it at review', () => {
    const { a, b, mon } = setUp();
    const round = (shareSafety: boolean) => {
      a.say('/checkin');
      answerAll(a, mon, [7, 6, 9, 'a1', 'a2', 4, 2, 'a3']);
      if (shareSafety) {
        press(mon, a, copy.questions.safety.label);
        expect(a.last()).toContain(copy.review.privateState);
        press(mon, a, copy.review.share);
      }
      press(mon, a, copy.review.send);
      sim.deliverOutbox();
      press(mon, b, copy.checkin.start);
      answerAll(b, mon, [5, 5, 5, 'b1', 'b2', 1, 1, 'b3']);
      const before = b.inbox.length;
      press(mon, b, copy.review.send);
      sim.deliverOutbox();
      mon.check();
      // B sends second, so B's reveal is the reply to [Send my check-in].
      return b.inbox.slice(before).find((r) => r.message.kind === 'summary')!.message;
    };

    const safetyLine = new RegExp(`^${copy.questions.safety.label}:.*9`, 'm');
    const first = round(false);
    expect(answerIdsOf(first)).not.toContain(answerId(a, 'safety'));
    expect(plainText(first)).not.toMatch(safetyLine);

    const second = round(true);
    expect(answerIdsOf(second)).toContain(answerId(a, 'safety'));
    expect(plainText(second)).toMatch(safetyLine);
  });

  it('shares crisis wording only after a second confirmation', () => {
    const { a, b, mon } = setUp();
    a.say('/checkin');
    answerAll(a, mon, [7, 6, 8, 'a1', 'a2', 4, 2]);
    mon.say(a, 'CANARY-9-A some days I want to die', true);
    mon.check();
    expect(a.transcript()).toContain(copy.checkin.crisisKept);
    const roundId = openRoundOf(a);
    const hear = () => sim.repo.roundView(roundId)!.answers.find((x) => x.id === answerId(a, 'hear'))!;
    expect(hear()).toMatchObject({ crisis: true, shared: false });

    // [Share it] only asks again; [Keep it private] there leaves it private.
    press(mon, a, copy.questions.hear.label);
    press(mon, a, copy.review.share);
    expect(a.last()).toContain(copy.review.confirmCrisis);
    expect(hear().shared).toBe(false);
    press(mon, a, copy.review.keep);
    expect(hear().shared).toBe(false);

    // The second time, [Yes, share it] shares it.
    press(mon, a, copy.questions.hear.label);
    press(mon, a, copy.review.share);
    press(mon, a, copy.review.confirmShare);
    expect(hear().shared).toBe(true);
    press(mon, a, copy.review.send);

    sim.deliverOutbox();
    press(mon, b, copy.checkin.start);
    answerAll(b, mon, [5, 5, 5, 'b1', 'b2', 1, 1, 'b3']);
    press(mon, b, copy.review.send);
    sim.deliverOutbox();
    mon.check();
    expect(b.transcript()).toContain('CANARY-9-A some days I want to die');
  });

  it('does not let an old [Yes, share it] share a crisis text that was never confirmed', () => {
    const { a, b, mon } = setUp();
    a.say('/checkin');
    answerAll(a, mon, [7, 6, 8, 'CANARY-11-A I keep thinking about suicide', 'a2', 4, 2]);
    mon.say(a, 'CANARY-12-A some days I want to die', true);
    const roundId = openRoundOf(a);
    const hear = () => sim.repo.roundView(roundId)!.answers.find((x) => x.id === answerId(a, 'hear'))!;

    // A asks to share "hear", sees the confirmation, and keeps it private after all.
    press(mon, a, copy.questions.hear.label);
    press(mon, a, copy.review.share);
    const oldYes = a.findButton(copy.review.confirmShare)!;
    press(mon, a, copy.review.keep);
    // Then changes it to new crisis wording, which is never confirmed for sharing.
    press(mon, a, copy.questions.hear.label);
    press(mon, a, copy.review.edit);
    mon.say(a, 'CANARY-13-A I want to die, truly', true);
    expect(hear()).toMatchObject({ crisis: true, shared: false });
    // A now asks to share another crisis answer; while that confirmation is open, the old
    // [Yes, share it] of "hear" (still in the chat above) is tapped.
    press(mon, a, copy.questions.countOn.label);
    press(mon, a, copy.review.share);
    expect(a.last()).toContain(copy.review.confirmCrisis);
    mon.press(a, oldYes);
    mon.check();
    expect(hear().shared, 'the new crisis text of "hear" was shared without its own confirmation').toBe(
      false,
    );

    press(mon, a, copy.review.send);
    sim.deliverOutbox();
    press(mon, b, copy.checkin.start);
    answerAll(b, mon, [5, 5, 5, 'b1', 'b2', 1, 1, 'b3']);
    press(mon, b, copy.review.send);
    sim.deliverOutbox();
    mon.check();
    expect(b.transcript()).not.toContain('CANARY-13-A');
  });

  it('shows the partner nothing after a one-sided deadline when the author keeps it private', () => {
    const { a, b, mon } = setUp();
    a.say('/checkin');
    answerAll(a, mon, [7, 6, 8, 'CANARY-5-A one', 'CANARY-6-A two', 4, 2, 'CANARY-7-A three']);
    press(mon, a, copy.review.send);
    sim.deliverOutbox();
    press(mon, b, copy.checkin.start);
    answerAll(b, mon, [5, 5, 5, 'CANARY-8-B half-way']);

    sim.advance(25 * HOUR);
    sim.engine.closeRound(openRoundOf(a));
    sim.deliverOutbox();
    mon.check();
    expect(a.last()).toContain(copy.deadline.releaseAsk);
    expect(b.last()).toContain('This check-in has closed.');
    // The release question's [Keep it private] is the newest one A sees.
    press(mon, a, copy.deadline.keepButton);
    expect(a.last()).toContain(copy.deadline.kept);
    sim.deliverOutbox();
    b.say('/history');
    b.say('/export');
    mon.check();

    const partner = seen(b);
    expect(partner.text).not.toMatch(/CANARY-\d+-A/);
    expect(b.inbox.at(-1)!.message.attachment!.data).not.toMatch(/CANARY-\d+-A/);
    expect(
      b.inbox
        .at(-2)!
        .message.paragraphs.flat()
        .map((s) => s.text),
    ).toContain(copy.history.notShown);
    // A still has every word in their own /history.
    a.say('/history');
    mon.check();
    expect(a.last()).toContain('CANARY-7-A three');
  });
});
