import { beforeEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { BUILTIN_RESOURCES } from '../../src/checkin/resources.ts';
import type { Received, Simulation } from '../../src/demo/simulation.ts';
import type { OutboundDelete, OutboundMessage } from '../../src/engine/types.ts';
import {
  type Answer,
  answerAll,
  type Couple,
  handleRaw,
  inviteCode,
  labelsOf,
  memberOf,
  onboard,
  openRoundId,
  pairCouple,
  paragraphsOf,
  section,
  segmentsOf,
  simulationPerTest,
  textOf,
} from '../support/people.ts';

const world = simulationPerTest();
let sim: Simulation;
let typed: string[];
beforeEach(() => {
  ({ sim, typed } = world);
});

/** The lines a person in America/Chicago is shown before anything else in a safety reply. */
const US_LINES = copy.support.resources(BUILTIN_RESOURCES.countries.US!);

// Rebuild trust, in question order: consistency, reliability, safety, count-on, deposit, fear, anger, hear.
const A_ANSWERS: Answer[] = [
  7,
  6,
  9,
  'A-count Sunday walks',
  'A-deposit told you first',
  4,
  2,
  'A-hear I am here',
];
const B_ANSWERS: Answer[] = [
  6,
  5,
  8,
  'B-count the truth',
  'B-deposit went to group',
  6,
  null,
  'B-hear it mattered',
];

function answersOf(roundId: number, p: Couple['a']) {
  const id = memberOf(sim, p).id;
  return sim.repo.roundView(roundId)!.answers.filter((a) => a.memberId === id);
}

function answerIdsIn(m: OutboundMessage): number[] {
  return segmentsOf(m).flatMap((s) => s.answerIds ?? []);
}

function outboxCount(): number {
  return (sim.store.sqlite.prepare('select count(*) n from outbox').get() as { n: number }).n;
}

/** A round where A sent first and B sent last (B keeps "count on" private); returns its id. */
function revealedRound(c: Couple): { roundId: number; bSummary: OutboundMessage[] } {
  c.a.say('/checkin');
  const roundId = openRoundId(sim, c.coupleId);
  answerAll(c.a, A_ANSWERS);
  c.a.press(copy.review.send);
  sim.deliverOutbox();
  c.b.press(copy.checkin.start);
  answerAll(c.b, B_ANSWERS);
  c.b.press(copy.questions.countOn.label);
  c.b.press(copy.review.keep);
  const bSummary = c.b.press(copy.review.send);
  return { roundId, bSummary };
}

describe('two partners, from /start to the reveal', () => {
  it('reveals to both: inline to the last sender, through the outbox (neutral opener) to the other', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    const prompt = sim.deliverOutbox();
    expect(prompt.map((r) => r.to)).toEqual([c.b]);
    expect(paragraphsOf(prompt[0]!.message)[0]).toBe(copy.ready);

    answerAll(c.a, A_ANSWERS);
    expect(textOf(c.a.press(copy.review.send))).toBe(copy.checkin.waiting);
    expect(sim.deliverOutbox()).toEqual([]);

    c.b.press(copy.checkin.start);
    answerAll(c.b, B_ANSWERS);
    const bReplies = c.b.press(copy.review.send);
    expect(bReplies).toHaveLength(1);
    const bSummary = bReplies[0]!;
    expect(bSummary.kind).toBe('summary');
    expect(bSummary.protect).toBe(true);
    expect(paragraphsOf(bSummary)[0]).toBe(copy.reveal.opening);

    const sent = sim.deliverOutbox();
    expect(sent.map((r) => r.to)).toEqual([c.a]);
    const aSummary = sent[0]!.message;
    expect(aSummary.kind).toBe('summary');
    expect(paragraphsOf(aSummary)[0]).toBe(copy.update);
    expect(paragraphsOf(aSummary)[1]).toBe(copy.reveal.opening);

    // Each sees the other's shared words, under "Your partner".
    const bText = textOf([bSummary]);
    const aText = textOf([aSummary]);
    expect(section(bSummary, copy.reveal.partnerWords)).toContain('A-hear I am here');
    expect(bText).toContain('A-deposit told you first');
    expect(section(aSummary, copy.reveal.partnerWords)).toContain('B-hear it mattered');
    expect(aText).toContain('B-count the truth');

    // Safety scores start private: no summary shows either person's safety answer.
    const safetyIds = sim.repo
      .roundView(roundId)!
      .answers.filter((a) => a.questionId === 'safety')
      .map((a) => a.id);
    expect(safetyIds).toHaveLength(2);
    for (const m of [aSummary, bSummary]) {
      expect(answerIdsIn(m).filter((id) => safetyIds.includes(id))).toEqual([]);
      expect(textOf([m])).not.toContain(`${copy.questions.safety.label}:`);
    }
    expect(sim.repo.round(roundId)!.status).toBe('revealed');
  });

  it('asks "Sobriety" only of the person in recovery and "Struggles" only of the partner (FANOS)', () => {
    const c = pairCouple(sim);
    sim.repo.updateCouple(c.coupleId, { template: 'fanos' });
    c.a.say('/checkin');
    sim.deliverOutbox();
    answerAll(c.a, ['A feel', 'A affirm', 'A need', 'A own', 'A-sober ninety days']);
    c.a.press(copy.review.send);
    c.b.press(copy.checkin.start);
    answerAll(c.b, ['B feel', 'B affirm', 'B need', 'B own', 'B-struggle checking less']);
    const bSummary = c.b.press(copy.review.send)[0]!;
    const aSummary = sim.deliverOutbox()[0]!.message;

    const aSaw = c.a.transcript();
    const bSaw = c.b.transcript();
    expect(aSaw).toContain(copy.questions.sobriety.prompt);
    expect(aSaw).not.toContain(copy.questions.struggles.prompt);
    expect(aSaw).not.toContain(copy.questions.sobrietyOrStruggles.prompt);
    expect(aSaw).toContain(copy.checkin.progress(5, 5));
    expect(bSaw).toContain(copy.questions.struggles.prompt);
    expect(bSaw).not.toContain(copy.questions.sobriety.prompt);
    expect(bSaw).toContain(copy.checkin.progress(5, 5));

    expect(section(bSummary, copy.reveal.partnerWords)).toContain(
      `${copy.questions.sobriety.label}: A-sober ninety days`,
    );
    expect(section(aSummary, copy.reveal.partnerWords)).toContain(
      `${copy.questions.struggles.label}: B-struggle checking less`,
    );
  });

  it("shows the partner's words in the order the questions were asked (FANOS)", () => {
    const c = pairCouple(sim);
    sim.repo.updateCouple(c.coupleId, { template: 'fanos' });
    c.a.say('/checkin');
    sim.deliverOutbox();
    answerAll(c.a, ['A feel', 'A affirm', 'A need', 'A own', 'A sober']);
    c.a.press(copy.review.send);
    c.b.press(copy.checkin.start);
    answerAll(c.b, ['B feel', 'B affirm', 'B need', 'B own', 'B struggle']);
    const bSummary = c.b.press(copy.review.send)[0]!;
    const words = section(bSummary, copy.reveal.partnerWords)!;
    const order = ['A feel', 'A affirm', 'A need', 'A own', 'A sober'].map((w) => words.indexOf(w));
    expect(order.every((i) => i >= 0)).toBe(true);
    // Feelings, Affirmation, Needs, Ownership, Sobriety: as asked, not alphabetical by question id.
    expect(order).toEqual([...order].sort((x, y) => x - y));
    const history = textOf(c.b.say('/history'));
    const mine = ['B feel', 'B affirm', 'B need', 'B own', 'B struggle'].map((w) => history.indexOf(w));
    expect(mine).toEqual([...mine].sort((x, y) => x - y));
  });
});

describe('solo, after "Not really"', () => {
  it('shows resources first, leaves the invite unused, and tells the inviter nothing', () => {
    const inviter = sim.person('Ana');
    onboard(inviter);
    const code = inviteCode(inviter);
    const inviterSaw = inviter.inbox.length;

    const solo = sim.person('Bea');
    const replies = onboard(solo, { role: 'partner', code, safe: 'no' });
    expect(replies[0]!.kind).toBe('resources');
    const lines = paragraphsOf(replies[0]!);
    expect(lines.slice(0, US_LINES.length)).toEqual(US_LINES);
    expect(lines[0]).toContain('911');
    expect(lines[1]).toContain('988');
    const all = textOf(replies);
    expect(all).toContain(copy.onboarding.notSafe);
    expect(all).toContain(copy.onboarding.soloOffer);
    expect(labelsOf(replies)).not.toContain(copy.pairing.joinButton);
    expect(all).not.toContain(copy.pairing.invited);

    const member = memberOf(sim, solo);
    expect(member.solo).toBe(true);
    const invites = sim.store.sqlite.prepare('select used_at from invites').all() as { used_at: unknown }[];
    expect(invites).toEqual([{ used_at: null }]);

    solo.say('/checkin');
    const couple = sim.repo.activeCoupleOf(member.id)!;
    expect(couple.kind).toBe('solo');
    expect(couple.memberB).toBeNull();
    const review = answerAll(solo, [5, 5, 7, 'solo-count', 'solo-deposit', 3, 3, 'solo-hear']);
    expect(textOf(review)).toContain(copy.review.soloHeading);
    expect(textOf(review)).not.toContain(copy.review.heading);
    const summary = solo.press(copy.review.send);
    expect(summary[0]!.kind).toBe('summary');
    expect(paragraphsOf(summary[0]!)[0]).toBe(copy.reveal.soloOpening);
    expect(textOf(summary)).toContain('solo-hear');
    expect(textOf(summary)).not.toContain(copy.reveal.partnerWords);

    expect(sim.deliverOutbox()).toEqual([]);
    expect(inviter.inbox).toHaveLength(inviterSaw);
    expect(sim.repo.activeCoupleOf(memberOf(sim, inviter).id)).toBeUndefined();
  });
});

describe('solo, then pairing', () => {
  it('quietly closes an open solo check-in when the person joins a partner', () => {
    const ana = sim.person('Ana');
    onboard(ana);
    const ben = sim.person('Ben');
    onboard(ben, { role: 'partner' });
    ben.say('/checkin');
    answerAll(ben, [5]);
    const soloCouple = sim.repo.activeCoupleOf(memberOf(sim, ben).id)!;
    const soloRound = openRoundId(sim, soloCouple.id);
    const oldButton = ben.findButton('4')!.token;

    ben.say(`/join ${inviteCode(ana)}`);
    ben.press(copy.pairing.joinButton);
    expect(sim.repo.couple(soloCouple.id)!.status).toBe('ended');

    // The abandoned solo round must not come back through an old button...
    expect(textOf(ben.pressToken(oldButton))).toBe(copy.checkin.closed);
    expect(sim.repo.round(soloRound)!.status).not.toBe('open');
    // ...nor send a puzzling "this check-in has closed" when its deadline job runs.
    sim.deliverOutbox();
    sim.advance(25 * 3600_000);
    sim.engine.closeRound(soloRound);
    expect(sim.deliverOutbox().filter((r) => r.to === ben)).toEqual([]);
  });
});

describe('/checkin', () => {
  it('resumes the same question, and refuses a third on-demand round the same day', () => {
    const p = sim.person('Kim');
    onboard(p);
    const first = p.say('/checkin');
    expect(textOf(first)).toContain(copy.questions.consistency.prompt);
    p.press('5');
    const again = p.say('/checkin');
    expect(textOf(again)).toContain(copy.questions.reliability.prompt);
    expect(textOf(again)).toContain(copy.checkin.progress(2, 8));
    const coupleId = sim.repo.activeCoupleOf(memberOf(sim, p).id)!.id;
    const roundId = openRoundId(sim, coupleId);
    expect(answersOf(roundId, p).map((a) => a.questionId)).toEqual(['consistency']);

    answerAll(p, [5, 5, 'count', 'deposit', 5, 5, 'hear']);
    p.press(copy.review.send);
    p.say('/checkin');
    answerAll(p, [6, 6, 6, 'count 2', 'deposit 2', 6, 6, 'hear 2']);
    p.press(copy.review.send);

    const third = p.say('/checkin');
    expect(textOf(third)).toBe(copy.checkin.dailyLimit);
    expect(labelsOf(third)).toEqual([]);
    const rounds = sim.store.sqlite.prepare('select count(*) n from rounds').get() as { n: number };
    expect(rounds.n).toBe(2);
    expect(sim.repo.openRoundOf(coupleId)).toBeUndefined();
  });
});

describe('review', () => {
  it('edits an answer, moves one under "Kept private", and starts safety private', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    const review = answerAll(c.a, A_ANSWERS).at(-1)!;
    expect(section(review, copy.review.keptPrivate)).toBe(`${copy.review.keptPrivate}\nSafety: 9`);
    expect(section(review, copy.review.heading)).not.toContain('Safety');
    expect(section(review, copy.review.heading)).toContain('A-deposit told you first');

    c.a.press(copy.questions.deposit.label);
    c.a.press(copy.review.edit);
    expect(c.a.last()).toContain(copy.questions.deposit.prompt);
    const edited = c.a.say('A-deposit called my sponsor').at(-1)!;
    expect(section(edited, copy.review.heading)).toContain('A-deposit called my sponsor');
    expect(textOf([edited])).not.toContain('A-deposit told you first');
    // Back to review, not on to the next question.
    expect(textOf([edited])).not.toContain(copy.questions.fear.prompt);
    expect(labelsOf([edited])).toContain(copy.review.send);

    c.a.press(copy.questions.hear.label);
    const kept = c.a.press(copy.review.keep).at(-1)!;
    expect(section(kept, copy.review.keptPrivate)).toContain('A-hear I am here');
    expect(section(kept, copy.review.heading)).not.toContain('A-hear I am here');
    const hear = answersOf(roundId, c.a).find((a) => a.questionId === 'hear')!;
    expect(hear.shared).toBe(false);
    const safety = answersOf(roundId, c.a).find((a) => a.questionId === 'safety')!;
    expect(safety).toMatchObject({ value: '9', shared: false });
  });
});

describe('one-sided deadline', () => {
  it('asks the submitter about releasing, tells the other neutrally, and shares only on "Share it"', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    answerAll(c.a, A_ANSWERS);
    c.a.press(copy.review.send);
    sim.deliverOutbox();
    c.b.press(copy.checkin.start);
    answerAll(c.b, [6]);
    const bButton = c.b.findButton('5')!;
    const bStart = c.b.findButton(copy.checkin.start)!;

    expect(sim.engine.closeRound(roundId)).toBe(true);
    const notices = sim.deliverOutbox();
    const toA = notices.filter((r) => r.to === c.a).map((r) => r.message);
    const toB = notices.filter((r) => r.to === c.b).map((r) => r.message);
    expect(toA).toHaveLength(1);
    expect(paragraphsOf(toA[0]!)).toEqual([copy.update, copy.deadline.releaseAsk]);
    expect(labelsOf(toA)).toEqual([copy.deadline.releaseButton, copy.deadline.keepButton]);
    expect(toB).toHaveLength(1);
    expect(paragraphsOf(toB[0]!)[0]).toBe(copy.update);
    expect(paragraphsOf(toB[0]!)[1]).toBe(copy.deadline.closedForYou('Sunday 19:00'));
    expect(textOf(toB)).not.toContain('A-');
    expect(answerIdsIn(toB[0]!)).toEqual([]);

    expect(textOf(c.b.pressToken(bButton.token))).toBe(copy.checkin.closed);
    expect(textOf(c.b.pressToken(bStart.token))).toBe(copy.checkin.closed);
    expect(answersOf(roundId, c.b).map((a) => a.questionId)).toEqual(['consistency']);

    expect(textOf(c.a.press(copy.deadline.releaseButton))).toBe(copy.deadline.released);
    const released = sim.deliverOutbox();
    expect(released.map((r) => r.to)).toEqual([c.b]);
    const rel = released[0]!.message;
    expect(paragraphsOf(rel)[0]).toBe(copy.update);
    expect(textOf([rel])).toContain('A-hear I am here');
    const aSafety = answersOf(roundId, c.a).find((a) => a.questionId === 'safety')!;
    expect(answerIdsIn(rel)).not.toContain(aSafety.id);
    expect(answerIdsIn(rel).length).toBeGreaterThan(0);

    // A second decision, or a repeated deadline, changes nothing.
    expect(textOf(c.a.press(copy.deadline.keepButton))).toBe(copy.checkin.closed);
    const rows = outboxCount();
    expect(sim.engine.closeRound(roundId)).toBe(false);
    expect(outboxCount()).toBe(rows);
    expect(sim.deliverOutbox()).toEqual([]);
  });

  it('"Keep it private" sends the partner nothing', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    answerAll(c.a, A_ANSWERS);
    c.a.press(copy.review.send);
    sim.deliverOutbox();
    sim.engine.closeRound(roundId);
    sim.deliverOutbox();
    expect(textOf(c.a.press(copy.deadline.keepButton))).toBe(copy.deadline.kept);
    expect(sim.deliverOutbox()).toEqual([]);
    expect(c.b.transcript()).not.toContain('A-');
  });
});

describe('settings commands', () => {
  it('/pause, /checkin while paused, /resume and /status, with only neutral notices to the partner', () => {
    const c = pairCouple(sim);
    const paused = textOf(c.a.say('/pause until friday'));
    expect(paused).toMatch(/^Check-ins are paused until Friday/);
    expect(paused).toContain(copy.pause.howToResume);
    const toB = sim.deliverOutbox();
    expect(toB.map((r) => r.to)).toEqual([c.b]);
    expect(paragraphsOf(toB[0]!.message)).toEqual([copy.update, copy.pause.partnerPaused]);

    expect(textOf(c.b.say('/checkin'))).toBe(copy.checkin.paused);
    expect(textOf(c.a.say('/checkin'))).toBe(copy.checkin.paused);
    expect(sim.repo.openRoundOf(c.coupleId)).toBeUndefined();
    expect(textOf(c.b.say('/status'))).toContain('Check-ins are paused until Friday');

    const resumed = textOf(c.a.say('/resume'));
    expect(resumed).toContain(copy.pause.resumed);
    const back = sim.deliverOutbox();
    expect(back.map((r) => r.to)).toEqual([c.b]);
    expect(paragraphsOf(back[0]!.message)).toEqual([copy.update, copy.pause.partnerResumed]);

    const status = textOf(c.b.say('/status'));
    expect(status).toContain(copy.status.paired);
    // The default rhythm is Sundays at 19:00; the simulation starts on a Tuesday.
    expect(status).toContain(copy.status.next('Sunday 19:00'));
    expect(status).not.toContain('paused');
  });

  it('/history and /export show own answers (private marked) and only what the partner shared', () => {
    const c = pairCouple(sim);
    const { roundId } = revealedRound(c);
    sim.deliverOutbox();
    const bPrivate = answersOf(roundId, c.b).filter((a) => !a.shared || a.value === null);
    expect(bPrivate.map((a) => a.questionId).sort()).toEqual(['anger', 'count-on', 'safety']);

    const hist = c.a.say('/history');
    const h = textOf(hist);
    expect(h).toContain(copy.history.heading);
    expect(h).toContain('A-count Sunday walks');
    expect(h).toContain(`Safety: 9 (${copy.history.private})`);
    expect(h).toContain('B-hear it mattered');
    expect(h).not.toContain('B-count the truth');
    const shownIds = answerIdsIn(hist[0]!);
    for (const a of bPrivate) expect(shownIds).not.toContain(a.id);
    // Exactly one "(private)" mark: A's safety. Nothing of B's is marked (it's simply absent).
    expect(h.split(`(${copy.history.private})`)).toHaveLength(2);

    const exp = c.a.say('/export');
    expect(textOf(exp)).toContain(copy.exported);
    const file = exp[0]!.attachment!;
    expect(file.mimeType).toBe('application/json');
    const data = JSON.parse(file.data) as {
      rounds: { answers: { by: string; question: string; answer: string | null; shared: boolean }[] }[];
    };
    const answers = data.rounds.flatMap((r) => r.answers);
    expect(answers).toContainEqual({ by: 'you', question: 'Safety', answer: '9', shared: false });
    expect(answers).toContainEqual({
      by: 'partner',
      question: copy.questions.hear.label,
      answer: 'B-hear it mattered',
      shared: true,
    });
    expect(answers.filter((a) => a.by === 'partner').every((a) => a.shared && a.answer !== null)).toBe(true);
    expect(file.data).not.toContain('B-count the truth');

    // B's export holds B's private answer.
    const bFile = c.b.say('/export')[0]!.attachment!.data;
    expect(bFile).toContain('B-count the truth');
  });

  it('/clear asks to delete the messages of the latest check-in, once', () => {
    const c = pairCouple(sim);
    const { roundId } = revealedRound(c);
    // Message ids the simulation reported for everything B received in that round, replies and
    // outbox messages alike ("m" + delivery number).
    const expected = sim.delivered
      .map((r: Received, i) => ({ r, id: `m${i + 1}` }))
      .filter(({ r }) => r.to === c.b && r.message.roundId === roundId)
      .map(({ id }) => id);
    expect(expected.length).toBeGreaterThan(5);

    const chat = { platform: c.b.actor.platform, chatId: c.b.actor.userId, kind: 'private' as const };
    const base = { actor: c.b.actor, chat };
    const out = handleRaw(sim, typed, {
      ...base,
      kind: 'command',
      name: 'clear',
      args: '',
      dedupeKey: 'clr-1',
    });
    const del = out.filter((o): o is OutboundDelete => o.type === 'delete');
    expect(del).toHaveLength(1);
    expect(del[0]!.to).toEqual(chat);
    expect([...del[0]!.messageIds].sort()).toEqual([...expected].sort());
    expect(textOf(out.filter((o): o is OutboundMessage => o.type === 'message'))).toBe(copy.clear.done);

    const again = handleRaw(sim, typed, {
      ...base,
      kind: 'command',
      name: 'clear',
      args: '',
      dedupeKey: 'clr-2',
    });
    expect(again.some((o) => o.type === 'delete')).toBe(false);
    expect(textOf(again as OutboundMessage[])).toBe(copy.clear.nothing);
  });

  it('/unpair and confirm: the partner only hears the pairing ended; /status says not paired', () => {
    const c = pairCouple(sim);
    const ask = c.a.say('/unpair');
    expect(textOf(ask)).toContain(copy.pairing.unpairConfirm);
    expect(sim.repo.activeCoupleOf(memberOf(sim, c.a).id)?.kind).toBe('pair');
    expect(textOf(c.a.press(copy.pairing.unpairButton))).toBe(copy.pairing.unpaired);
    const toB = sim.deliverOutbox();
    expect(toB.map((r) => r.to)).toEqual([c.b]);
    expect(paragraphsOf(toB[0]!.message)).toEqual([copy.update, copy.pairing.ended]);
    expect(textOf(c.a.say('/status'))).toBe(copy.status.notPaired);
    expect(textOf(c.b.say('/status'))).toBe(copy.status.notPaired);
    expect(sim.repo.couple(c.coupleId)!.status).toBe('ended');
  });
});

describe('crisis wording in an answer', () => {
  it('shows resources first, keeps the answer private, continues, and shares only after a second yes', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    answerAll(c.a, [7, 6, 8]);
    const replies = c.a.say('some days I want to die');
    expect(replies[0]!.kind).toBe('resources');
    const lines = paragraphsOf(replies[0]!);
    expect(lines.slice(0, US_LINES.length)).toEqual(US_LINES);
    expect(lines).toContain(copy.checkin.crisisKept);
    expect(replies.at(-1)!.kind).toBe('question');
    expect(textOf([replies.at(-1)!])).toContain(copy.questions.deposit.prompt);

    const countOn = () => answersOf(roundId, c.a).find((a) => a.questionId === 'count-on')!;
    expect(countOn()).toMatchObject({ value: 'some days I want to die', shared: false, crisis: true });

    const review = answerAll(c.a, ['deposit', 4, 2, 'hear']).at(-1)!;
    expect(section(review, copy.review.keptPrivate)).toContain('some days I want to die');
    expect(section(review, copy.review.heading)).not.toContain('some days I want to die');

    c.a.press(copy.questions.countOn.label);
    const confirm = c.a.press(copy.review.share);
    expect(textOf(confirm)).toContain(copy.review.confirmCrisis);
    expect(labelsOf(confirm)).toEqual([copy.review.confirmShare, copy.review.keep]);
    expect(countOn().shared).toBe(false);
    const yes = c.a.findButton(copy.review.confirmShare)!;

    // "Keep it private" on the second question keeps it private; the old "yes" is then stale.
    const kept = c.a.press(copy.review.keep).at(-1)!;
    expect(section(kept, copy.review.keptPrivate)).toContain('some days I want to die');
    expect(countOn().shared).toBe(false);
    const stale = c.a.pressToken(yes.token);
    expect(textOf(stale)).toContain(copy.checkin.staleButton);
    expect(countOn().shared).toBe(false);

    c.a.press(copy.questions.countOn.label);
    c.a.press(copy.review.share);
    const shared = c.a.press(copy.review.confirmShare).at(-1)!;
    expect(section(shared, copy.review.heading)).toContain('some days I want to die');
    expect(countOn().shared).toBe(true);
  });
});
