import { beforeEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import type { SimGroup, SimPerson, Simulation } from '../../src/demo/simulation.ts';
import type { OutboundMessage } from '../../src/engine/types.ts';
import {
  type Answer,
  answerAll,
  type Couple,
  memberOf,
  onboard,
  openRoundId,
  pairCouple,
  segmentsOf,
  simulationPerTest,
  textOf,
} from '../support/people.ts';

// Therapist channels through the engine (issue 6): linking, two-partner consent, posting within
// the narrower scope, revoking, /trends, and what a group is (not) answered.

const world = simulationPerTest();
let sim: Simulation;
beforeEach(() => {
  ({ sim } = world);
});

const HOUR = 3_600_000;
// Rebuild trust, in question order: consistency, reliability, safety, count-on, deposit, fear, anger, hear.
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

const scopeButton = { scores: copy.channel.agreeScores, words: copy.channel.agreeWords } as const;

interface Linked {
  couple: Couple;
  group: SimGroup;
  therapist: SimPerson;
}

/** A therapist's group with the therapist as its manager, and a paired couple. */
function setUp(): Linked {
  const couple = pairCouple(sim);
  const therapist = sim.person('Dr Rivera');
  const group = sim.group('Rivera <b>practice</b>', 'telegram', 4);
  group.managers.add(therapist);
  return { couple, group, therapist };
}

/** /link in the group; returns the code from the reply. */
function linkCode(l: Linked): string {
  const reply = textOf(l.group.command(l.therapist, '/link'));
  const m = /\/therapist (\S+)/.exec(reply);
  if (!m) throw new Error(`no code in: ${reply}`);
  return m[1]!;
}

/** Links the group to the couple and has each partner answer the consent request. */
function consentBoth(
  l: Linked,
  a: keyof typeof scopeButton | null,
  b: keyof typeof scopeButton | null,
): void {
  const code = linkCode(l);
  l.couple.a.say(`/therapist ${code}`);
  if (a) l.couple.a.press(scopeButton[a]);
  sim.deliverOutbox();
  if (b) l.couple.b.press(scopeButton[b]);
  sim.deliverOutbox();
}

/** A whole two-sided round a day after the last; B keeps "count on" private. Returns its id. */
function revealedRound(c: Couple, o: { shareSafety?: boolean } = {}): number {
  // A day apart, as check-ins are (and on-demand ones are limited per day).
  sim.advance(24 * HOUR);
  const roundId = sendBoth(c, o);
  sim.deliverOutbox();
  return roundId;
}

/** A opens (or resumes) a check-in and sends it, then B; what B's send queued is not delivered yet. */
function sendBoth(c: Couple, o: { shareSafety?: boolean } = {}): number {
  c.a.say('/checkin');
  const roundId = openRoundId(sim, c.coupleId);
  answerAll(c.a, A_ANSWERS);
  if (o.shareSafety) {
    c.a.press(copy.questions.safety.label);
    c.a.press(copy.review.share);
  }
  c.a.press(copy.review.send);
  sim.deliverOutbox();
  c.b.press(copy.checkin.start);
  answerAll(c.b, B_ANSWERS);
  c.b.press(copy.questions.countOn.label);
  c.b.press(copy.review.keep);
  c.b.press(copy.review.send);
  return roundId;
}

function summaries(g: SimGroup): OutboundMessage[] {
  return g.inbox.filter((r) => r.message.kind === 'summary').map((r) => r.message);
}

function answerIdsIn(messages: OutboundMessage[]): number[] {
  return messages.flatMap((m) => segmentsOf(m).flatMap((s) => s.answerIds ?? []));
}

function channelRow(g: SimGroup) {
  return sim.repo.channelByChat(g.chat.platform, g.chat.chatId);
}

describe('linking a group', () => {
  it('gives a one-time code only to someone who manages the group', () => {
    const l = setUp();
    const stranger = sim.person('Passer-by');
    expect(textOf(l.group.command(stranger, '/link'))).toBe(copy.channel.notManager);
    expect(channelRow(l.group)).toBeUndefined();

    const reply = l.group.command(l.therapist, '/link');
    expect(textOf(reply)).toContain(copy.channel.linkCode);
    expect(textOf(reply)).toContain(copy.channel.linkHow);
    // Only the visible code and a hash of it exist; the code itself is stored nowhere.
    const code = /\/therapist (\S+)/.exec(textOf(reply))![1]!;
    expect(sim.store.sqlite.prepare('select count(*) n from invites where code_hash = ?').get(code)).toEqual({
      n: 0,
    });
    expect(channelRow(l.group)?.status).toBe('linking');
  });

  it('asks to be let in when it cannot post, and links nothing', () => {
    const l = setUp();
    l.group.botCanPost = false;
    expect(textOf(l.group.command(l.therapist, '/link'))).toBe(copy.channel.cannotPost);
    expect(channelRow(l.group)).toBeUndefined();
  });

  it('lets the first partner who redeems the code bind it; anyone after gets the wrong-code answer', () => {
    const l = setUp();
    const code = linkCode(l);
    const other = pairCouple(sim, ['Jo', 'Kim']);
    const solo = sim.person('Lee');
    onboard(solo);

    expect(textOf(solo.say(`/therapist ${code}`))).toBe(copy.channel.notPaired);
    expect(textOf(l.couple.a.say(`/therapist ${code}`))).toContain('Rivera <b>practice</b>');
    expect(l.couple.a.last()).toContain('There you appear as "Partner 1", never by name.');
    expect(channelRow(l.group)).toMatchObject({ status: 'awaiting-consent', coupleId: l.couple.coupleId });

    // The same code again, from the other couple and from the partner: exactly a wrong code.
    const wrong = textOf(other.a.say('/therapist not-a-real-code'));
    expect(wrong).toBe(copy.channel.badCode);
    expect(textOf(other.a.say(`/therapist ${code}`))).toBe(wrong);
    expect(textOf(l.couple.b.say(`/therapist ${code}`))).toBe(wrong);
    expect(channelRow(l.group)?.coupleId).toBe(l.couple.coupleId);
    sim.deliverOutbox();
    expect(other.a.transcript()).not.toContain('Rivera');
    expect(other.b.transcript()).not.toContain('Rivera');
    // The group learns that a couple linked it, and nothing about who.
    expect(l.group.last()).toBe(copy.channel.linked);
  });

  it('refuses an expired code like a wrong one, and slows down guessing', () => {
    const l = setUp();
    const code = linkCode(l);
    sim.advance(49 * HOUR);
    expect(textOf(l.couple.a.say(`/therapist ${code}`))).toBe(copy.channel.badCode);
    for (let i = 0; i < 4; i++) l.couple.a.say(`/therapist guess-${i}`);
    expect(textOf(l.couple.a.say(`/therapist ${linkCode(l)}`))).toBe(copy.channel.slowDown);
    expect(channelRow(l.group)?.status).toBe('linking');
  });

  it('forgets a group whose code nobody redeemed in time, name and all, and keeps linked ones', () => {
    const l = setUp();
    linkCode(l);
    const other = sim.group('Second practice');
    other.managers.add(l.therapist);
    l.couple.a.say(
      `/therapist ${textOf(other.command(l.therapist, '/link')).match(/\/therapist (\S+)/)![1]}`,
    );
    expect(sim.repo.pruneUnredeemedLinks(sim.now)).toBe(0);
    sim.advance(49 * HOUR);
    expect(sim.repo.pruneUnredeemedLinks(sim.now)).toBe(1);
    expect(channelRow(l.group)).toBeUndefined();
    expect(channelRow(other)?.status).toBe('awaiting-consent');
    // The group can still be linked again later.
    expect(textOf(l.group.command(l.therapist, '/link'))).toContain(copy.channel.linkCode);
  });

  it('will not re-link a group that is bound to a couple, and a new /link replaces an unused code', () => {
    const l = setUp();
    const first = linkCode(l);
    const second = linkCode(l);
    expect(textOf(l.couple.a.say(`/therapist ${first}`))).toBe(copy.channel.badCode);
    l.couple.a.say(`/therapist ${second}`);
    expect(textOf(l.group.command(l.therapist, '/link'))).toBe(copy.channel.alreadyLinked);
  });
});

describe('consent', () => {
  it('asks each partner privately with everything the consent must say', () => {
    const l = setUp();
    l.couple.a.say(`/therapist ${linkCode(l)}`);
    sim.deliverOutbox();
    const ask = l.couple.b.inbox.at(-1)!.message;
    // Proactive: a neutral first line, on its own so a lock screen shows nothing else.
    expect(ask.paragraphs[0]!.map((s) => s.text).join('')).toBe(copy.update);
    expect(ask.openerAlone).toBe(true);
    const text = textOf([ask]);
    expect(text).toContain('"Rivera <b>practice</b>" (4 members)');
    expect(text).toContain('scores only, or your scores and the words you chose to share');
    expect(text).toContain('safety answers unless you share them');
    expect(text).toContain("isn't covered by HIPAA");
    expect(text).toContain('/revoke');
    expect(text).toContain('"Partner 2"');
    expect(text).not.toMatch(/Alex|Sam/);
    expect(ask.buttons!.flat().map((b) => b.label)).toEqual([
      copy.channel.agreeScores,
      copy.channel.agreeWords,
      copy.channel.notNow,
    ]);
  });

  it('posts nothing while only one partner agreed, then everything after both, in the narrower scope', () => {
    const l = setUp();
    consentBoth(l, 'words', null);
    expect(l.couple.a.last()).toBe(copy.channel.waitingForPartner);
    revealedRound(l.couple);
    expect(summaries(l.group)).toEqual([]);
    expect(channelRow(l.group)?.status).toBe('awaiting-consent');

    // Nobody has to wonder where it stands.
    const title = 'Rivera <b>practice</b>';
    expect(textOf(l.couple.a.say('/status'))).toContain(
      copy.channel.statusLine(title, copy.channel.states.waitingForPartner),
    );
    expect(textOf(l.couple.b.say('/status'))).toContain(
      copy.channel.statusLine(title, copy.channel.states.waitingForYou),
    );
    l.couple.b.press(copy.channel.agreeScores);
    expect(l.couple.b.last()).toContain('scores only');
    expect(textOf(l.couple.a.say('/therapist'))).toBe(
      `${copy.channel.statusLine(title, copy.channel.states.active('scores'))}\n\n${copy.channel.howToStop}`,
    );
    sim.deliverOutbox();
    expect(l.group.last()).toBe(copy.channel.active('scores'));
    expect(l.couple.a.last()).toContain('Sharing with "Rivera <b>practice</b>" is on: scores only.');
    const consents = sim.store.sqlite.prepare('select * from consents order by id').all() as {
      scope: string;
      version: number;
      granted_at: number;
      revoked_at: number | null;
    }[];
    expect(consents.map((c) => [c.scope, c.version, c.revoked_at])).toEqual([
      ['words', 1, null],
      ['scores', 1, null],
    ]);

    revealedRound(l.couple);
    const posted = summaries(l.group);
    expect(posted).toHaveLength(1);
    const text = textOf(posted);
    expect(text).toContain(copy.channel.revealOpener);
    expect(text).toContain(copy.channel.opening);
    expect(text).toMatch(/Consistency: partner 1 \S+ 7 · partner 2 \S+ 6/);
    // Scores only: no words at all, not even the shared ones, and no empty word sections.
    expect(text).not.toMatch(/A-|B-/);
    expect(text).not.toContain(copy.reveal.deposits);
    expect(text).not.toContain(copy.reveal.nothingShared);
    // Safety stays private unless its author shares it; names never appear.
    expect(text).not.toMatch(/Safety:/);
    expect(text).not.toMatch(/Alex|Sam/);
    expect(posted[0]).toMatchObject({ protect: true, openerAlone: true, private: false });
  });

  it('shares the words each partner chose with a words consent, and never a private or unshared safety answer', () => {
    const l = setUp();
    consentBoth(l, 'words', 'words');
    const roundId = revealedRound(l.couple, { shareSafety: true });
    const text = textOf(summaries(l.group));
    expect(text).toContain('A-hear I am here');
    expect(text).toContain('B-deposit went to group');
    expect(text).not.toContain('B-count the truth');
    expect(text).toMatch(/Safety: partner 1 \S+ 9$/m);
    const view = sim.repo.roundView(roundId)!;
    const bSafety = view.answers.find(
      (a) => a.memberId === memberOf(sim, l.couple.b).id && a.questionId === 'safety',
    )!;
    const bCount = view.answers.find(
      (a) => a.memberId === memberOf(sim, l.couple.b).id && a.questionId === 'count-on',
    )!;
    const shown = answerIdsIn(summaries(l.group));
    expect(shown).not.toContain(bSafety.id);
    expect(shown).not.toContain(bCount.id);
  });

  it('never posts a round opened before both agreed, and "not now" records nothing', () => {
    const l = setUp();
    const code = linkCode(l);
    l.couple.a.say('/checkin');
    sim.advance(60_000);
    l.couple.a.say(`/therapist ${code}`);
    l.couple.a.press(copy.channel.agreeWords);
    sim.deliverOutbox();
    l.couple.b.press(copy.channel.notNow);
    expect(l.couple.b.last()).toBe(copy.channel.declined);
    expect(sim.repo.activeConsents(channelRow(l.group)!.id)).toHaveLength(1);
    l.couple.b.say('/therapist');
    l.couple.b.press(copy.channel.agreeWords);
    expect(channelRow(l.group)?.status).toBe('active');
    // The round A opened before the consent is finished now, and stays between the two of them.
    sendBoth(l.couple);
    sim.deliverOutbox();
    expect(l.couple.b.transcript()).toContain('A-hear I am here');
    expect(summaries(l.group)).toEqual([]);
  });

  it('never posts a one-sided release', () => {
    const l = setUp();
    consentBoth(l, 'words', 'words');
    l.couple.a.say('/checkin');
    const roundId = openRoundId(sim, l.couple.coupleId);
    answerAll(l.couple.a, A_ANSWERS);
    l.couple.a.press(copy.review.send);
    sim.advance(25 * HOUR);
    sim.engine.closeRound(roundId);
    sim.deliverOutbox();
    l.couple.a.press(copy.deadline.releaseButton);
    sim.deliverOutbox();
    expect(l.couple.b.transcript()).toContain('A-hear I am here');
    expect(l.group.transcript()).not.toContain('A-');
    expect(summaries(l.group)).toEqual([]);
  });
});

describe('stopping', () => {
  it('stops at /revoke from either partner, before a post already queued, and tells the group neutrally', () => {
    const l = setUp();
    consentBoth(l, 'words', 'words');
    revealedRound(l.couple);
    expect(summaries(l.group)).toHaveLength(1);

    // A second reveal is queued, and B revokes before it is sent.
    sendBoth(l.couple);
    expect(textOf(l.couple.b.say('/revoke'))).toBe(copy.channel.revoked);
    sim.deliverOutbox();
    expect(summaries(l.group)).toHaveLength(1);
    expect(l.group.last()).toBe(copy.channel.ended);
    expect(l.couple.a.last()).toContain(copy.channel.partnerEnded);
    expect(l.couple.a.last()).not.toMatch(/Sam|Rivera/);
    const channel = channelRow(l.group)!;
    expect(channel).toMatchObject({ status: 'ended', title: null });
    expect(sim.repo.activeConsents(channel.id)).toEqual([]);

    revealedRound(l.couple);
    expect(summaries(l.group)).toHaveLength(1);
    expect(textOf(l.group.command(l.therapist, '/trends'))).toBe(copy.channel.notLinked);
    // A stale consent button changes nothing now.
    l.couple.a.say('/therapist');
    expect(l.couple.a.last()).toBe(copy.channel.none);
  });

  it('ends the link when the couple unpairs, and when a partner deletes everything', () => {
    const l = setUp();
    consentBoth(l, 'scores', 'scores');
    l.couple.a.say('/unpair');
    l.couple.a.press(copy.pairing.unpairButton);
    sim.deliverOutbox();
    expect(channelRow(l.group)?.status).toBe('ended');
    expect(l.group.last()).toBe(copy.channel.ended);
    expect(l.couple.b.last()).toContain(copy.pairing.ended);

    const again = pairCouple(sim, ['Ray', 'Noor']);
    const l2: Linked = { ...l, couple: again };
    consentBoth(l2, 'scores', 'words');
    expect(channelRow(l.group)?.status).toBe('active');
    again.b.say('/delete');
    again.b.press(copy.deletion.button);
    sim.deliverOutbox();
    expect(channelRow(l.group)?.status).toBe('ended');
    expect(l.group.last()).toBe(copy.channel.ended);
  });

  it('ends the link when the bot can no longer post in the group, telling both partners', () => {
    const l = setUp();
    consentBoth(l, 'scores', 'scores');
    expect(sim.engine.channelUnreachable(channelRow(l.group)!.id)).toBe(true);
    sim.deliverOutbox();
    expect(channelRow(l.group)?.status).toBe('ended');
    expect(l.group.last()).toBe(copy.channel.active('scores'));
    expect(l.couple.a.last()).toContain(copy.channel.partnerEnded);
    expect(l.couple.b.last()).toContain(copy.channel.partnerEnded);
  });
});

describe('in the group', () => {
  it('shows the consented scores as a trend, and nothing from before the consent', () => {
    const l = setUp();
    expect(textOf(l.group.command(l.therapist, '/trends'))).toBe(copy.channel.notLinked);
    revealedRound(l.couple);
    consentBoth(l, 'words', 'words');
    expect(textOf(l.group.command(l.therapist, '/trends'))).toBe(copy.channel.noTrends);
    revealedRound(l.couple);
    revealedRound(l.couple);
    const trend = textOf(l.group.command(l.therapist, '/trends'));
    expect(trend).toContain(copy.channel.trendsHeading(2));
    expect(trend).toMatch(/Consistency: partner 1 ▆▆ 7 · partner 2 ▅▅ 6/);
    expect(trend).not.toMatch(/Safety/);
    // Anyone in the group may ask: they all see the posts anyway.
    const member = sim.person('Co-therapist');
    expect(textOf(l.group.command(member, '/trends'))).toBe(trend);
  });

  it('ignores chatter and unknown commands, and points check-in commands to the private chat', () => {
    const l = setUp();
    expect(l.group.chatter(l.couple.a, 'hello everyone')).toEqual([]);
    expect(l.group.command(l.couple.a, '/weather')).toEqual([]);
    for (const cmd of ['/checkin', '/therapist abc', '/revoke', '/pair', '/delete']) {
      expect(textOf(l.group.command(l.couple.a, cmd))).toBe(copy.groupPointer);
    }
    expect(textOf(l.group.command(l.therapist, '/help'))).toBe(copy.channel.groupHelp);
    // The therapist never becomes a member by talking in a group.
    expect(sim.repo.memberByPlatform('telegram', l.therapist.actor.userId)).toBeUndefined();
  });
});
