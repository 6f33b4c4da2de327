import { afterEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { type SimPerson, Simulation } from '../../src/demo/simulation.ts';
import { SealError } from '../../src/store/crypto.ts';
import { databaseBytes } from '../support/people.ts';

let sim: Simulation;
afterEach(() => sim?.close());

function onboard(p: SimPerson, args = ''): void {
  p.say(`/start ${args}`.trim());
  p.press("I'm in recovery");
  p.say('Europe/London');
  p.press('Yes');
}

const fileBytes = () => databaseBytes(sim);

describe('/delete', () => {
  it('crypto-shreds the member: no plaintext, no wrapped key, sealed values unopenable', () => {
    sim = new Simulation();
    const a = sim.person('Ana');
    const b = sim.person('Ben');
    onboard(a);
    a.say('/pair');
    const code = /\/join (\S+)/.exec(a.last())![1]!;
    onboard(b, code);
    b.press('Join');
    a.say('/checkin');
    for (let i = 0; i < 3; i++) a.press('5');
    a.say('CANARY-count-on-ana');
    a.say('CANARY-deposit-ana');
    a.press('3');
    a.press('2');
    a.say('CANARY-hear-ana');

    const member = sim.repo.memberByPlatform('telegram', a.actor.userId)!;
    const sealed = sim.store.sqlite
      .prepare('select value, question_id from answers where member_id = ? and value is not null')
      .all(member.id) as { value: Buffer; question_id: string }[];
    expect(sealed.length).toBeGreaterThan(0);
    const roundId = sim.repo.openRoundOf(sim.repo.activeCoupleOf(member.id)!.id)!.id;
    // Answers are sealed from the start: the canary never reaches the files in clear.
    expect(fileBytes().includes('CANARY')).toBe(false);
    expect(fileBytes().includes(member.wrappedKey)).toBe(true);

    a.say('/delete');
    a.press(copy.deletion.button);
    expect(a.last()).toContain(copy.deletion.done);

    expect(sim.repo.member(member.id)).toBeUndefined();
    const left = sim.store.sqlite
      .prepare('select count(*) n from answers where member_id = ?')
      .get(member.id);
    expect(left).toEqual({ n: 0 });
    const bytes = fileBytes();
    expect(bytes.includes('CANARY')).toBe(false);
    expect(bytes.includes(member.wrappedKey), 'the wrapped data key is gone from the db and WAL').toBe(false);
    for (const s of sealed) expect(bytes.includes(s.value)).toBe(false);
    // Even holding a copy of a sealed value and the master key, without the wrapped key nothing opens.
    sim.keyring.forget(member.id);
    const other = sim.repo.memberByPlatform('telegram', b.actor.userId)!;
    expect(() =>
      sim.keyring.open(
        member.id,
        other.wrappedKey,
        `answer:${roundId}:${sealed[0]!.question_id}`,
        sealed[0]!.value,
      ),
    ).toThrow(SealError);

    sim.deliverOutbox();
    expect(b.last()).toContain(copy.pairing.ended);
    expect(b.transcript()).not.toContain('CANARY');
  });

  it('can be cancelled, and then nothing is deleted', () => {
    sim = new Simulation();
    const a = sim.person('Ana');
    onboard(a);
    a.say('/delete');
    a.press(copy.deletion.cancel);
    expect(a.last()).toContain(copy.deletion.cancelled);
    expect(sim.repo.memberByPlatform('telegram', a.actor.userId)).toBeDefined();
  });
});
