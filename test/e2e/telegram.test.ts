import { randomBytes } from 'node:crypto';
import type { Update } from 'telegraf/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TelegramAdapter } from '../../adapters/telegram/adapter.ts';
import { copy } from '../../src/checkin/copy.ts';
import { COMMAND_LIST, GROUP_COMMAND_LIST } from '../../src/engine/engine.ts';
import { createLogger } from '../../src/ops/log.ts';
import { outboxSettled, outboxStates } from '../support/outbox.ts';
import { eventually, uniquePrefix } from '../support/redis.ts';
import { expectedReveal } from '../support/reveal.ts';
import type { BotMessage } from '../support/telegram/emulator.ts';
import {
  allVersions,
  inviteCode,
  type Person,
  pairThroughTelegram,
  paragraphsOf,
  plain,
  sectionOf,
  startTelegramBot,
  type TelegramBot,
  unconfirm,
} from '../support/telegram/flow.ts';

// The whole bot on Telegram: real telegraf polling the strict Bot API emulator, the real engine
// over a real SQLite file, the real outbox relay and send worker on real Redis. Everything is
// asserted on what people see in their chats.

const base = uniquePrefix('e2e-telegram');
let serial = 0;
const freshPrefix = () => `${base}-${++serial}`;

const Q = copy.questions;
/** What a person sees of a message. */
const text = (m: BotMessage | undefined) => m?.visibleText ?? '';
const callbackIds = (bot: TelegramBot) =>
  bot.emu.server.storage.userMessages
    .filter((u) => 'callbackQuery' in u)
    .map((u) => String((u as { callbackId: number }).callbackId));

// ---- one couple's whole conversation ---------------------------------------------------------

describe('a couple on Telegram, from /start to the shared summary', () => {
  const tag = randomBytes(3).toString('hex');
  const canary = (who: 'A' | 'B', q: string) => `CANARY${who}${q}${tag}`;
  const words = {
    A: {
      countOn: `The Sunday walks ${canary('A', 'count')}`,
      deposit: `Called when I said I would ${canary('A', 'deposit')}`,
      hear: `I am trying, slowly ${canary('A', 'hear')}`,
    },
    B: {
      countOn: `Our morning coffee ${canary('B', 'count')}`,
      deposit: `Went to my group twice ${canary('B', 'deposit')}`,
      hear: `I still get scared at night ${canary('B', 'hear')}`,
    },
  };
  // Scores chosen so that each safety score appears nowhere else.
  const scores = {
    A: { consistency: 7, reliability: 6, safety: 9, fear: 3, anger: 2 },
    B: { consistency: 5, reliability: 4, safety: 8, fear: 1, anger: 0 },
  };
  /** The canary at the end of an answer. */
  const canaryOf = (w: string) => w.split(' ').at(-1)!;
  const canariesOf = (who: 'A' | 'B') => Object.values(words[who]).map(canaryOf);
  const found = (t: string) => [...canariesOf('A'), ...canariesOf('B')].filter((c) => t.includes(c));

  let bot: TelegramBot;
  let a: Person;
  let b: Person;
  let code = '';
  let summaryA: BotMessage;
  let summaryB: BotMessage;
  /** The model: which canaries each chat may hold now. */
  const allowed = new Map<number, Set<string>>();
  const violations: string[] = [];
  let steps = 0;

  /** After every step: no message (in any version) in a chat holds a canary that chat may not see yet. */
  const check = () => {
    steps++;
    for (const p of [a, b]) {
      for (const m of p.messages()) {
        for (const version of allVersions(m)) {
          for (const c of found(version)) {
            if (!allowed.get(p.id)!.has(c))
              violations.push(`step ${steps}: ${c} in chat ${p.id}, message ${m.message_id}`);
          }
        }
      }
    }
  };

  beforeAll(async () => {
    bot = await startTelegramBot(freshPrefix());
    a = bot.person(101, 'Avery');
    b = bot.person(102, 'Blake');
    allowed.set(a.id, new Set(canariesOf('A')));
    allowed.set(b.id, new Set(canariesOf('B')));
    const settle = bot.settle;
    bot.settle = async () => {
      await settle();
      check();
    };

    await a.onboard({ role: 'recovery', zoneButton: 'London' });
    code = await inviteCode(a);
    await b.onboard({ code, role: 'partner', zoneText: 'Europe/London' });
    await b.press(copy.pairing.joinButton);
    await a.waitFor((m) => paragraphsOf(m)[0] === copy.update, 'from the outbox');

    await a.command('/checkin');
    const sA = scores.A;
    await a.answer([
      sA.consistency,
      sA.reliability,
      sA.safety,
      words.A.countOn,
      words.A.deposit,
      sA.fear,
      sA.anger,
      words.A.hear,
    ]);
    await a.press(copy.review.send);

    await b.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt');
    await b.press(copy.checkin.start);
    const sB = scores.B;
    await b.answer([
      sB.consistency,
      sB.reliability,
      sB.safety,
      words.B.countOn,
      words.B.deposit,
      sB.fear,
      sB.anger,
      words.B.hear,
    ]);
    // At review, B keeps one text answer private.
    await b.press(Q.hear.label);
    await b.press(copy.review.keep);
    // Both have now submitted: what each shared may reach the other.
    for (const c of [canaryOf(words.A.countOn), canaryOf(words.A.deposit), canaryOf(words.A.hear)])
      allowed.get(b.id)!.add(c);
    for (const c of [canaryOf(words.B.countOn), canaryOf(words.B.deposit)]) allowed.get(a.id)!.add(c);
    await b.press(copy.review.send);
    summaryB = b.last();
    summaryA = await a.waitFor((m) => paragraphsOf(m)[0] === copy.reveal.opening, 'with the summary');
    await outboxSettled(bot);
    check();
  }, 30_000);

  afterAll(async () => {
    await bot?.stop();
  });

  it('onboards A with buttons and gives a deep link; B arrives through it, onboards, and joins', () => {
    const seenA = a.messages().map(text);
    expect(seenA[0]).toBe(`${copy.onboarding.welcome}\n\n${copy.onboarding.privacy}`);
    expect(seenA).toContain(copy.onboarding.zoneSet('Europe/London'));
    expect(seenA).toContain(copy.onboarding.done);
    const invite = a.messages().find((m) => text(m).includes('t.me'))!;
    const link = `https://t.me/${bot.emu.botUsername}?start=${code}`;
    expect(text(invite)).toBe(
      [copy.pairing.invite(link), copy.pairing.inviteCode, copy.pairing.joinCommand(code)].join('\n\n'),
    );
    expect(invite.protect_content).toBe(true);

    // B went through the whole onboarding first: privacy notice, a typed time zone, safety.
    const seenB = b.messages().map(text);
    expect(seenB[0]).toBe(`${copy.onboarding.welcome}\n\n${copy.onboarding.privacy}`);
    expect(seenB).toContain(copy.onboarding.zoneSet('Europe/London'));
    expect(seenB).toContain(copy.onboarding.safety);
    const join = b.messages().find((m) => m.edits.some((e) => e.text === copy.pairing.invited))!;
    expect(text(join)).toMatch(
      /^You're connected\. Your first check-in is .+\. You can change it with \/schedule\.$/,
    );
    expect(join.buttons).toEqual([]);

    // A heard it through the outbox, from the send worker through the adapter's transport.
    const connected = a.messages().find((m) => paragraphsOf(m)[0] === copy.update)!;
    expect(paragraphsOf(connected)[1]).toMatch(/^You're connected\. /);
    const a1 = a.member().id;
    expect(outboxStates(bot).find((r) => r.kind === 'paired')).toEqual({
      kind: 'paired',
      memberId: a1,
      state: 'sent',
    });
    expect(outboxStates(bot).filter((r) => r.kind === 'prompt')).toEqual([
      { kind: 'prompt', memberId: b.member().id, state: 'sent' },
    ]);
  });

  it('reveals to both: the last sender inline, the other through the outbox, protected', () => {
    expect(paragraphsOf(summaryB)[0]).toBe(copy.reveal.opening);
    // The neutral line arrives alone, just before the summary (which comes without a notification).
    const shownA = a.messages();
    const opener = shownA[shownA.findIndex((m) => m.message_id === summaryA.message_id) - 1]!;
    expect(paragraphsOf(opener)).toEqual([copy.update]);
    expect(summaryA.params.disable_notification).toBeTruthy();
    expect(paragraphsOf(summaryA)[0]).toBe(copy.reveal.opening);
    expect(summaryA.protect_content).toBe(true);
    expect(summaryB.protect_content).toBe(true);
    expect(outboxStates(bot).find((r) => r.kind === 'reveal')).toEqual({
      kind: 'reveal',
      memberId: a.member().id,
      state: 'sent',
    });

    // Each holds exactly the other's shared answers (B kept "hear" private), then their own.
    expect(paragraphsOf(summaryA)).toEqual(
      expectedReveal(
        { words: words.A, scores: scores.A },
        { words: { ...words.B, hear: undefined }, scores: scores.B },
      ),
    );
    expect(paragraphsOf(summaryB)).toEqual(
      expectedReveal(
        { words: { ...words.B, hear: undefined }, scores: scores.B },
        { words: words.A, scores: scores.A },
      ),
    );
  });

  it('keeps every answer to its author until both sent, safety scores always, and nothing in logs', () => {
    expect(steps).toBeGreaterThan(30);
    expect(violations).toEqual([]);
    // The other's words appear in exactly one message of each chat: the summary.
    for (const [p, other, summary] of [
      [a, 'B', summaryA],
      [b, 'A', summaryB],
    ] as const) {
      const theirs = canariesOf(other);
      const holding = p
        .messages()
        .filter((m) => allVersions(m).some((v) => found(v).some((c) => theirs.includes(c))));
      expect(holding.map((m) => m.message_id)).toEqual([summary.message_id]);
      // No safety score in any summary: private by default, never shared at review.
      const side = sectionOf(summary, copy.reveal.scores)!;
      expect(side).not.toMatch(/Safety/);
      const numbers = [...side.matchAll(/ (\d+)(?= ·|\n|$)/g)].map((x) => Number(x[1]));
      expect(numbers.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(paragraphsOf(summary).join('\n')).not.toMatch(/Safety/);
    }
    // Each kept their own safety score, in their own review only.
    const everShown = (p: Person) => p.messages().flatMap(allVersions).map(plain);
    expect(everShown(a).some((t) => t.includes(`${copy.review.keptPrivate}\n${Q.safety.label}: 9`))).toBe(
      true,
    );
    expect(everShown(b).some((t) => t.includes(`${copy.review.keptPrivate}\n${Q.safety.label}: 8`))).toBe(
      true,
    );

    const logs = bot.lines.join('\n');
    for (const w of [...Object.values(words.A), ...Object.values(words.B)]) {
      expect(logs).not.toContain(canaryOf(w));
      expect(logs).not.toContain(w);
    }
    expect(logs).not.toContain('Avery');
    expect(logs).not.toContain('Blake');
    expect(logs).not.toContain(code);
    expect(bot.lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    for (const p of [a, b]) expect(p.messages().map(text)).not.toContain(copy.somethingWrong);
    // The strict emulator accepted every call: HTML escaped, callback_data within 64 bytes.
    expect(bot.emu.rejected).toEqual([]);
    // Every button press was answered.
    expect(bot.emu.callbackAnswers.map((x) => x.callback_query_id).sort()).toEqual(callbackIds(bot).sort());
  });
});

// ---- one bot per test --------------------------------------------------------------------------

describe('the Telegram bot', () => {
  let bot: TelegramBot;

  beforeEach(async () => {
    bot = await startTelegramBot(freshPrefix());
  });

  afterEach(async () => {
    await bot.stop();
  });

  it('shows names and answers full of markup verbatim, and the strict emulator rejects nothing', async () => {
    const name = '<b>Al</b> & *co* __x__';
    const p = bot.person(301, name);
    await p.onboard({ zoneText: 'America/Chicago' });
    await p.command('/checkin');
    const typed = [
      '<script>alert("x")</script> & friends',
      'AT&T &amp; &lt;b&gt; is not bold, 1 < 2 > 0',
      '</i><b>still plain</b> *co* __x__ <a href="https://x.test/?a=1&b=2">link</a>',
    ];
    await p.answer([5, 5, 5, typed[0]!, typed[1]!, 5, 5, typed[2]!]);
    const review = p.last();
    for (const t of typed) expect(text(review)).toContain(`“${t}”`);
    await p.press(copy.review.send);
    const summary = p.last();
    expect(paragraphsOf(summary)[0]).toBe(copy.reveal.soloOpening);
    for (const t of [typed[0], typed[2]]) expect(text(summary)).toContain(`“${t}”`);
    // The markup is text: no entity came from it.
    expect(summary.entities.every((e) => e.type === 'bold' || e.type === 'italic')).toBe(true);

    await p.command('/export');
    const [file] = p.user.documents();
    expect(JSON.parse(file!.bytes.toString('utf8')).you.displayName).toBe(name);
    expect(bot.emu.rejected).toEqual([]);
  });

  it('handles a duplicated update once: the same update twice, and a redelivery after a restart', async () => {
    const p = bot.person(401, 'Dana');
    await p.onboard();
    await p.command('/checkin');
    const answers = () =>
      bot.core.store.sqlite
        .prepare('select count(*) as n from answers where member_id = ?')
        .get(p.member().id);
    const before = p.messages().length;

    // The very same update object, handed to telegraf twice at once and once more after.
    const update = {
      update_id: 900_000_001,
      message: {
        message_id: 900_000_001,
        from: p.user.user,
        chat: p.user.chat,
        date: Math.floor(Date.now() / 1000),
        text: '7',
      },
    } as unknown as Update;
    await Promise.all([bot.adapter.bot.handleUpdate(update), bot.adapter.bot.handleUpdate(update)]);
    await bot.adapter.bot.handleUpdate(update);
    expect(p.messages().length).toBe(before + 1);
    expect(text(p.last())).toContain(Q.reliability.prompt);
    expect(answers()).toEqual({ n: 1 });

    // Through the emulator: an answer is handled, the bot restarts, Telegram sends it again.
    const sent = await p.user.sendText('6');
    await bot.settle();
    expect(answers()).toEqual({ n: 2 });
    const shown = p.messages().length;
    const polls = bot.emu.calls.length;
    await bot.adapter.stop();
    // telegraf confirms what it handled on its way out; then Telegram "forgets" that confirmation.
    await bot.emu.waitFor(() =>
      bot.emu.calls.slice(polls).some((c) => c.method === 'getUpdates' && Number(c.params.limit) === 1),
    );
    unconfirm(bot.emu, sent.update_id);
    expect(bot.emu.pendingUpdates()).toBe(1);
    const log = createLogger('debug', (line) => bot.lines.push(line));
    bot.adapter = new TelegramAdapter({ token: bot.emu.token, apiRoot: bot.emu.url, webhook: null, log });
    await bot.adapter.start(bot.core.engine);
    await bot.settle();
    expect(p.messages().length).toBe(shown);
    expect(answers()).toEqual({ n: 2 });
    expect(bot.lines.filter((l) => l.includes('"inbound-duplicate"'))).toHaveLength(3);
    // It still works after the restart.
    await p.press('9');
    expect(text(p.last())).toContain(Q.countOn.prompt);
  });

  it('answers a stale or unknown button kindly, clears pressed keyboards, and answers every press', async () => {
    const p = bot.person(501, 'Eli');
    await p.command('/start');
    const roleQuestion = p.last();
    const roleData = roleQuestion.buttons[0]!.callback_data!;
    await p.press(copy.onboarding.roles.partner);
    await p.press('Berlin');
    await p.press(copy.onboarding.safetyOptions.yes);
    await p.command('/checkin');
    const q1 = p.last();
    const { data } = await p.press('7');
    // The pressed question lost its keyboard; the next question is there.
    expect(p.messages().find((m) => m.message_id === q1.message_id)?.buttons).toEqual([]);
    expect(text(p.last())).toContain(Q.reliability.prompt);

    // Question 1's button again, from a client that still shows it.
    const count = p.messages().length;
    await p.pressStale(q1.message_id, data);
    const after = p.messages().slice(count);
    expect(after.map(text)).toEqual([
      copy.checkin.staleButton,
      expect.stringContaining(Q.reliability.prompt),
    ]);
    const round = bot.core.repo.openRoundOf(bot.core.repo.activeCoupleOf(p.member().id)!.id)!;
    expect(bot.core.repo.roundView(round.id)!.answers.map((x) => [x.questionId, x.value])).toEqual([
      ['consistency', '7'],
    ]);

    // An onboarding button after onboarding, and a token the bot never made.
    await p.pressStale(roleQuestion.message_id, roleData);
    expect(p.messages().map(text)).toContain(copy.checkin.staleGeneric);
    await p.pressStale(q1.message_id, 'not-a-token');
    expect(text(p.messages().find((m) => m.message_id === q1.message_id))).toBe(copy.checkin.closed);
    expect(text(p.last())).toContain(Q.reliability.prompt);
    expect(p.member().role).toBe('partner');

    expect(p.messages().map(text)).not.toContain(copy.somethingWrong);
    expect(bot.emu.callbackAnswers.map((x) => x.callback_query_id).sort()).toEqual(callbackIds(bot).sort());
    expect(bot.lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    // Only the harmless one: clearing the keyboard that the stale press was on, already cleared.
    expect(bot.emu.rejected.map((r) => [r.method, r.params.message_id, r.description])).toEqual([
      ['editMessageReplyMarkup', q1.message_id, expect.stringMatching(/message is not modified/)],
    ]);
  });

  it('delivers a round opened by the scheduler to both chats with a neutral prompt', async () => {
    const a = bot.person(601, 'Avery');
    const b = bot.person(602, 'Blake');
    const coupleId = await pairThroughTelegram(a, b);
    await bot.app.queues.rounds.add('open', { coupleId }, { prevMillis: Date.now() });
    for (const p of [a, b]) {
      const prompt = await p.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt');
      expect(paragraphsOf(prompt)).toEqual([copy.ready, copy.checkin.prompt]);
      expect(prompt.buttons.map((x) => x.text)).toEqual([copy.checkin.start]);
    }
    await outboxSettled(bot);
    expect(outboxStates(bot).filter((r) => r.kind === 'prompt')).toEqual([
      { kind: 'prompt', memberId: a.member().id, state: 'sent' },
      { kind: 'prompt', memberId: b.member().id, state: 'sent' },
    ]);
    await b.press(copy.checkin.start);
    expect(text(b.last())).toContain(copy.checkin.progress(1, 8));
    expect(bot.emu.rejected).toEqual([]);
  });

  it('points group commands to the private chat, ignores group chatter, and registers private commands', async () => {
    const p = bot.person(701, 'Gale');
    const group = bot.emu.group(-100_701, 'Our group');
    // As an administrator the bot receives all chatter (privacy mode lets none through), and must ignore it.
    group.setBotStatus('administrator');
    await group.sendTextAs(p.user, 'hello everyone, how is it going');
    await group.sendCommandAs(p.user, '/status@some_other_bot');
    await group.sendCommandAs(p.user, '/checkin', undefined, { mention: true });
    await bot.settle();
    expect(group.messages().map(text)).toEqual([copy.groupPointer]);
    expect(p.messages()).toEqual([]);
    expect(bot.core.repo.memberByPlatform('telegram', String(p.id))).toBeUndefined();

    expect(bot.emu.commands).toEqual([
      {
        commands: COMMAND_LIST.map((c) => ({ command: c.name, description: c.description })),
        scope: { type: 'all_private_chats' },
        language_code: '',
      },
      {
        commands: GROUP_COMMAND_LIST.filter((c) => c.name !== 'link').map((c) => ({
          command: c.name,
          description: c.description,
        })),
        scope: { type: 'all_group_chats' },
        language_code: '',
      },
      {
        commands: GROUP_COMMAND_LIST.map((c) => ({ command: c.name, description: c.description })),
        scope: { type: 'all_chat_administrators' },
        language_code: '',
      },
    ]);
    expect(bot.emu.rejected).toEqual([]);
  });

  it("/clear deletes the bot's messages of the latest check-in in that chat", async () => {
    const p = bot.person(801, 'Harper');
    await p.onboard();
    const onboarding = p.messages().length;
    await p.command('/checkin');
    await p.answer([6, 6, 6, 'Tea in the garden', 'Paid the bills', 4, 4, 'Thank you']);
    // At review, open an answer and go back: the review is edited in place twice.
    await p.press(Q.deposit.label);
    await p.press(copy.review.back);
    await p.press(copy.review.send);
    const checkin = p.messages().slice(onboarding);
    expect(paragraphsOf(checkin.at(-1)!)[0]).toBe(copy.reveal.soloOpening);

    await p.command('/clear');
    const all = p.messages();
    expect(text(all.at(-1))).toBe(copy.clear.done);
    expect(all.at(-1)!.deleted).toBe(false);
    expect(all.slice(0, onboarding).every((m) => !m.deleted)).toBe(true);
    expect(
      checkin.map((m) => [m.message_id, all.find((x) => x.message_id === m.message_id)!.deleted]),
    ).toEqual(checkin.map((m) => [m.message_id, true]));
    // Each message was deleted once: no call Telegram would refuse.
    const deletes = bot.emu.calls
      .filter((c) => c.method === 'deleteMessage')
      .map((c) => Number(c.params.message_id));
    expect(deletes).toEqual(checkin.map((m) => m.message_id));
    expect(bot.emu.rejected).toEqual([]);
  });

  it('slows down on a 429 and loses nothing', async () => {
    const a = bot.person(901, 'Avery');
    const b = bot.person(902, 'Blake');
    const coupleId = await pairThroughTelegram(a, b);
    bot.emu.rateLimitNext(1, 1);
    await bot.app.queues.rounds.add('open', { coupleId }, { prevMillis: Date.now() });
    const limited = await bot.emu.waitFor(() => bot.emu.rejected.find((r) => r.status === 429), 8000);
    const t429 = Date.now();
    expect(limited).toMatchObject({ method: 'sendMessage', retry_after: 1 });
    const chat = limited.chat_id === a.id ? a : b;
    await chat.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt after the 429');
    expect(Date.now() - t429).toBeGreaterThanOrEqual(900);
    for (const p of [a, b]) {
      await p.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt');
      expect(p.messages().filter((m) => paragraphsOf(m)[0] === copy.ready)).toHaveLength(1);
    }
    await eventually(() => outboxStates(bot).every((r) => r.state === 'sent'), 3000, 'every row sent');
    expect(
      bot.lines.some((l) => l.includes('"send-rate-limited"') && l.includes('"retryAfterMs":1000')),
    ).toBe(true);
    expect(bot.emu.rejected).toHaveLength(1);
  });

  it('retries an inline reply once after a short 429, so the person still sees what comes next', async () => {
    const a = bot.person(951, 'Avery');
    await a.onboard();
    bot.emu.rateLimitNext(1, 1);
    await a.command('/help');
    await a.waitFor(
      (m) => (m.visibleText ?? '').includes(copy.help.heading),
      'the /help reply after the 429',
    );
    expect(bot.emu.rejected.map((r) => r.status)).toEqual([429]);
    expect(a.messages().filter((m) => (m.visibleText ?? '').includes(copy.help.heading))).toHaveLength(1);
  });

  it('marks a member who blocked the bot unreachable and stops sending to them', async () => {
    const a = bot.person(1001, 'Avery');
    const b = bot.person(1002, 'Blake');
    await pairThroughTelegram(a, b);
    const calls = bot.emu.calls.length;
    bot.emu.block(b.id);
    await a.command('/checkin');
    expect(text(a.last())).toContain(copy.checkin.progress(1, 8));
    const toB = () =>
      bot.emu.calls
        .slice(calls)
        .filter((c) => Number(c.params.chat_id) === b.id && c.method === 'sendMessage');
    await eventually(() => b.member().unreachableAt !== null, 8000, 'B marked unreachable');
    expect(bot.emu.rejected).toMatchObject([{ method: 'sendMessage', status: 403, chat_id: b.id }]);
    expect(outboxStates(bot).find((r) => r.kind === 'prompt')).toMatchObject({ state: 'failed' });

    // The reminder reaches A; B's is not even tried.
    const roundId = bot.core.repo.openRoundOf(bot.core.repo.activeCoupleOf(a.member().id)!.id)!.id;
    await bot.app.queues.rounds.add('remind', { roundId });
    await a.waitFor((m) => text(m).startsWith('Your check-in is still open until'), 'with the reminder');
    await eventually(
      () =>
        outboxStates(bot).find((r) => r.kind === 'reminder' && r.memberId === b.member().id)?.state ===
        'failed',
      3000,
      "B's reminder given up",
    );
    await new Promise((r) => setTimeout(r, 1200));
    expect(toB()).toHaveLength(1);
    await a.command('/status');
    expect(paragraphsOf(a.last())).toContain(copy.status.partnerUnreachable);

    // Writing to the bot again is how a person comes back.
    bot.emu.unblock(b.id);
    await b.command('/checkin');
    expect(b.member().unreachableAt).toBeNull();
    expect(text(b.last())).toContain(copy.checkin.progress(1, 8));
  });

  it("splits a long summary under Telegram's limit, every part protected and nothing cut", async () => {
    const a = bot.person(1101, 'Avery');
    const b = bot.person(1102, 'Blake');
    await pairThroughTelegram(a, b);
    // 1,000 characters each (the most a text answer takes), full of characters HTML must escape.
    const long = (seed: string) =>
      `${seed} ${'<i>&amp;</i> & <> '.repeat(60)}`.padEnd(1000, 'x').slice(0, 1000);
    const w = { A: ['A1', 'A2', 'A3'].map(long), B: ['B1', 'B2', 'B3'].map(long) };
    await a.command('/checkin');
    await a.answer([5, 5, 5, w.A[0]!, w.A[1]!, 5, 5, w.A[2]!]);
    await a.press(copy.review.send);
    await b.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt');
    await b.press(copy.checkin.start);
    await b.answer([5, 5, 5, w.B[0]!, w.B[1]!, 5, 5, w.B[2]!]);
    const before = b.messages().length;
    await b.press(copy.review.send);
    const partsB = b.messages().slice(before);
    await a.waitFor(
      (m) => (m.visibleText ?? '').endsWith(copy.reveal.closing),
      'with the end of the summary',
    );
    // The neutral line comes alone (it may notify); the summary follows in silent parts.
    const first = a
      .messages()
      .findIndex(
        (m, i, all) =>
          paragraphsOf(m).join() === copy.update &&
          all[i + 1] !== undefined &&
          paragraphsOf(all[i + 1]!)[0] === copy.reveal.opening,
      );
    expect(first).toBeGreaterThanOrEqual(0);
    const partsA = a.messages().slice(first);
    for (const [parts, opening] of [
      [partsA, copy.update],
      [partsB, copy.reveal.opening],
    ] as const) {
      expect(parts.length).toBeGreaterThan(1);
      expect(paragraphsOf(parts[0]!)[0]).toBe(opening);
      expect(text(parts.at(-1)).endsWith(copy.reveal.closing)).toBe(true);
      for (const part of parts) {
        expect(part.protect_content).toBe(true);
        expect(Array.from(text(part)).length).toBeLessThanOrEqual(4096);
      }
      // Every answer arrives whole, in one part.
      for (const answer of [...w.A, ...w.B])
        expect(parts.filter((m) => text(m).includes(`“${answer}”`))).toHaveLength(1);
    }
    expect(bot.emu.rejected).toEqual([]);
    // A proactive message opens neutrally because a lock screen shows its first line. Each part
    // is a message (and a notification) of its own, so a later part must open neutrally too,
    // or arrive silently.
    const previews = partsA.map((m) => ({
      preview: text(m).split('\n')[0]!.slice(0, 60),
      silent: m.params.disable_notification === true || m.params.disable_notification === 'true',
    }));
    expect(previews.filter((p) => p.preview !== copy.update && !p.silent)).toEqual([]);
  });
});
