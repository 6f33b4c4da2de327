import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copy } from '../../src/checkin/copy.ts';
import { sparkline } from '../../src/checkin/summary.ts';
import {
  assertHistories,
  fullRound,
  type Group,
  type Partner,
  ROUND_WORDS,
} from '../support/channel-history.ts';
import { uniquePrefix } from '../support/redis.ts';
import type { BotMessage, TestGroup } from '../support/telegram/emulator.ts';
import {
  allVersions,
  type Person,
  pairThroughTelegram,
  plain,
  startTelegramBot,
  type TelegramBot,
} from '../support/telegram/flow.ts';

// Therapist groups on Telegram (issue 6): real telegraf against the strict emulator, with the
// bot in privacy mode as Telegram has it by default. Asserted on what each chat shows.

const prefix = uniquePrefix('e2e-tg-channels');
const text = (m: BotMessage | undefined) => m?.visibleText ?? '';

let bot: TelegramBot;
let nextId = 5000;

beforeAll(async () => {
  bot = await startTelegramBot(prefix);
});
afterAll(async () => {
  await bot?.stop();
});

/** A paired couple on Telegram, new ids each time. */
async function couple(): Promise<{ a: Person; b: Person; coupleId: number }> {
  const a = bot.person(++nextId, 'Avery');
  const b = bot.person(++nextId, 'Blake');
  const coupleId = await pairThroughTelegram(a, b);
  return { a, b, coupleId };
}

/** A therapist's group where the therapist is an administrator; the bot is an ordinary member. */
function practice(type: 'group' | 'supergroup' = 'supergroup'): { group: TestGroup; therapist: Person } {
  const therapist = bot.person(++nextId, 'Dr Rivera');
  const group = bot.emu.group(-(1_000_000 + ++nextId), 'Rivera & <Co>', { type });
  group.setMember(therapist.user, 'administrator');
  return { group, therapist };
}

async function link(group: TestGroup, therapist: Person): Promise<string> {
  await group.sendCommandAs(therapist.user, '/link');
  await bot.settle();
  const code = /\/therapist (\S+)/.exec(text(group.messages().at(-1)))?.[1];
  if (!code) throw new Error(`no code in: ${text(group.messages().at(-1))}`);
  return code;
}

/** Waits until the group shows a message with this text. */
function groupShows(group: TestGroup, what: string): Promise<BotMessage> {
  return bot.emu.waitFor(() => group.messages().find((m) => text(m).includes(what)), 8000);
}

/** Waits for the consent request's buttons in a partner's chat. */
function consentRequest(p: Person): Promise<BotMessage> {
  return p.waitFor(
    (m) => m.buttons.some((x) => x.text === copy.channel.agreeScores),
    'with the consent request',
  );
}

const A_WORDS = ROUND_WORDS.a;
const B_WORDS = ROUND_WORDS.b;

/** Waits until `count` messages in a partner's chat have shown `what`. */
function shownTimes(p: Person, what: string, count: number): Promise<unknown> {
  return bot.emu.waitFor(
    () => p.messages().filter((m) => allVersions(m).some((v) => plain(v).includes(what))).length >= count,
    8000,
  );
}

/** A whole scheduled round, both sending; B keeps "hear" private. */
function round(a: Person, b: Person): Promise<void> {
  const coupleId = bot.core.repo.activeCoupleOf(a.member().id)!.id;
  return fullRound(bot, coupleId, partner(a), partner(b));
}

/** A partner as the history player drives them. */
const partner = (p: Person): Partner => ({
  press: (label) => p.press(label),
  answer: (xs) => p.answer(xs),
  run: (command, arg) => p.command(`/${command}`, arg),
  waitForText: async (t, count = 1) => {
    await shownTimes(p, t, count);
  },
});

describe('a therapist group on Telegram', () => {
  it('lets only an admin /link; the code works once, and then as a wrong code for anyone else', async () => {
    const { a, b } = await couple();
    const other = await couple();
    const { group, therapist } = practice('group');
    const member = bot.person(++nextId, 'Someone');
    group.setMember(member.user, 'member');
    await group.sendCommandAs(member.user, '/link');
    await bot.settle();
    expect(text(group.messages().at(-1))).toBe(copy.channel.notManager);

    const code = await link(group, therapist);
    expect(text(group.messages().at(-1))).toContain(copy.channel.linkHow);
    await a.command('/therapist', code);
    // The therapist, the member and the bot.
    expect(text(a.last())).toContain('"Rivera & <Co>" (3 members)');
    await groupShows(group, copy.channel.linked);
    await consentRequest(b);

    await other.a.command('/therapist', code);
    expect(text(other.a.last())).toBe(copy.channel.badCode);
    await other.a.command('/therapist', 'never-issued-code');
    expect(text(other.a.last())).toBe(copy.channel.badCode);
    await b.command('/therapist', code);
    expect(text(b.last())).toBe(copy.channel.badCode);
    expect(bot.core.repo.channelByChat('telegram', String(group.id))?.coupleId).toBe(
      bot.core.repo.activeCoupleOf(a.member().id)!.id,
    );
    expect(bot.emu.rejected).toEqual([]);
  });

  it('lets an admin who posts anonymously /link, though Telegram sends it from a bot account', async () => {
    const { group } = practice();
    await group.sendCommandAsAnonymousAdmin('/link');
    await bot.settle();
    expect(text(group.messages().at(-1))).toContain(copy.channel.linkCode);
    expect(bot.core.repo.channelByChat('telegram', String(group.id))?.status).toBe('linking');
    // Chatter from the same account is still nothing for the bot.
    group.setBotStatus('administrator');
    const count = group.messages().length;
    await group.sendCommandAsAnonymousAdmin('/weather');
    await bot.settle();
    expect(group.messages()).toHaveLength(count);
  });

  it('posts nothing on one consent, then each reveal in the narrower scope, protected, until /revoke', async () => {
    const { a, b } = await couple();
    const { group, therapist } = practice();
    await a.command('/therapist', await link(group, therapist));
    await a.press(copy.channel.agreeWords);
    expect(text(a.last())).toBe(copy.channel.waitingForPartner);
    // B's request arrives on its own, opening neutrally.
    const ask = await consentRequest(b);
    expect(text(b.shown().at(-2))).toBe(copy.update);
    expect(text(ask)).toContain("isn't covered by HIPAA");

    await round(a, b);
    expect(group.messages().filter((m) => text(m).includes(copy.channel.revealOpener))).toEqual([]);

    await b.press(copy.channel.agreeScores);
    await groupShows(group, copy.channel.active('scores'));
    await a.waitFor((m) => text(m).includes('is on: scores only'), 'with the news that sharing is on');

    await round(a, b);
    const opener = await groupShows(group, copy.channel.revealOpener);
    const posted = group.messages().slice(group.messages().indexOf(opener));
    const body = posted.map(text).join('\n\n');
    expect(body).toContain(copy.channel.opening);
    expect(body).toContain(`Consistency: partner 1 ${sparkline([7])} 7 · partner 2 ${sparkline([5])} 5`);
    // Scores only: no words, shared or not; no safety score, since nobody shared one.
    for (const w of [...A_WORDS, ...B_WORDS]) expect(body).not.toContain(w);
    expect(body).not.toMatch(/Safety:|Avery|Blake/);
    // Protected, and only the neutral opener may notify.
    expect(posted.every((m) => m.protect_content)).toBe(true);
    expect(posted.slice(1).every((m) => m.params.disable_notification === true)).toBe(true);

    await b.command('/revoke');
    expect(text(b.last())).toBe(copy.channel.revoked);
    await groupShows(group, copy.channel.ended);
    await a.waitFor((m) => text(m).includes(copy.channel.partnerEnded), 'with the neutral end notice');
    const before = group.messages().length;
    await round(a, b);
    expect(group.messages()).toHaveLength(before);
    expect(bot.emu.rejected).toEqual([]);
  });

  it('shows the words each partner chose with a words consent, never a private one', async () => {
    const { a, b } = await couple();
    const { group, therapist } = practice('group');
    await a.command('/therapist', await link(group, therapist));
    await a.press(copy.channel.agreeWords);
    await consentRequest(b);
    await b.press(copy.channel.agreeWords);
    await groupShows(group, copy.channel.active('words'));
    await round(a, b);
    await groupShows(group, copy.channel.revealOpener);
    const everything = group.messages().flatMap(allVersions).map(plain).join('\n');
    for (const w of [...A_WORDS, B_WORDS[0]!, B_WORDS[1]!]) expect(everything).toContain(w);
    expect(everything).not.toContain(B_WORDS[2]);
  });

  it('answers /trends with the consented scores, points check-in commands away, and ignores chatter', async () => {
    const { a, b } = await couple();
    const { group, therapist } = practice();
    await group.sendCommandAs(therapist.user, '/trends', undefined, { mention: true });
    await bot.settle();
    expect(text(group.messages().at(-1))).toBe(copy.channel.notLinked);
    await a.command('/therapist', await link(group, therapist));
    await a.press(copy.channel.agreeScores);
    await consentRequest(b);
    await b.press(copy.channel.agreeScores);
    await round(a, b);
    await groupShows(group, copy.channel.revealOpener);

    await group.sendCommandAs(therapist.user, '/trends');
    await bot.settle();
    const trends = text(group.messages().at(-1));
    expect(trends).toContain(copy.channel.trendsHeading(1));
    expect(trends).toContain(`Fear: partner 1 ${sparkline([3])} 3 · partner 2 ${sparkline([1])} 1`);

    // In privacy mode chatter never arrives; as an admin the bot hears it, and still says nothing.
    group.setBotStatus('administrator');
    const count = group.messages().length;
    await group.sendTextAs(a.user, 'see you on Thursday');
    await group.sendCommandAs(a.user, '/weather');
    await bot.settle();
    expect(group.messages()).toHaveLength(count);
    await group.sendCommandAs(a.user, '/checkin');
    await bot.settle();
    expect(text(group.messages().at(-1))).toBe(copy.groupPointer);
    expect(bot.emu.rejected).toEqual([]);
  });

  it('follows a group upgraded to a supergroup, and ends the link quietly when the bot is removed', async () => {
    const { a, b } = await couple();
    const { group, therapist } = practice('group');
    await a.command('/therapist', await link(group, therapist));
    await a.press(copy.channel.agreeScores);
    await consentRequest(b);
    await b.press(copy.channel.agreeScores);
    await groupShows(group, copy.channel.active('scores'));

    // An admin changes a setting and Telegram upgrades the group: it has a new id now.
    const upgraded = group.migrateToSupergroup(-(1_000_000 + ++nextId));
    await round(a, b);
    const post = await groupShows(upgraded, copy.channel.revealOpener);
    expect(post.protect_content).toBe(true);
    expect(bot.core.repo.channelByChat('telegram', String(upgraded.id))?.status).toBe('active');
    expect(bot.emu.rejected.map((r) => [r.chat_id, r.status])).toEqual([[group.id, 400]]);

    // The bot is removed from the supergroup: the next post meets a 403, and the link ends.
    bot.emu.block(upgraded.id);
    await round(a, b);
    await a.waitFor((m) => text(m).includes(copy.channel.partnerEnded), 'with the neutral end notice');
    await b.waitFor((m) => text(m).includes(copy.channel.partnerEnded), 'with the neutral end notice');
    expect(bot.core.repo.channelByChat('telegram', String(upgraded.id))).toMatchObject({
      status: 'ended',
      title: null,
    });
    bot.emu.unblock(upgraded.id);
  });

  it('never shows the group a private, unshared safety or one-sided answer, over generated histories', async () => {
    const rejectedBefore = bot.emu.rejected.length;
    await assertHistories(bot, 4, async () => {
      const { a, b, coupleId } = await couple();
      const { group, therapist } = practice();
      const place: Group = {
        link: () => link(group, therapist),
        texts: () => group.messages().flatMap(allVersions).map(plain),
      };
      return { a: partner(a), b: partner(b), group: place, coupleId };
    });
    expect(bot.emu.rejected.slice(rejectedBefore)).toEqual([]);
  }, 120_000);
});
