import { beforeEach, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { plainText, type SimPerson, type Simulation } from '../../src/demo/simulation.ts';
import type { Inbound, OutboundMessage } from '../../src/engine/types.ts';
import { hashCode } from '../../src/store/crypto.ts';
import {
  answerAll,
  databaseBytes,
  handleRaw,
  inviteCode,
  labelsOf,
  memberOf,
  onboard,
  openRoundId,
  pairCouple,
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

function count(table: string): number {
  return (sim.store.sqlite.prepare(`select count(*) n from ${table}`).get() as { n: number }).n;
}

/** The answers of a person in a round, as question id -> value. */
function answersOf(roundId: number, p: SimPerson): Record<string, string | null> {
  const id = memberOf(sim, p).id;
  return Object.fromEntries(
    sim.repo
      .roundView(roundId)!
      .answers.filter((a) => a.memberId === id)
      .map((a) => [a.questionId, a.value]),
  );
}

function stepOf(p: SimPerson): { step: string; questionId: string | null } | null {
  const c = sim.repo.conversation(memberOf(sim, p));
  return c && { step: c.step, questionId: c.questionId };
}

function privateChat(p: SimPerson) {
  return { platform: p.actor.platform, chatId: p.actor.userId, kind: 'private' as const };
}

/** A solo person on the first text question ("count on") of an open round. */
function onTextQuestion(): { p: SimPerson; roundId: number } {
  const p = sim.person('Kim');
  onboard(p);
  p.say('/checkin');
  answerAll(p, [5, 6, 7]);
  const roundId = openRoundId(sim, sim.repo.activeCoupleOf(memberOf(sim, p).id)!.id);
  expect(stepOf(p)).toEqual({ step: 'checkin:question', questionId: 'count-on' });
  return { p, roundId };
}

// Control characters (except newline and tab), bidi overrides/isolates, ZWSP/BOM, lone surrogates.
const CONTROL = /[^\P{Cc}\n\t]/u;
const INVISIBLE_OR_BIDI = /[\u202A-\u202E\u2066-\u2069\u200B\uFEFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNCLEAN = { test: (t: string) => [CONTROL, INVISIBLE_OR_BIDI, LONE_SURROGATE].some((r) => r.test(t)) };

describe('redelivered updates', () => {
  it('applies a text answer once: a redelivery gets no reply and changes nothing', () => {
    const { p, roundId } = onTextQuestion();
    const inbound: Inbound = {
      actor: p.actor,
      chat: privateChat(p),
      dedupeKey: 'tg-update-777',
      kind: 'text',
      text: 'Our Sunday walks',
    };
    const first = p.redeliver(inbound);
    expect(textOf(first)).toContain(copy.questions.deposit.prompt);
    const answers = count('answers');
    const outbox = count('outbox');
    const inbox = p.inbox.length;

    expect(p.redeliver(inbound)).toEqual([]);
    expect(p.redeliver({ ...inbound, text: 'something else' })).toEqual([]);
    expect(p.inbox).toHaveLength(inbox);
    expect(count('answers')).toBe(answers);
    expect(count('outbox')).toBe(outbox);
    expect(stepOf(p)).toEqual({ step: 'checkin:question', questionId: 'deposit' });
    expect(answersOf(roundId, p)['count-on']).toBe('Our Sunday walks');
    expect(answersOf(roundId, p).deposit).toBeUndefined();
  });

  it('opens a round and writes the partner prompt once, however often /checkin is redelivered', () => {
    const c = pairCouple(sim);
    const inbound: Inbound = {
      actor: c.a.actor,
      chat: privateChat(c.a),
      dedupeKey: 'tg-update-778',
      kind: 'command',
      name: 'checkin',
      args: '',
    };
    expect(textOf(c.a.redeliver(inbound))).toContain(copy.questions.consistency.prompt);
    const outbox = count('outbox');
    expect(c.a.redeliver(inbound)).toEqual([]);
    expect(count('outbox')).toBe(outbox);
    expect(count('rounds')).toBe(1);
    expect(sim.deliverOutbox().map((r) => r.to)).toEqual([c.b]);
  });
});

describe('buttons that are not what they seem', () => {
  it('refuses forged, oversized and empty tokens with "closed", changing nothing', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    c.a.press('7');
    const real = c.a.findButton('3')!.token; // question 2, value 3
    const [payload, mac] = real.split('~') as [string, string];
    const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
    const forgeries = [
      'hello',
      `${payload}~${flipped}`,
      // The right MAC on a different payload: another value for the same question.
      `${payload.replace(/\.3$/, '.10')}~${mac}`,
      `${payload}~${'A'.repeat(mac.length)}`,
      `${real}${'x'.repeat(64)}`,
      `ans.${roundId}.reliability.3~${'Z'.repeat(80)}`,
      '',
      '~',
      '~~~',
    ];
    expect(forgeries[2]).not.toBe(real);
    const before = { answers: answersOf(roundId, c.a), step: stepOf(c.a), outbox: count('outbox') };
    for (const token of forgeries) {
      const replies = c.a.pressToken(token);
      expect(textOf(replies), token).toBe(copy.checkin.closed);
      expect(labelsOf(replies)).toEqual([]);
    }
    expect({ answers: answersOf(roundId, c.a), step: stepOf(c.a), outbox: count('outbox') }).toEqual(before);
    // The real button still works afterwards.
    expect(textOf(c.a.pressToken(real))).toContain(copy.questions.safety.prompt);
    expect(answersOf(roundId, c.a).reliability).toBe('3');
  });

  it("refuses someone else's valid button and leaves its owner where they were", () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    sim.deliverOutbox();
    c.b.press(copy.checkin.start);
    const aTokens = ['9', copy.checkin.skip, copy.checkin.support].map((l) => c.a.findButton(l)!.token);
    const before = { a: answersOf(roundId, c.a), b: answersOf(roundId, c.b), step: stepOf(c.a) };
    for (const token of aTokens) {
      const replies = c.b.pressToken(token);
      expect(textOf(replies)).toBe(copy.checkin.closed);
      expect(textOf(replies)).not.toContain('911');
    }
    expect({ a: answersOf(roundId, c.a), b: answersOf(roundId, c.b), step: stepOf(c.a) }).toEqual(before);
    expect(stepOf(c.b)).toEqual({ step: 'checkin:question', questionId: 'consistency' });
  });

  it('a stale question button shows where the person is now and keeps the first answer', () => {
    const { p, roundId } = (() => {
      const p = sim.person('Kim');
      onboard(p);
      p.say('/checkin');
      const roundId = openRoundId(sim, sim.repo.activeCoupleOf(memberOf(sim, p).id)!.id);
      return { p, roundId };
    })();
    const oldThree = p.findButton('3')!.token;
    p.press('7');
    p.press('6');
    expect(stepOf(p)?.questionId).toBe('safety');
    const replies = p.pressToken(oldThree);
    expect(plainText(replies[0]!)).toBe(copy.checkin.staleButton);
    expect(textOf(replies.slice(1))).toContain(copy.questions.safety.prompt);
    expect(textOf(replies.slice(1))).toContain(copy.checkin.progress(3, 8));
    expect(answersOf(roundId, p)).toEqual({ consistency: '7', reliability: '6' });
    expect(stepOf(p)?.questionId).toBe('safety');
  });
});

describe('what people type', () => {
  it('refuses text over the limit with its code-point count, keeps the question open, then accepts', () => {
    const { p, roundId } = onTextQuestion();
    expect(textOf(p.say('a'.repeat(1001)))).toBe(copy.checkin.tooLong(1001, 1000));
    // 5000 emoji are 10000 UTF-16 units; people count them as 5000 characters.
    expect(textOf(p.say('😀'.repeat(5000)))).toBe(copy.checkin.tooLong(5000, 1000));
    expect(textOf(p.submitForm('b'.repeat(1200)))).toBe(copy.checkin.tooLong(1200, 1000));
    expect(stepOf(p)?.questionId).toBe('count-on');
    expect(answersOf(roundId, p)['count-on']).toBeUndefined();

    const exactly = '🙂'.repeat(1000);
    expect(textOf(p.say(exactly))).toContain(copy.questions.deposit.prompt);
    expect(answersOf(roundId, p)['count-on']).toBe(exactly);
  });

  it('calls empty and whitespace-only answers empty', () => {
    const { p, roundId } = onTextQuestion();
    for (const blank of ['   ', '\n\t\n', '\u200B\u200B', '\u202E', '\u0000', '\uD800']) {
      expect(textOf(p.say(blank)), JSON.stringify(blank)).toBe(copy.checkin.empty);
    }
    expect(textOf(p.submitForm(''))).toBe(copy.checkin.empty);
    expect(stepOf(p)?.questionId).toBe('count-on');
    expect(answersOf(roundId, p)['count-on']).toBeUndefined();
  });

  it('stores odd Unicode cleanly and shows the partner the cleaned text', () => {
    const c = pairCouple(sim);
    c.a.say('/checkin');
    const roundId = openRoundId(sim, c.coupleId);
    const raw = {
      count: 'Our\u202E walks\u200B\u0000 to the cafe\u0301 \uD800with 👩‍👩‍👧 \u2066x\u2069',
      deposit: 'مرحبا\u200F friend\u0007\u001B[31m red\uFEFF',
      hear: 'Z\u0351\u0359a\u0300\u0301l\u0334go\r\nline two\u2028three\n\n\n\n\nfour',
    };
    const clean = {
      count: 'Our walks to the café with 👩‍👩‍👧 x',
      deposit: 'مرحبا\u200F friend[31m red',
      // NFC composes a + grave and puts combining marks in canonical order.
      hear: 'Z\u0359\u0351\u00E0\u0301l\u0334go\nline two\nthree\n\nfour',
    };
    answerAll(c.a, [5, 5, 5, raw.count, raw.deposit, 5, 5, raw.hear]);
    c.a.press(copy.review.send);
    sim.deliverOutbox();
    c.b.press(copy.checkin.start);
    answerAll(c.b, [5, 5, 5, '👍🏽\u0000', 'ok', 5, 5, '\u202Eok']);
    const summary = c.b.press(copy.review.send)[0]!;

    const stored = answersOf(roundId, c.a);
    expect(stored['count-on']).toBe(clean.count);
    expect(stored.deposit).toBe(clean.deposit);
    expect(stored.hear).toBe(clean.hear);
    const quoted = segmentsOf(summary)
      .filter((s) => s.style === 'quote')
      .map((s) => s.text);
    expect(quoted).toEqual(expect.arrayContaining([clean.count, clean.deposit, clean.hear, '👍🏽', 'ok']));
    for (const r of sim.delivered) {
      for (const s of segmentsOf(r.message)) expect(UNCLEAN.test(s.text), JSON.stringify(s.text)).toBe(false);
    }
  });

  it('never throws on odd Unicode anywhere: names, commands, zones, codes', () => {
    const odd = [
      '\uD800',
      '\u0000',
      '\u202E\u202E',
      'e\u0301\u0301\u0301',
      '👩‍👩‍👧‍👦',
      '\uDFFF\uD800',
      '\u200B',
    ];
    for (const [i, s] of odd.entries()) {
      const p = sim.person(`${s}name${s}`, i % 2 ? 'discord' : 'telegram');
      p.say(`/start ${s}`);
      p.press(copy.onboarding.roles.unspecified);
      expect(textOf(p.say(s))).toBe(copy.onboarding.zoneUnknown);
      p.say(`America/Chicago${s}`);
      p.say('America/Chicago');
      p.press(copy.onboarding.safetyOptions.yes);
      expect(memberOf(sim, p).onboardedAt).not.toBeNull();
      p.say(`/join ${s}`);
      p.say(`/pause ${s}`);
      p.say(`/${s}`);
      p.say(s);
      p.pressToken(s);
      expect(UNCLEAN.test(sim.repo.displayName(memberOf(sim, p))!)).toBe(false);
    }
    for (const r of sim.delivered) {
      for (const seg of segmentsOf(r.message)) expect(UNCLEAN.test(seg.text)).toBe(false);
    }
  });

  it('keeps markup in names and answers as plain text, never as styling', () => {
    const names = ['<b>Al</b>', '*__~~||x||~~__*', '@everyone', `${'<i>'.repeat(100)}`];
    const c = pairCouple(sim, [names[0]!, names[1]!]);
    for (const name of names.slice(2)) {
      const p = sim.person(name);
      expect(textOf(onboard(p))).toBe(copy.onboarding.done);
    }
    const markup = [
      '<script>alert(1)</script>',
      '**bold** _it_ `code` [link](https://x.example) <a href="x">a</a> &amp; &lt;',
      '||spoiler|| ~~strike~~ @everyone <@123> #channel',
    ];
    c.a.say('/checkin');
    answerAll(c.a, [5, 5, 5, markup[0]!, markup[1]!, 5, 5, markup[2]!]);
    c.a.press(copy.review.send);
    sim.deliverOutbox();
    c.b.press(copy.checkin.start);
    answerAll(c.b, [5, 5, 5, 'b1', 'b2', 5, 5, 'b3']);
    const summary = c.b.press(copy.review.send)[0]!;
    const quoted = segmentsOf(summary).filter((s) => s.style === 'quote');
    for (const m of markup) expect(quoted.map((s) => s.text)).toContain(m);

    const fragments = ['script', 'bold', 'spoiler', 'strike', 'everyone', '<', '*', '_', '|', '~'];
    for (const r of sim.delivered) {
      for (const s of segmentsOf(r.message)) {
        // A styled segment (bold, italic, code, quote) comes from the engine's own words, or is one
        // whole answer verbatim; it never holds a fragment of what someone typed.
        if (s.style === 'plain' || s.answerIds) continue;
        if (s.style === 'code' && s.text.startsWith('/join ')) continue;
        for (const f of fragments) expect(s.text, `${s.style}: ${s.text}`).not.toContain(f);
      }
      // Names never reach anyone ("@everyone" is also typed in an answer, so it is left out here).
      for (const n of [names[0]!, names[1]!, names[3]!]) expect(plainText(r.message)).not.toContain(n);
    }
    const segs = sim.delivered.flatMap((r) => segmentsOf(r.message));
    for (const m of markup) {
      const holding = segs.filter((s) => s.text.includes(m));
      expect(holding.length).toBeGreaterThan(0);
      for (const s of holding) expect(s.text).toBe(m);
    }
  });
});

describe('things in the wrong place', () => {
  it('points group commands to the private chat and ignores group chatter, creating nobody', () => {
    const p = sim.person('Grp');
    const group = { platform: p.actor.platform, chatId: '-100200', kind: 'group' as const };
    const cmd = handleRaw(sim, typed, {
      actor: p.actor,
      chat: group,
      dedupeKey: 'g1',
      kind: 'command',
      name: 'checkin',
      args: '',
    });
    expect(textOf(cmd as OutboundMessage[])).toBe(copy.groupPointer);
    expect((cmd[0] as OutboundMessage).to).toEqual(group);
    const chatter = handleRaw(sim, typed, {
      actor: p.actor,
      chat: group,
      dedupeKey: 'g2',
      kind: 'text',
      text: 'hello everyone in the group',
    });
    expect(chatter).toEqual([]);
    const start = handleRaw(sim, typed, {
      actor: p.actor,
      chat: group,
      dedupeKey: 'g3',
      kind: 'command',
      name: 'start',
      args: '',
    });
    // /start in a group (a therapist adding the bot, say) says what the bot does there.
    expect(textOf(start as OutboundMessage[])).toBe(copy.channel.groupHelp);
    expect(sim.repo.memberByPlatform(p.actor.platform, p.actor.userId)).toBeUndefined();
    expect(count('members')).toBe(0);
  });

  it('asks to finish onboarding first and shows the current step again', () => {
    const p = sim.person('New');
    p.say('/start');
    const r1 = p.say('/checkin');
    expect(plainText(r1[0]!)).toBe(copy.onboarding.finishFirst);
    expect(textOf(r1.slice(1))).toContain(copy.onboarding.role);
    expect(labelsOf(r1)).toEqual(Object.values(copy.onboarding.roles));
    p.press(copy.onboarding.roles.partner);
    const r2 = p.say('/pair');
    expect(plainText(r2[0]!)).toBe(copy.onboarding.finishFirst);
    expect(textOf(r2.slice(1))).toContain(copy.onboarding.zone);
    expect(count('invites')).toBe(0);
    expect(count('rounds')).toBe(0);
  });

  it('answers unknown commands, stray text and typed scale numbers kindly', () => {
    const p = sim.person('Kim');
    onboard(p);
    expect(textOf(p.say('/frobnicate now'))).toBe(copy.unknownCommand);
    expect(textOf(p.say('just saying hi'))).toBe(copy.nothingAsked);
    p.say('/checkin');
    const roundId = openRoundId(sim, sim.repo.activeCoupleOf(memberOf(sim, p).id)!.id);
    expect(textOf(p.say(' 7 '))).toContain(copy.questions.reliability.prompt);
    expect(answersOf(roundId, p).consistency).toBe('7');
    for (const bad of ['eleven', '11', '-1', '3.5', '0x5', '٣']) {
      expect(textOf(p.say(bad)), bad).toBe(copy.checkin.pickNumber);
    }
    expect(textOf(p.say('0'))).toContain(copy.questions.safety.prompt);
    expect(answersOf(roundId, p)).toEqual({ consistency: '7', reliability: '0' });
  });

  it('treats command names that match built-in object properties as unknown commands', () => {
    const p = sim.person('Kim');
    onboard(p);
    for (const cmd of ['/constructor', '/__proto__', '/CONSTRUCTOR', '/hasOwnProperty', '/toString']) {
      expect(textOf(p.say(cmd)), cmd).toBe(copy.unknownCommand);
    }
  });

  it('stores a typed scale answer as its number ("07" is 7)', () => {
    const p = sim.person('Kim');
    onboard(p);
    p.say('/checkin');
    const roundId = openRoundId(sim, sim.repo.activeCoupleOf(memberOf(sim, p).id)!.id);
    p.say('07');
    p.say('00');
    expect(answersOf(roundId, p)).toEqual({ consistency: '7', reliability: '0' });
  });

  it('asks an unknown person to /start first, for text and for buttons', () => {
    const p = sim.person('Who');
    expect(textOf(p.say('hello?'))).toBe(copy.startFirst);
    expect(textOf(p.pressToken('ans.1.consistency.5~AAAAAAAAAAAAAAAAAAAAAA'))).toBe(copy.startFirst);
    const form: Inbound = {
      actor: p.actor,
      chat: privateChat(p),
      dedupeKey: 'form-1',
      kind: 'form',
      token: 'txt.1.count-on~AAAAAAAAAAAAAAAAAAAAAA',
      text: 'words in a form',
    };
    expect(textOf(p.redeliver(form))).toBe(copy.startFirst);
    expect(textOf(p.say('/checkin'))).toBe(copy.startFirst);
    expect(count('members')).toBe(0);
  });
});

describe('join codes', () => {
  it('gives wrong, used, expired and own codes the very same reply', () => {
    const ana = sim.person('Ana');
    onboard(ana);
    const code = inviteCode(ana);

    const wrong = sim.person('Wes');
    onboard(wrong);
    const rWrong = textOf(wrong.say('/join notarealcode123456789'));

    const ben = sim.person('Ben');
    onboard(ben);
    ben.say(`/join ${code}`);
    ben.press(copy.pairing.joinButton);
    const used = sim.person('Uma');
    onboard(used);
    const rUsed = textOf(used.say(`/join ${code}`));

    const eve = sim.person('Eve');
    onboard(eve);
    const oldCode = inviteCode(eve);
    sim.advance(49 * 3600_000);
    const late = sim.person('Lee');
    onboard(late);
    const rExpired = textOf(late.say(`/join ${oldCode}`));

    const own = sim.person('Oz');
    onboard(own);
    const ownCode = inviteCode(own);
    const rOwn = textOf(own.say(`/join ${ownCode}`));

    expect(rWrong).toBe(copy.pairing.badCode);
    expect([rUsed, rExpired, rOwn]).toEqual([rWrong, rWrong, rWrong]);
    expect(sim.repo.activeCoupleOf(memberOf(sim, used).id)).toBeUndefined();
    expect(sim.repo.activeCoupleOf(memberOf(sim, late).id)).toBeUndefined();
    expect(sim.repo.activeCoupleOf(memberOf(sim, own).id)).toBeUndefined();
  });

  it('slows down after five wrong guesses, even for a right code, and recovers after 15 minutes', () => {
    const ana = sim.person('Ana');
    onboard(ana);
    const code = inviteCode(ana);
    const guesser = sim.person('Gus');
    onboard(guesser);
    const replies = [1, 2, 3, 4, 5].map((i) => textOf(guesser.say(`/join wrong-guess-${i}`)));
    expect(replies.slice(0, 4)).toEqual(Array(4).fill(copy.pairing.badCode));
    expect(replies[4]).toBe(copy.pairing.slowDown);
    sim.advance(60_000);
    const right = guesser.say(`/join ${code}`);
    expect(textOf(right)).toBe(copy.pairing.slowDown);
    expect(labelsOf(right)).not.toContain(copy.pairing.joinButton);
    sim.advance(15 * 60_000);
    const later = guesser.say(`/join ${code}`);
    expect(later[0]!.paragraphs.map((x) => x.map((seg) => seg.text).join(''))).toEqual([
      copy.pairing.invited,
    ]);
    expect(labelsOf(later)).toContain(copy.pairing.joinButton);
    guesser.press(copy.pairing.joinButton);
    expect(sim.repo.activeCoupleOf(memberOf(sim, guesser).id)?.kind).toBe('pair');
  });

  it('asks for the code when /join has none', () => {
    const p = sim.person('Kim');
    onboard(p);
    expect(textOf(p.say('/join'))).toBe(copy.pairing.needCode);
    expect(textOf(p.say('/join    '))).toBe(copy.pairing.needCode);
  });

  it('stores only a SHA-256 hash of the code: the raw code never reaches the database file', () => {
    const ana = sim.person('Ana');
    onboard(ana);
    const code = inviteCode(ana);
    const ben = sim.person('Ben');
    onboard(ben, { code });
    ben.press(copy.pairing.joinButton);
    const rows = sim.store.sqlite.prepare('select code_hash from invites').all() as { code_hash: string }[];
    expect(rows).toEqual([{ code_hash: hashCode(code) }]);
    expect(hashCode(code)).toMatch(/^[0-9a-f]{64}$/);
    sim.store.sqlite.pragma('wal_checkpoint(PASSIVE)');
    const bytes = databaseBytes(sim);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(code)).toBe(false);
    expect(bytes.includes(Buffer.from(code, 'utf16le'))).toBe(false);
  });
});
