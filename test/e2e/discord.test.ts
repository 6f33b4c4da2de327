import { randomBytes } from 'node:crypto';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../adapters/discord/adapter.ts';
import { copy } from '../../src/checkin/copy.ts';
import { COMMAND_LIST, GROUP_COMMAND_LIST } from '../../src/engine/engine.ts';
import { createLogger } from '../../src/ops/log.ts';
import {
  buttonsOf,
  type DiscordBot,
  type DiscordPerson,
  discordInviteCode,
  everShown,
  newId,
  paragraphsOf,
  plain,
  startDiscordBot,
  textOf,
} from '../support/discord/flow.ts';
import type { BotMessage, InteractionRecord, InteractionWhere } from '../support/discord/server.ts';
import { outboxSettled, outboxStates } from '../support/outbox.ts';
import { eventually, uniquePrefix } from '../support/redis.ts';
import { expectedReveal } from '../support/reveal.ts';
import type { BotMessage as TgMessage } from '../support/telegram/emulator.ts';
import { inviteCode, type Person, paragraphsOf as tgParagraphsOf } from '../support/telegram/flow.ts';

// The whole bot on Discord: the real discord.js client logged in to the strict local gateway +
// REST server, the real engine over a real SQLite file, the real outbox relay and send workers
// on real Redis. Everything is asserted on what people see: the bot's messages in their DM
// channel (every version of each) and the answers to their interactions.

const base = uniquePrefix('e2e-discord');
let serial = 0;
const freshPrefix = () => `${base}-${++serial}`;

const Q = copy.questions;

/** Every interaction was acknowledged once, within Discord's window: no 10062, no 40060. */
function expectAcknowledgedOnce(bot: DiscordBot): void {
  const problems: string[] = [];
  for (const id of bot.interactions) {
    const r = bot.server.interactionResponses(id);
    if (!r.callback) problems.push(`${id}: never acknowledged`);
    else if (r.callback.delayMs >= bot.server.ackWindowMs)
      problems.push(`${id}: acknowledged after ${r.callback.delayMs} ms`);
    if (r.attempts.length !== 1) problems.push(`${id}: ${r.attempts.length} callbacks`);
    for (const a of r.attempts)
      if (a.code === 10062 || a.code === 40060) problems.push(`${id}: callback refused with ${a.code}`);
  }
  expect(problems).toEqual([]);
  const codes = bot.server.rejected.map((c) => (c.response as { code?: number } | undefined)?.code);
  expect(codes.filter((c) => c === 10062 || c === 40060)).toEqual([]);
}

/** A mention Discord would turn into a ping: @everyone, @here, a user, role or channel. */
const PING = /@(?:everyone|here)|<@[!&]?\d+>|<#\d+>/;

/** A tagged set of answers with a canary at the end of every text. */
function answersFor(tag: string) {
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
  const canaryOf = (w: string) => w.split(' ').at(-1)!;
  const canariesOf = (who: 'A' | 'B') => Object.values(words[who]).map(canaryOf);
  const found = (t: string) => [...canariesOf('A'), ...canariesOf('B')].filter((c) => t.includes(c));
  return { words, canaryOf, canariesOf, found };
}

// Scores chosen so that each safety score appears nowhere else.
const scores = {
  A: { consistency: 7, reliability: 6, safety: 9, fear: 3, anger: 2 },
  B: { consistency: 5, reliability: 4, safety: 8, fear: 1, anger: 0 },
};

/** The "Side by side" paragraph one partner's summary should hold. */

// ---- one couple's whole conversation, on Discord only ---------------------------------------

describe('a couple on Discord, from /start to the shared summary', () => {
  const tag = randomBytes(3).toString('hex');
  const { words, canaryOf, canariesOf, found } = answersFor(tag);

  let bot: DiscordBot;
  let a: DiscordPerson;
  let b: DiscordPerson;
  let code = '';
  let summaryA: BotMessage;
  let summaryB: BotMessage;
  let sendB: InteractionRecord;
  const forms: { opened: InteractionRecord; submitted: InteractionRecord }[] = [];
  /** The model: which canaries each person's DM may hold now. */
  const allowed = new Map<string, Set<string>>();
  const violations: string[] = [];
  let steps = 0;

  /** After every step: no version of any message in a DM holds a canary that DM may not see yet. */
  const check = () => {
    steps++;
    for (const p of [a, b]) {
      for (const m of p.messages()) {
        for (const t of everShown(m)) {
          for (const c of found(t)) {
            if (!allowed.get(p.id)!.has(c))
              violations.push(`step ${steps}: ${c} in ${p.user.username}'s DM, message ${m.id}`);
          }
        }
      }
    }
  };

  beforeAll(async () => {
    bot = await startDiscordBot(freshPrefix());
    a = bot.person('avery', 'Avery');
    b = bot.person('blake', 'Blake');
    allowed.set(a.id, new Set(canariesOf('A')));
    allowed.set(b.id, new Set(canariesOf('B')));
    bot.afterStep = check;

    // A: /start as a slash command in the bot's DM, buttons, the time zone typed as a DM.
    await a.onboard({ role: 'recovery', zoneText: 'Europe/London' });
    code = await discordInviteCode(a);
    // B arrives with the code, onboards, and joins.
    await b.command('join', { code });
    await b.press(copy.onboarding.roles.partner);
    await b.say('Europe/London');
    await b.press(copy.onboarding.safetyOptions.yes);
    await b.press(copy.pairing.joinButton);
    await a.waitFor((m) => paragraphsOf(m)[0] === copy.update, 'from the outbox');

    await a.command('checkin');
    const sA = scores.A;
    await a.answer([sA.consistency, sA.reliability, sA.safety]);
    forms.push(await a.typeInForm(words.A.countOn));
    await a.answer([words.A.deposit, sA.fear, sA.anger, words.A.hear]);
    await a.press(copy.review.send);

    await b.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt');
    await b.press(copy.checkin.start);
    const sB = scores.B;
    await b.answer([sB.consistency, sB.reliability, sB.safety, words.B.countOn]);
    forms.push(await b.typeInForm(words.B.deposit));
    await b.answer([sB.fear, sB.anger]);
    forms.push(await b.typeInForm(words.B.hear));
    // At review, B keeps one text answer private.
    await b.press(Q.hear.label);
    await b.press(copy.review.keep);
    // Both have now submitted: what each shared may reach the other.
    for (const w of Object.values(words.A)) allowed.get(b.id)!.add(canaryOf(w));
    for (const w of [words.B.countOn, words.B.deposit]) allowed.get(a.id)!.add(canaryOf(w));
    sendB = await b.press(copy.review.send);
    summaryB = sendB.original!;
    summaryA = await a.waitFor(
      (m) => m.embeds.length > 0 && paragraphsOf(m)[0] === copy.reveal.opening,
      'with the summary',
    );
    await outboxSettled(bot);
    check();
  }, 40_000);

  afterAll(async () => {
    await bot?.stop();
  });

  it('registered the command set for guild and user installs, and does not PUT it again on a second start', async () => {
    expect(bot.server.commandSets).toHaveLength(1);
    expect(bot.server.commands.map((c) => c.name)).toEqual(
      [...COMMAND_LIST, ...GROUP_COMMAND_LIST].map((c) => c.name),
    );
    const therapists = new Set(GROUP_COMMAND_LIST.map((c) => c.name));
    for (const c of bot.server.commands) {
      // A therapist's commands live in servers the app is installed to; the rest go everywhere.
      expect(c.integration_types).toEqual(therapists.has(c.name) ? [0] : [0, 1]);
      expect(c.contexts).toEqual(therapists.has(c.name) ? [0] : [0, 1, 2]);
    }
    expect(bot.server.commands.find((c) => c.name === 'link')?.default_member_permissions).toBe(
      String(PermissionFlagsBits.ManageChannels),
    );
    expect(bot.server.commands.find((c) => c.name === 'join')?.options).toEqual([
      { type: 3, name: 'code', description: copy.help.options.code, required: true },
    ]);

    // A second process with the same command set: it looks, and leaves them alone.
    const lines: string[] = [];
    const second = new DiscordAdapter({
      token: bot.server.token,
      applicationId: bot.server.applicationId,
      apiRoot: bot.server.apiUrl,
      log: createLogger('debug', (l) => lines.push(l)),
    });
    const gets = () => bot.server.calls.filter((c) => c.route === 'GET /applications/:appId/commands').length;
    const before = gets();
    try {
      await second.start(bot.core.engine);
    } finally {
      await second.stop();
    }
    expect(gets()).toBe(before + 1);
    expect(bot.server.commandSets).toHaveLength(1);
    expect(bot.server.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    expect(lines.filter((l) => l.includes('"level":"warn"') || l.includes('"level":"error"'))).toEqual([]);
  });

  it('onboards A through a slash command, buttons and a typed time zone; B joins with /join code', () => {
    const seenA = a.messages().map(textOf);
    expect(seenA[0]).toBe(`${copy.onboarding.welcome}\n\n${copy.onboarding.privacy}`);
    expect(seenA).toContain(copy.onboarding.zoneSet('Europe/London'));
    expect(seenA).toContain(copy.onboarding.safety);
    expect(seenA).toContain(copy.onboarding.done);
    expect(a.member().timeZone).toBe('Europe/London');
    const invite = a.messages().find((m) => textOf(m).includes(`/join ${code}`))!;
    expect(paragraphsOf(invite)).toEqual([
      copy.pairing.invite(copy.pairing.noLink),
      copy.pairing.inviteCode,
      copy.pairing.joinCommand(code),
    ]);

    // The slash command's reply is an ordinary (not ephemeral) message in the bot's DM.
    const start = bot.server.interactionResponses(bot.interactions[0]!);
    expect(start.type).toBe(2);
    expect(start.callback?.type).toBe(4);
    expect(start.original?.channel_id).toBe(a.dm());
    expect(start.original?.ephemeral).toBe(false);

    const seenB = b.messages().map(textOf);
    expect(seenB[0]).toBe(`${copy.onboarding.welcome}\n\n${copy.onboarding.privacy}`);
    expect(seenB).toContain(copy.onboarding.zoneSet('Europe/London'));
    // The Join question was replaced in place by the result.
    const join = b.messages().find((m) => m.versions.some((v) => v.content === copy.pairing.invited))!;
    expect(textOf(join)).toMatch(
      /^You're connected\. Your first check-in is .+\. You can change it with \/schedule\.$/,
    );
    // A heard it through the outbox, as a DM of its own.
    const connected = a.messages().find((m) => paragraphsOf(m)[0] === copy.update)!;
    expect(paragraphsOf(connected)[1]).toMatch(/^You're connected\. /);
    expect(connected.interaction_id).toBeNull();
    expect(outboxStates(bot).filter((r) => r.kind === 'paired' || r.kind === 'prompt')).toEqual([
      { kind: 'paired', memberId: a.member().id, state: 'sent' },
      { kind: 'prompt', memberId: b.member().id, state: 'sent' },
    ]);
  });

  it('replaces a pressed message in place without leaving buttons it no longer has', () => {
    // B's Join question became "You're connected"; A's review became "waiting" when A sent.
    const join = b.messages().find((m) => m.versions.some((v) => v.content === copy.pairing.invited))!;
    const waiting = a.messages().find((m) => textOf(m) === copy.checkin.waiting)!;
    expect(waiting.versions.length).toBeGreaterThan(1);
    expect(
      [join, waiting].map((m) => ({
        text: textOf(m).split('.')[0],
        buttons: buttonsOf(m).map((x) => x.label),
      })),
    ).toEqual([
      { text: "You're connected", buttons: [] },
      { text: copy.checkin.waiting.split('.')[0], buttons: [] },
    ]);
  });

  it('opens the answer form at once as the acknowledgement, and takes the text it sends', () => {
    expect(forms).toHaveLength(3);
    for (const { opened, submitted } of forms) {
      expect(opened.callback).toMatchObject({ type: 9 });
      expect(opened.callback!.delayMs).toBeLessThan(1000);
      expect(opened.attempts).toHaveLength(1);
      const modal = opened.modal as {
        title: string;
        components: {
          components: { type: number; custom_id: string; max_length: number; required: boolean }[];
        }[];
      };
      expect(modal.title).toBe(copy.help.formTitle);
      expect(modal.components[0]!.components[0]).toMatchObject({
        type: 4,
        custom_id: 'answer',
        max_length: 1000,
        required: true,
      });
      // The submission is answered with the next step, as a new message in the DM.
      expect(submitted.type).toBe(5);
      expect(submitted.callback?.type).toBe(4);
      expect(submitted.original?.channel_id).toBe(bot.server.interactionResponses(opened.id).channelId);
    }
  });

  it('reveals to both: the last sender as the interaction reply, the other through the outbox', () => {
    expect(sendB.callback?.type).toBe(4);
    expect(summaryB.interaction_id).toBe(sendB.id);
    expect(summaryB.channel_id).toBe(b.dm());
    expect(summaryA.interaction_id).toBeNull();
    expect(summaryA.channel_id).toBe(a.dm());
    for (const s of [summaryA, summaryB]) {
      expect(s.embeds.length).toBeGreaterThan(0);
      expect(s.content).toBe('');
    }
    expect(outboxStates(bot).find((r) => r.kind === 'reveal')).toEqual({
      kind: 'reveal',
      memberId: a.member().id,
      state: 'sent',
    });
    // Each holds exactly the other's shared answers (B kept "hear" private), then their own.
    // The neutral line arrives alone, just before the summary (which comes without a notification).
    const shownA = a.messages();
    const before = shownA[shownA.findIndex((m) => m.id === summaryA.id) - 1]!;
    expect(paragraphsOf(before)).toEqual([copy.update]);
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
    // The other's words appear in exactly one message of each DM: the summary.
    for (const [p, other, summary] of [
      [a, 'B', summaryA],
      [b, 'A', summaryB],
    ] as const) {
      const theirs = canariesOf(other);
      const holding = p
        .messages()
        .filter((m) => everShown(m).some((t) => found(t).some((c) => theirs.includes(c))));
      expect(holding.map((m) => m.id)).toEqual([summary.id]);
      expect(textOf(summary)).not.toMatch(/Safety/);
    }
    // Each kept their own safety score, in their own review only; never in the other's DM.
    const shownIn = (p: DiscordPerson) => p.messages().flatMap(everShown).map(plain);
    expect(shownIn(a).some((t) => t.includes(`${copy.review.keptPrivate}\n${Q.safety.label}: 9`))).toBe(true);
    expect(shownIn(b).some((t) => t.includes(`${copy.review.keptPrivate}\n${Q.safety.label}: 8`))).toBe(true);
    expect(shownIn(b).filter((t) => t.includes(`${Q.safety.label}: 9`))).toEqual([]);
    expect(shownIn(a).filter((t) => t.includes(`${Q.safety.label}: 8`))).toEqual([]);

    const logs = bot.lines.join('\n');
    for (const w of [...Object.values(words.A), ...Object.values(words.B)]) {
      expect(logs).not.toContain(canaryOf(w));
      expect(logs).not.toContain(w);
    }
    expect(logs).not.toContain('Avery');
    expect(logs).not.toContain('Blake');
    expect(logs).not.toContain(code);
    expect(bot.lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    for (const p of [a, b]) expect(p.messages().map(textOf)).not.toContain(copy.somethingWrong);
    // The strict server accepted every call: limits kept, markdown escaped, no 400.
    expect(bot.server.rejected).toEqual([]);
  });

  it('acknowledged every interaction within the window, and never twice', () => {
    expect(bot.interactions.length).toBeGreaterThan(25);
    expectAcknowledgedOnce(bot);
  });
});

// ---- one bot per test ------------------------------------------------------------------------

describe('the Discord bot', () => {
  let bot: DiscordBot;

  beforeEach(async () => {
    bot = await startDiscordBot(freshPrefix());
  });

  afterEach(async () => {
    await bot.stop();
  });

  it('replaces a registered command set that differs in more than names and descriptions', async () => {
    // An earlier deployment registered the same commands for servers only, with no options.
    const stale = COMMAND_LIST.map((c) => ({
      name: c.name,
      description: c.description,
      type: 1,
      integration_types: [0],
      contexts: [0],
    }));
    const res = await fetch(`${bot.server.apiUrl}/v10/applications/${bot.server.applicationId}/commands`, {
      method: 'PUT',
      headers: { authorization: `Bot ${bot.server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(stale),
    });
    expect(res.status).toBe(200);
    const second = new DiscordAdapter({
      token: bot.server.token,
      applicationId: bot.server.applicationId,
      apiRoot: bot.server.apiUrl,
      log: createLogger('error', () => {}),
    });
    try {
      await second.start(bot.core.engine);
    } finally {
      await second.stop();
    }
    // Started again, the bot must bring back DMs, user installs and the /join code option.
    expect(
      bot.server.commands.map((c) => ({
        name: c.name,
        integration_types: c.integration_types,
        contexts: c.contexts,
      })),
    ).toEqual([
      ...COMMAND_LIST.map((c) => ({ name: c.name, integration_types: [0, 1], contexts: [0, 1, 2] })),
      ...GROUP_COMMAND_LIST.map((c) => ({ name: c.name, integration_types: [0], contexts: [0] })),
    ]);
    expect(bot.server.commands.find((c) => c.name === 'join')?.options).toHaveLength(1);
  });

  it('shows a display name and answers full of markdown and mentions verbatim, and pings no one', async () => {
    const name = '**x** @everyone <@1> ||s|| # h';
    const p = bot.person('marky', name);
    await p.onboard({ zoneText: 'America/Chicago' });
    await p.command('checkin');
    const typed = [
      '@everyone look <@1> <@&2> <#3> @here ||spoiler|| **bold** __u__ ~~s~~ `code` [x](https://x.test)',
      '# not a heading > not a quote - not a list 1. nor this \\*escaped\\*',
      '```\nfenced\n``` and <@!12345> and @everyone',
    ];
    await p.answer([5, 5, 5, typed[0]!]);
    await p.typeInForm(typed[1]!);
    await p.answer([5, 5, { form: typed[2]! }]);
    const review = textOf(p.last());
    for (const t of typed) expect(review).toContain(`“${t}”`);
    const send = await p.press(copy.review.send);
    const summary = send.original!;
    expect(paragraphsOf(summary)[0]).toBe(copy.reveal.soloOpening);
    for (const t of [typed[0], typed[2]]) expect(textOf(summary)).toContain(`“${t}”`);

    await p.command('export');
    const exported = bot.server.messages(p.dm()).find((m) => m.attachments.length > 0)!;
    expect(JSON.parse(exported.attachments[0]!.bytes.toString('utf8')).you.displayName).toBe(name);

    // Nothing the bot ever showed (any version, content or embed) holds a live mention.
    const everything = p
      .messages()
      .flatMap((m) =>
        m.versions.flatMap((v) => [v.content, ...v.embeds.map((e) => String(e.description ?? ''))]),
      );
    expect(everything.filter((t) => PING.test(t))).toEqual([]);
    expect(bot.server.rejected).toEqual([]);
    expectAcknowledgedOnce(bot);
  });

  it('outside the bot DM answers ephemerally and points check-in commands to the DM', async () => {
    const p = bot.person('gale', 'Gale');
    await p.onboard();
    const inDm = p.messages().length;
    const guildId = newId();
    const asked: [string, InteractionWhere][] = [
      ['checkin', { context: 0, guildId }],
      ['start', { context: 0, guildId }],
      ['history', { context: 0, guildId }],
      // A DM between this person and a friend, where the user-installed app is used (context 2).
      ['checkin', { context: 2 }],
      ['history', { context: 2 }],
    ];
    const seen = [];
    const channels = new Set<string>();
    for (const [name, where] of asked) {
      const r = await p.command(name, undefined, where);
      channels.add(r.channelId);
      seen.push({
        name,
        context: where.context,
        callback: r.callback?.type,
        flags: (r.callback?.data as { flags?: number } | null)?.flags,
        ephemeral: r.original?.ephemeral,
        followUps: r.followUps.length,
        text: textOf(r.original ?? undefined),
      });
    }
    expect(seen).toEqual(
      asked.map(([name, where]) => ({
        name,
        context: where.context,
        callback: 4,
        flags: 64,
        ephemeral: true,
        followUps: 0,
        // /start in a server says what the bot does there; check-in commands point to the DM.
        text: name === 'start' && where.context === 0 ? copy.channel.groupHelp : copy.groupPointer,
      })),
    );
    // Nothing the bot said there is visible to anyone else in those channels, and the DM got nothing.
    const visibleToOthers = [...channels].flatMap((c) => bot.server.messages(c).filter((m) => !m.ephemeral));
    expect(visibleToOthers.map(textOf)).toEqual([]);
    expect(p.messages()).toHaveLength(inDm);
    expect(bot.core.repo.activeCoupleOf(p.member().id)).toBeUndefined();
    expect(bot.server.rejected).toEqual([]);
    expectAcknowledgedOnce(bot);
  });

  it("/clear deletes the bot's DM messages of the latest check-in", async () => {
    const p = bot.person('harper', 'Harper');
    await p.onboard();
    const onboarding = p.messages().map((m) => m.id);
    await p.command('checkin');
    await p.answer([6, 6, 6, 'Tea in the garden', { form: 'Paid the bills' }, 4, 4, 'Thank you']);
    // At review, open an answer and go back: the review is edited in place twice.
    await p.press(Q.deposit.label);
    await p.press(copy.review.back);
    await p.press(copy.review.send);
    const checkin = p.messages().filter((m) => !onboarding.includes(m.id));
    expect(checkin.length).toBeGreaterThan(5);
    expect(paragraphsOf(checkin.at(-1))[0]).toBe(copy.reveal.soloOpening);

    const clear = await p.command('clear');
    await eventually(
      () => checkin.every((m) => !p.messages().some((x) => x.id === m.id)),
      3000,
      'the check-in messages to be deleted',
    );
    expect(textOf(clear.original ?? undefined)).toBe(copy.clear.done);
    expect(p.messages().map((m) => m.id)).toEqual([...onboarding, clear.original!.id]);
    // Each message was deleted once: nothing Discord would refuse.
    const deletes = bot.server.calls
      .filter((c) => c.route === 'DELETE /channels/:channelId/messages/:messageId')
      .map((c) => c.path.split('/').at(-1));
    expect(deletes.sort()).toEqual(checkin.map((m) => m.id).sort());
    expect(bot.server.rejected).toEqual([]);
    expectAcknowledgedOnce(bot);
  });

  it('marks a person who closed their DMs unreachable after one 50007, with no retry storm', async () => {
    const a = bot.person('avery', 'Avery');
    const b = bot.person('blake', 'Blake');
    await a.onboard();
    const code = await discordInviteCode(a);
    await b.onboard({ code, role: 'partner' });
    await b.press(copy.pairing.joinButton);
    await a.waitFor((m) => paragraphsOf(m)[0] === copy.update, "with You're connected");
    await outboxSettled(bot);

    bot.server.blockDms(b.id);
    const toB = () =>
      bot.server.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${b.dm()}/messages`);
    const before = toB().length;
    await a.command('checkin');
    expect(textOf(a.last())).toContain(copy.checkin.progress(1, 8));
    await eventually(() => b.member().unreachableAt !== null, 8000, 'B marked unreachable');
    expect(
      bot.server.rejected.map((c) => [c.method, c.path, c.status, (c.response as { code: number }).code]),
    ).toEqual([['POST', `/channels/${b.dm()}/messages`, 403, 50007]]);
    expect(outboxStates(bot).find((r) => r.kind === 'prompt')).toMatchObject({ state: 'failed' });

    // The reminder reaches A; B's is not even tried.
    const roundId = bot.core.repo.openRoundOf(bot.core.repo.activeCoupleOf(a.member().id)!.id)!.id;
    await bot.app.queues.rounds.add('remind', { roundId });
    await a.waitFor((m) => textOf(m).startsWith('Your check-in is still open until'), 'with the reminder');
    await eventually(
      () =>
        outboxStates(bot).find((r) => r.kind === 'reminder' && r.memberId === b.member().id)?.state ===
        'failed',
      3000,
      "B's reminder given up",
    );
    await new Promise((r) => setTimeout(r, 1200));
    expect(toB().length - before).toBe(1);
    expect(bot.lines.filter((l) => l.includes('"send-unreachable"'))).toHaveLength(1);

    // Writing to the bot again is how a person comes back.
    bot.server.unblockDms(b.id);
    await b.command('checkin');
    expect(b.member().unreachableAt).toBeNull();
    expectAcknowledgedOnce(bot);
  });
});

// ---- a couple split across platforms ----------------------------------------------------------

describe('a couple split across Telegram and Discord', () => {
  let bot: DiscordBot;

  beforeAll(async () => {
    bot = await startDiscordBot(freshPrefix(), { telegram: true });
  });

  afterAll(async () => {
    await bot?.stop();
  });

  it('pairs with a code from Telegram, completes a round, and each gets the summary on their own app', async () => {
    const tg = bot.tg!;
    const { words, canaryOf, canariesOf, found } = answersFor(randomBytes(3).toString('hex'));
    const t: Person = tg.person(7001, 'Tess');
    const d = bot.person('dana', 'Dana');
    const tgVersions = (m: TgMessage) => [m.text ?? '', m.caption ?? '', ...m.edits.map((e) => e.text ?? '')];
    const allowedT = new Set(canariesOf('A'));
    const allowedD = new Set(canariesOf('B'));
    const violations: string[] = [];
    let steps = 0;
    const check = () => {
      steps++;
      for (const m of t.messages())
        for (const v of tgVersions(m))
          for (const c of found(v)) if (!allowedT.has(c)) violations.push(`step ${steps}: ${c} on Telegram`);
      for (const m of d.messages())
        for (const v of everShown(m))
          for (const c of found(v)) if (!allowedD.has(c)) violations.push(`step ${steps}: ${c} on Discord`);
    };
    bot.afterStep = check;
    const settle = tg.settle;
    tg.settle = async () => {
      await settle();
      check();
    };

    await t.onboard({ role: 'recovery', zoneButton: 'London' });
    const code = await inviteCode(t);
    await d.onboard({ code, role: 'partner', zoneText: 'Europe/London' });
    await d.press(copy.pairing.joinButton);
    await t.waitFor((m) => (m.visibleText ?? '').includes("You're connected"), "with You're connected");
    const couple = bot.core.repo.activeCoupleOf(t.member().id)!;
    expect(couple.kind).toBe('pair');
    expect(bot.core.repo.activeCoupleOf(d.member().id)?.id).toBe(couple.id);

    await t.command('/checkin');
    const sA = scores.A;
    await t.answer([
      sA.consistency,
      sA.reliability,
      sA.safety,
      words.A.countOn,
      words.A.deposit,
      sA.fear,
      sA.anger,
      words.A.hear,
    ]);
    await t.press(copy.review.send);

    await d.waitFor((m) => paragraphsOf(m)[0] === copy.ready, 'with the prompt');
    await d.press(copy.checkin.start);
    const sB = scores.B;
    await d.answer([
      sB.consistency,
      sB.reliability,
      sB.safety,
      { form: words.B.countOn },
      words.B.deposit,
      sB.fear,
      sB.anger,
      words.B.hear,
    ]);
    await d.press(Q.hear.label);
    await d.press(copy.review.keep);
    for (const w of Object.values(words.A)) allowedD.add(canaryOf(w));
    for (const w of [words.B.countOn, words.B.deposit]) allowedT.add(canaryOf(w));
    const send = await d.press(copy.review.send);
    const summaryD = send.original!;
    const summaryT = await t.waitFor((m) => tgParagraphsOf(m)[0] === copy.reveal.opening, 'with the summary');
    await outboxSettled(bot);
    check();

    expect(summaryD.embeds.length).toBeGreaterThan(0);
    expect(paragraphsOf(summaryD)).toEqual(
      expectedReveal(
        { words: { ...words.B, hear: undefined }, scores: scores.B },
        { words: words.A, scores: scores.A },
      ),
    );
    const beforeT = t.messages()[t.messages().findIndex((m) => m.message_id === summaryT.message_id) - 1]!;
    expect(tgParagraphsOf(beforeT)).toEqual([copy.update]);
    expect(tgParagraphsOf(summaryT)).toEqual(
      expectedReveal(
        { words: words.A, scores: scores.A },
        { words: { ...words.B, hear: undefined }, scores: scores.B },
      ),
    );

    // The privacy invariant held on both platforms after every step.
    expect(steps).toBeGreaterThan(30);
    expect(violations).toEqual([]);
    const holdingT = t
      .messages()
      .filter((m) => tgVersions(m).some((v) => found(v).some((c) => canariesOf('B').includes(c))));
    expect(holdingT.map((m) => m.message_id)).toEqual([summaryT.message_id]);
    const holdingD = d
      .messages()
      .filter((m) => everShown(m).some((v) => found(v).some((c) => canariesOf('A').includes(c))));
    expect(holdingD.map((m) => m.id)).toEqual([summaryD.id]);
    expect(textOf(summaryD)).not.toMatch(/Safety/);
    expect(summaryT.visibleText).not.toMatch(/Safety/);

    const logs = bot.lines.join('\n');
    for (const c of [...canariesOf('A'), ...canariesOf('B')]) expect(logs).not.toContain(c);
    expect(bot.lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    expect(bot.server.rejected).toEqual([]);
    expect(tg.emu.rejected).toEqual([]);
    expect(
      outboxStates(bot).filter((r) => r.kind === 'reveal' || r.kind === 'prompt' || r.kind === 'paired'),
    ).toEqual([
      { kind: 'paired', memberId: t.member().id, state: 'sent' },
      { kind: 'prompt', memberId: d.member().id, state: 'sent' },
      { kind: 'reveal', memberId: t.member().id, state: 'sent' },
    ]);
    expectAcknowledgedOnce(bot);
  }, 30_000);
});
