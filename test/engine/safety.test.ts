import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { BUILTIN_RESOURCES } from '../../src/checkin/resources.ts';
import { Simulation } from '../../src/demo/simulation.ts';
import { answerAll, memberOf, openRoundId, pairCouple, textOf } from '../support/people.ts';

const US_FIRST = copy.support.resources(BUILTIN_RESOURCES.countries.US!)[0]!;
let sim: Simulation;
beforeEach(() => {
  sim = new Simulation();
});
afterEach(() => sim.close());

describe('crisis wording wherever it is typed', () => {
  it('shows resources first when nothing is being asked, on a review screen, or in an over-long answer', () => {
    const c = pairCouple(sim);
    expect(textOf(c.a.say('I want to die')).split('\n')[0]).toBe(US_FIRST);
    c.a.say('/checkin');
    answerAll(c.a, [5, 5, 5]);
    const tooLong = textOf(c.a.say(`I want to die ${'x'.repeat(1200)}`));
    expect(tooLong.split('\n')[0]).toBe(US_FIRST);
    expect(tooLong).toContain('Could you shorten it?');
    answerAll(c.a, ['ok', 'ok', 5, 5, 'ok']);
    const review = textOf(c.a.say('i want to die'));
    expect(review.split('\n')[0]).toBe(US_FIRST);
    expect(review).toContain(copy.useButtons);
  });

  it('shows resources first during set-up too, and the step stays where it was', () => {
    const p = sim.person('Robin');
    p.say('/start');
    p.press("I'm the partner");
    const out = textOf(p.say('kill myself'));
    expect(out.split('\n')[0]).toBe(copy.support.resources(BUILTIN_RESOURCES.fallback)[0]);
    expect(out).toContain(copy.onboarding.zoneUnknown);
  });
});

describe('/delete during set-up', () => {
  it('does not trap the person in a loop: cancelling returns to set-up', () => {
    const p = sim.person('Robin');
    p.say('/start');
    p.say('/delete');
    expect(p.last()).toContain(copy.deletion.confirm);
    p.press(copy.deletion.cancel);
    expect(p.last()).toContain(copy.deletion.cancelled);
    const again = textOf(p.say('/start'));
    expect(again).toContain(copy.onboarding.role);
    p.press("I'm the partner");
    p.say('Europe/London');
    p.press('Not really');
    expect(memberOf(sim, p).solo).toBe(true);
  });
});

describe('a pause and an ended pairing', () => {
  it('sends no reminder to someone who paused', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    sim.deliverOutbox();
    c.b.say('/pause 2 weeks');
    expect(sim.engine.remind(roundId)).toBe(0);
    expect(sim.deliverOutbox().filter((r) => r.message.kind === 'prompt')).toEqual([]);
  });

  it('never releases answers to someone who is no longer the partner', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    answerAll(c.a, [5, 5, 5, 'CANARY-a', 'CANARY-b', 5, 5, 'CANARY-c']);
    c.a.press(copy.review.send);
    const roundId = openRoundId(sim, c.coupleId);
    sim.engine.closeRound(roundId);
    sim.deliverOutbox();
    const share = c.a.findButton(copy.deadline.releaseButton)!;
    c.b.say('/unpair');
    c.b.press(copy.pairing.unpairButton);
    expect(textOf(c.a.pressToken(share.token))).toContain(copy.checkin.closed);
    sim.deliverOutbox();
    expect(c.b.transcript()).not.toContain('CANARY');
  });
});
