import { PermissionFlagsBits } from 'discord.js';
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
import {
  type DiscordBot,
  type DiscordPerson,
  discordInviteCode,
  everShown,
  newId,
  plain,
  startDiscordBot,
  textOf,
} from '../support/discord/flow.ts';
import type { BotMessage } from '../support/discord/server.ts';
import { eventually, uniquePrefix } from '../support/redis.ts';

// Therapist channels on Discord (issue 6): the real discord.js adapter against the strict local
// gateway and REST server, in a server channel with the app installed to the server.

const prefix = uniquePrefix('e2e-dc-channels');
/** An ordinary member's permissions, plus Manage Channels. */
const MANAGER = 2248473465835073n | PermissionFlagsBits.ManageChannels;

let bot: DiscordBot;
let n = 0;

beforeAll(async () => {
  bot = await startDiscordBot(prefix);
});
afterAll(async () => {
  await bot?.stop();
});

/** A paired couple on Discord. */
async function couple(): Promise<{ a: DiscordPerson; b: DiscordPerson; coupleId: number }> {
  const a = bot.person(`avery${++n}`, 'Avery');
  const b = bot.person(`blake${n}`, 'Blake');
  await a.onboard({ role: 'recovery' });
  const code = await discordInviteCode(a);
  await b.onboard({ code, role: 'partner' });
  await b.press(copy.pairing.joinButton);
  await a.waitFor((m) => textOf(m).includes("You're connected"), "with You're connected");
  return { a, b, coupleId: bot.core.repo.activeCoupleOf(a.member().id)!.id };
}

interface Practice {
  guildId: string;
  channelId: string;
  therapist: DiscordPerson;
}

/** A server with the app installed, a #couples channel, and a therapist who may manage it. */
function practice(): Practice {
  const guildId = newId();
  bot.server.guild(guildId, { name: 'Rivera & <Co>', memberCount: 4 });
  const channelId = bot.server.guildChannel(guildId, 'couples');
  const therapist = bot.person(`rivera${++n}`, 'Dr Rivera');
  bot.server.setMemberPermissions(guildId, therapist.id, MANAGER);
  return { guildId, channelId, therapist };
}

const where = (p: Practice) => ({ context: 0 as const, guildId: p.guildId, channelId: p.channelId });

async function link(p: Practice): Promise<string> {
  const r = await p.therapist.command('link', undefined, where(p));
  const code = /\/therapist (\S+)/.exec(textOf(r.original ?? undefined))?.[1];
  if (!code) throw new Error(`no code in: ${textOf(r.original ?? undefined)}`);
  return code;
}

/** What the channel shows everyone (ephemeral replies are for the one who asked). */
function posts(p: Practice): BotMessage[] {
  return bot.server.messages(p.channelId).filter((m) => !m.ephemeral);
}

function channelShows(p: Practice, what: string): Promise<BotMessage> {
  return eventually(
    () => posts(p).find((m) => textOf(m).includes(what)),
    8000,
    `the channel to show ${what}`,
  ).then((m) => m!);
}

function consentRequest(x: DiscordPerson): Promise<BotMessage> {
  return x.waitFor(
    (m) => m.components.length > 0 && everShown(m).includes(copy.channel.agreeScores),
    'with the consent request',
  );
}

/** Waits until `count` messages in a DM have ever shown `what`. */
function shownTimes(x: DiscordPerson, what: string, count: number): Promise<unknown> {
  return eventually(
    () => x.messages().filter((m) => everShown(m).some((v) => plain(v).includes(what))).length >= count,
    8000,
    `${count} messages showing ${what}`,
  );
}

const A_WORDS = ROUND_WORDS.a;
const B_WORDS = ROUND_WORDS.b;

/** A whole scheduled round, both sending; B keeps "hear" private. */
function round(a: DiscordPerson, b: DiscordPerson, coupleId: number): Promise<void> {
  return fullRound(bot, coupleId, partner(a), partner(b));
}

/** A partner as the history player drives them. */
const partner = (x: DiscordPerson): Partner => ({
  press: (label) => x.press(label),
  answer: (xs) => x.answer(xs),
  run: (command, arg) => x.command(command, arg === undefined ? undefined : { code: arg }),
  waitForText: async (t, count = 1) => {
    await shownTimes(x, t, count);
  },
});

describe('a therapist channel on Discord', () => {
  it('lets only someone who manages the channel /link, and only where the bot may post', async () => {
    const p = practice();
    const member = bot.person(`member${++n}`, 'Someone');
    // Discord itself hides /link from members without Manage Channels…
    expect(() => bot.server.slashCommand(member.user, 'link', undefined, where(p))).toThrow(/hidden/);
    // …and when the server's admins show it to everyone, the bot still says no.
    bot.server.allowCommandForEveryone(p.guildId, 'link');
    const refused = await member.command('link', undefined, where(p));
    expect(refused.original).toMatchObject({ ephemeral: true });
    expect(textOf(refused.original ?? undefined)).toBe(copy.channel.notManager);

    bot.server.setAppPermissions(p.channelId, PermissionFlagsBits.ViewChannel);
    const muted = await p.therapist.command('link', undefined, where(p));
    expect(textOf(muted.original ?? undefined)).toBe(copy.channel.cannotPost);
    expect(bot.core.repo.channelByChat('discord', p.channelId)).toBeUndefined();
    expect(posts(p)).toEqual([]);
  });

  it('links, asks both, posts each reveal in the narrower scope, refuses the code to anyone else, and stops at /revoke', async () => {
    const { a, b, coupleId } = await couple();
    const other = await couple();
    const p = practice();
    const code = await link(p);
    // The code is shown to the therapist alone.
    expect(bot.server.messages(p.channelId).every((m) => m.ephemeral)).toBe(true);
    await a.command('therapist', { code });
    expect(textOf(a.last())).toContain('"Rivera & <Co> #couples" (4 members)');
    await channelShows(p, copy.channel.linked);
    await other.a.command('therapist', { code });
    expect(textOf(other.a.last())).toBe(copy.channel.badCode);

    await a.press(copy.channel.agreeWords);
    await consentRequest(b);
    await round(a, b, coupleId);
    expect(posts(p).filter((m) => textOf(m).includes(copy.channel.revealOpener))).toEqual([]);

    await b.press(copy.channel.agreeScores);
    await channelShows(p, copy.channel.active('scores'));
    await round(a, b, coupleId);
    const opener = await channelShows(p, copy.channel.revealOpener);
    const shown = posts(p).slice(posts(p).indexOf(opener));
    const body = shown.map(textOf).join('\n\n');
    expect(body).toContain(`Consistency: partner 1 ${sparkline([7])} 7 · partner 2 ${sparkline([5])} 5`);
    for (const w of [...A_WORDS, ...B_WORDS]) expect(body).not.toContain(w);
    expect(body).not.toMatch(/Safety:|Avery|Blake/);
    // Only the neutral opener may notify the channel.
    expect(shown.slice(1).every((m) => (m.flags & 4096) !== 0)).toBe(true);

    await a.command('revoke');
    await channelShows(p, copy.channel.ended);
    await b.waitFor((m) => textOf(m).includes(copy.channel.partnerEnded), 'with the neutral end notice');
    const count = posts(p).length;
    await round(a, b, coupleId);
    expect(posts(p)).toHaveLength(count);
    expect(bot.server.rejected).toEqual([]);
  });

  it('answers /trends only to the one who asked, and ends the link when the bot leaves the server', async () => {
    const { a, b, coupleId } = await couple();
    const p = practice();
    await a.command('therapist', { code: await link(p) });
    await a.press(copy.channel.agreeWords);
    await consentRequest(b);
    await b.press(copy.channel.agreeWords);
    await round(a, b, coupleId);
    await channelShows(p, copy.channel.revealOpener);
    const everything = posts(p).flatMap(everShown).map(plain).join('\n');
    for (const w of [...A_WORDS, B_WORDS[0]!, B_WORDS[1]!]) expect(everything).toContain(w);
    expect(everything).not.toContain(B_WORDS[2]);

    const trends = await p.therapist.command('trends', undefined, where(p));
    expect(trends.original).toMatchObject({ ephemeral: true });
    expect(textOf(trends.original ?? undefined)).toContain(
      `Anger: partner 1 ${sparkline([2])} 2 · partner 2 ${sparkline([0])} 0`,
    );
    const pointer = await a.command('checkin', undefined, where(p));
    expect(textOf(pointer.original ?? undefined)).toBe(copy.groupPointer);

    // The server removes the bot: the next post fails for real, and the link ends quietly.
    bot.server.guild(p.guildId, { installed: false });
    await round(a, b, coupleId);
    await a.waitFor((m) => textOf(m).includes(copy.channel.partnerEnded), 'with the neutral end notice');
    await b.waitFor((m) => textOf(m).includes(copy.channel.partnerEnded), 'with the neutral end notice');
    expect(bot.core.repo.channelByChat('discord', p.channelId)).toMatchObject({
      status: 'ended',
      title: null,
    });
  });

  it('never shows the channel a private, unshared safety or one-sided answer, over generated histories', async () => {
    const rejectedBefore = bot.server.rejected.length;
    await assertHistories(bot, 4, async () => {
      const { a, b, coupleId } = await couple();
      const p = practice();
      const place: Group = {
        link: () => link(p),
        texts: () => bot.server.messages(p.channelId).flatMap(everShown).map(plain),
      };
      return { a: partner(a), b: partner(b), group: place, coupleId };
    });
    expect(bot.server.rejected.slice(rejectedBefore)).toEqual([]);
  }, 150_000);
});
