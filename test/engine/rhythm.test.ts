import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { parseScheduleRequest } from '../../src/checkin/schedule.ts';
import { Simulation } from '../../src/demo/simulation.ts';
import { memberOf, onboard, pairCouple, textOf } from '../support/people.ts';

let sim: Simulation;
let changed: number[][];
beforeEach(() => {
  sim = new Simulation({ start: Date.UTC(2026, 10, 24, 18, 0) }); // a Tuesday
  changed = [];
  sim.engine.deps.onCoupleChange = (ids) => changed.push(ids);
});
afterEach(() => sim.close());

describe('/schedule', () => {
  it('reads days, a time and an optional zone in plain words', () => {
    expect(parseScheduleRequest('mon,thu 8:30')).toEqual({
      ok: true,
      weekdays: [1, 4],
      localTime: '08:30',
      timeZone: null,
    });
    expect(parseScheduleRequest('weekdays 7pm europe/london')).toMatchObject({
      weekdays: [1, 2, 3, 4, 5],
      localTime: '19:00',
      timeZone: 'Europe/London',
    });
    for (const bad of ['', 'sun', '19:00', 'sun 25:00', 'sun 7', 'sun 19:00 Mars/Base', 'someday 9pm']) {
      expect(parseScheduleRequest(bad).ok, bad).toBe(false);
    }
  });

  it('changes the couple’s rhythm, tells the partner neutrally, and cues the scheduler', () => {
    const c = pairCouple(sim);
    changed = [];
    const reply = textOf(c.a.say('/schedule wed 20:15'));
    expect(reply).toContain(copy.schedule.changed);
    expect(reply).toContain('Wednesday at 20:15');
    expect(reply).toContain('Next check-in: Wednesday 20:15');
    const couple = sim.repo.couple(c.coupleId)!;
    expect([couple.weekdays, couple.localTime]).toEqual(['3', '20:15']);
    expect(changed).toEqual([[c.coupleId]]);
    const [notice] = sim.deliverOutbox();
    expect(notice?.to).toBe(c.b);
    expect(textOf([notice!.message]).split('\n')[0]).toBe(copy.update);
  });

  it('explains itself kindly when it cannot read the request, and changes nothing', () => {
    const c = pairCouple(sim);
    const before = sim.repo.couple(c.coupleId)!;
    expect(textOf(c.a.say('/schedule whenever'))).toContain(copy.schedule.invalid);
    expect(sim.repo.couple(c.coupleId)).toEqual(before);
  });

  it('gives someone on their own a rhythm of their own', () => {
    const solo = sim.person('Robin');
    onboard(solo);
    solo.say('/schedule daily 21:00');
    const couple = sim.repo.activeCoupleOf(memberOf(sim, solo).id)!;
    expect([couple.kind, couple.weekdays, couple.localTime]).toEqual(['solo', '1,2,3,4,5,6,7', '21:00']);
  });
});

describe('/template', () => {
  it('switches the format from the next round on, and the partner hears which', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    c.a.say('/template');
    c.a.press('FANOS');
    expect(c.a.last()).toContain(copy.template.changed('FANOS'));
    expect(sim.repo.openRoundOf(c.coupleId)?.template).toBe('rebuild-trust');
    expect(sim.repo.couple(c.coupleId)?.template).toBe('fanos');
    sim.deliverOutbox();
    expect(c.b.transcript()).toContain(copy.template.partnerChanged('FANOS'));
  });
});

describe('/pause without a date', () => {
  it('lasts until /resume, shows no date, and can be lifted', () => {
    const c = pairCouple(sim);
    expect(textOf(c.a.say('/pause'))).toContain(copy.pause.pausedIndefinitely);
    expect(textOf(c.a.say('/status'))).toContain(copy.status.pausedIndefinitely);
    const resumed = textOf(c.a.say('/resume'));
    expect(resumed).toContain(copy.pause.resumed);
    expect(resumed).not.toContain(copy.somethingWrong);
    expect(sim.repo.couple(c.coupleId)?.pausedUntil).toBeNull();
    sim.deliverOutbox();
    expect(c.b.transcript()).toContain(copy.pause.partnerPaused);
    expect(c.b.transcript()).toContain(copy.pause.partnerResumed);
  });
});
