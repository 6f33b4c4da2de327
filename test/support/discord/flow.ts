import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiscordAdapter } from '../../../adapters/discord/adapter.ts';
import { toPayloads } from '../../../adapters/discord/render.ts';
import { TelegramAdapter } from '../../../adapters/telegram/adapter.ts';
import { type App, startApp } from '../../../src/app.ts';
import { copy } from '../../../src/checkin/copy.ts';
import { type Core, openCore } from '../../../src/core.ts';
import type { Transport } from '../../../src/delivery/transport.ts';
import type { Inbound, Outbound, OutboundMessage } from '../../../src/engine/types.ts';
import { createLogger } from '../../../src/ops/log.ts';
import type { MemberRow } from '../../../src/store/repo.ts';
import { deleteKeys, eventually, REDIS_URL } from '../redis.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../telegram/emulator.ts';
import { Person, type TelegramBot } from '../telegram/flow.ts';
import type {
  BotMessage,
  DiscordServer,
  DiscordServerOptions,
  DiscordUser,
  InteractionRecord,
  InteractionWhere,
  SentInteraction,
} from './server.ts';
import { startDiscordServer } from './server.ts';
import { snowflake } from './snowflake.ts';

// The whole bot as main.ts wires it (store, engine, queues, send workers, the real Discord
// adapter logged in to the strict local gateway), optionally with the Telegram adapter polling
// the Telegram emulator beside it (one core, one App, both transports), plus people who talk
// to it. Every action waits until the bot has answered it, by polling what the server saw.

export interface DiscordBot {
  server: DiscordServer;
  core: Core;
  adapter: DiscordAdapter;
  app: App;
  /** Every log line, at debug level. */
  lines: string[];
  prefix: string;
  /** The Telegram side, when started with `telegram: true`. */
  tg?: TelegramBot;
  /** What the engine answered to each inbound, by `platform:dedupeKey`. */
  handled: Map<string, Outbound[]>;
  /** Every interaction the people dispatched, in order. */
  interactions: string[];
  /** Called after every settled action (a test's invariant check). */
  afterStep?: () => void;
  /** A Discord user; `globalName` is their display name. */
  person(username: string, globalName?: string): DiscordPerson;
  /** Waits until the adapter has acknowledged an interaction and sent everything the engine said. */
  settleInteraction(sent: SentInteraction): Promise<InteractionRecord>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Discord payloads the adapter makes of the engine's messages (one engine message may be several). */
function payloadsOf(out: Outbound[] | undefined): ReturnType<typeof toPayloads> {
  return (out ?? [])
    .filter((o): o is OutboundMessage => o.type === 'message')
    .flatMap((m) => toPayloads(m, false, copy.help.formButton));
}

/** Starts the local Discord server (and optionally the Telegram emulator) and the bot on them. */
export async function startDiscordBot(
  prefix: string,
  o: { telegram?: boolean; server?: DiscordServerOptions } = {},
): Promise<DiscordBot> {
  const server = await startDiscordServer(o.server);
  const emu: TelegramEmulator | undefined = o.telegram ? await startTelegramEmulator() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'dc-e2e-'));
  const lines: string[] = [];
  const log = createLogger('debug', (line) => lines.push(line));
  const core = openCore({ databaseFile: join(dir, 'bot.db'), dataKey: randomBytes(32), log });
  const handled = new Map<string, Outbound[]>();
  // A spy, not a change: the engine still answers; the tests learn what it answered.
  const handle = core.engine.handle.bind(core.engine);
  core.engine.handle = (inbound: Inbound) => {
    const out = handle(inbound);
    handled.set(`${inbound.actor.platform}:${inbound.dedupeKey}`, out);
    return out;
  };
  const adapter = new DiscordAdapter({
    token: server.token,
    applicationId: server.applicationId,
    apiRoot: server.apiUrl,
    log,
  });
  const telegram = emu
    ? new TelegramAdapter({ token: emu.token, apiRoot: emu.url, webhook: null, log })
    : undefined;
  const transports: Transport[] = [adapter.transport, ...(telegram ? [telegram.transport] : [])];
  const app = await startApp({
    engine: core.engine,
    repo: core.repo,
    redisUrl: REDIS_URL,
    prefix,
    role: 'all',
    transports,
    log,
  });
  await adapter.start(core.engine);
  if (telegram) await telegram.start(core.engine);

  const interactions: string[] = [];
  let stopped = false;
  const bot: DiscordBot = {
    server,
    core,
    adapter,
    app,
    lines,
    prefix,
    handled,
    interactions,
    person: (username, globalName) => {
      const user = server.user(username);
      // The fake's users carry no display name; a real Discord account has one.
      if (globalName !== undefined) user.global_name = globalName;
      return new DiscordPerson(bot, user);
    },
    async settleInteraction(sent) {
      interactions.push(sent.id);
      const key = `discord:${sent.id}`;
      const record = await eventually(
        () => {
          const r = server.interactionResponses(sent.id);
          if (!r.callback) return null;
          // A form opened as the acknowledgement: the engine has nothing to say yet.
          if (r.callback.type === 9) return r;
          if (!handled.has(key)) return null;
          const total = payloadsOf(handled.get(key)).length;
          if (total === 0) return r;
          return r.followUps.length >= total - 1 ? r : null;
        },
        8000,
        `interaction ${sent.id} to be answered`,
      );
      // Let the adapter read the last response (it notes message ids for /clear).
      await sleep(20);
      bot.afterStep?.();
      return server.interactionResponses(record!.id);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        // The gateway client first, while its server is still there to say goodbye to.
        await adapter.stop();
        await telegram?.stop();
        await app.stop(2000);
        core.store.close();
        await server.close();
        await emu?.close();
      } finally {
        await deleteKeys(REDIS_URL, prefix);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  if (emu && telegram) {
    const tg: TelegramBot = {
      emu,
      core,
      adapter: telegram,
      app,
      lines,
      prefix,
      settle: () => emu.waitFor(() => emu.pendingUpdates() === 0, 5000).then(() => undefined),
      person: (id, firstName) => new Person(tg, emu.user(id, { first_name: firstName })),
      stop: () => bot.stop(),
    };
    bot.tg = tg;
  }
  return bot;
}

/** Every text a version of a Discord message shows: content, embed descriptions, button labels. */
export function versionTexts(v: { content: string; embeds: unknown[]; components: unknown[] }): string[] {
  const out = [v.content];
  for (const e of v.embeds as { description?: string; title?: string }[]) {
    if (e.title) out.push(e.title);
    if (e.description) out.push(e.description);
  }
  for (const row of v.components as { components?: { label?: string }[] }[])
    for (const c of row.components ?? []) if (c.label) out.push(c.label);
  return out;
}

/** Everything a message ever showed, every version included. */
export function everShown(m: BotMessage): string[] {
  return m.versions.flatMap(versionTexts);
}

/** Discord markdown as the plain text a person reads (good enough for the bot's own markup). */
export function plain(md: string): string {
  return md
    .replace(/\u200b/g, '')
    .replace(/(?<!\\)\*\*/g, '')
    .replace(/(?<!\\)\*/g, '')
    .replace(/(?<!\\)`/g, '')
    .replace(/\\([^\sA-Za-z0-9])/g, '$1');
}

/** What a person reads of a message now: its content and embeds, as plain text. */
export function textOf(m: BotMessage | undefined): string {
  if (!m) return '';
  const parts = [m.content, ...(m.embeds as { description?: string }[]).map((e) => e.description ?? '')];
  return plain(parts.filter((p) => p && p !== '\u200b').join('\n\n'));
}

/** The paragraphs of a message as the person reads them. */
export function paragraphsOf(m: BotMessage | undefined): string[] {
  return textOf(m).split('\n\n');
}

/** The buttons of a message: label and custom_id. */
export function buttonsOf(m: BotMessage): { label: string; customId: string }[] {
  return (m.components as { components?: { label?: string; custom_id?: string }[] }[]).flatMap((row) =>
    (row.components ?? []).map((c) => ({ label: c.label ?? '', customId: c.custom_id ?? '' })),
  );
}

/** Someone who talks to the bot in their Discord DM with it. Each action waits for the answer. */
export class DiscordPerson {
  constructor(
    readonly bot: DiscordBot,
    readonly user: DiscordUser,
  ) {}

  get id(): string {
    return this.user.id;
  }

  /** Their DM channel with the bot (it exists once either of them wrote there). */
  dm(): string {
    const id = this.bot.server.dmChannelOf(this.user.id);
    if (!id) throw new Error(`${this.user.username} has no DM channel with the bot yet`);
    return id;
  }

  /** The bot's messages in their DM, as they stand now (deleted ones gone). */
  messages(): BotMessage[] {
    const id = this.bot.server.dmChannelOf(this.user.id);
    return id ? this.bot.server.messages(id) : [];
  }

  last(): BotMessage {
    const m = this.messages().at(-1);
    if (!m) throw new Error(`no message in ${this.user.username}'s DM`);
    return m;
  }

  member(): MemberRow {
    const m = this.bot.core.repo.memberByPlatform('discord', this.user.id);
    if (!m) throw new Error(`${this.user.username} is not a member`);
    return m;
  }

  /** A slash command; in the bot's DM unless `where` says otherwise. */
  async command(
    name: string,
    options?: Record<string, string>,
    where?: InteractionWhere,
  ): Promise<InteractionRecord> {
    return this.bot.settleInteraction(this.bot.server.slashCommand(this.user, name, options, where));
  }

  /** Writes a DM to the bot and waits until every reply the engine gave is in the DM. */
  async say(text: string): Promise<BotMessage[]> {
    const before = new Set(this.messages().map((m) => m.id));
    const sent = this.bot.server.dmMessage(this.user, text);
    const key = `discord:${String(sent.id)}`;
    await eventually(() => this.bot.handled.has(key), 8000, `the DM ${String(sent.id)} to be handled`);
    const expected = payloadsOf(this.bot.handled.get(key));
    const fresh = await eventually(
      () => {
        const news = this.messages().filter((m) => !before.has(m.id));
        const all = expected.every((p) =>
          news.some(
            (m) =>
              m.content === (p.content ?? '') && JSON.stringify(m.embeds) === JSON.stringify(p.embeds ?? []),
          ),
        );
        return all ? news : null;
      },
      8000,
      `the replies to a DM from ${this.user.username}`,
    );
    await sleep(20);
    this.bot.afterStep?.();
    return fresh!;
  }

  /** The newest message in the DM with a button of this label, and that button. */
  findButton(label: string): { message: BotMessage; customId: string } | undefined {
    for (const message of this.messages().reverse()) {
      const b = buttonsOf(message).find((x) => x.label === label);
      if (b) return { message, customId: b.customId };
    }
    return undefined;
  }

  /** Presses the newest button of this label. */
  async press(label: string): Promise<InteractionRecord> {
    const found = this.findButton(label);
    if (!found)
      throw new Error(
        `no button "${label}" in ${this.user.username}'s DM; shown: ${JSON.stringify(
          this.messages().map((m) => buttonsOf(m).map((b) => b.label)),
        )}`,
      );
    return this.bot.settleInteraction(this.bot.server.buttonPress(this.user, found.message, found.customId));
  }

  /**
   * Answers the open text question through its form: presses "Type my answer" (the form opens as
   * the acknowledgement itself) and submits it. Returns both interactions.
   */
  async typeInForm(text: string): Promise<{ opened: InteractionRecord; submitted: InteractionRecord }> {
    const opened = await this.press(copy.help.formButton);
    if (opened.callback?.type !== 9 || !opened.modal)
      throw new Error(`the form button was answered with ${JSON.stringify(opened.callback)}`);
    const customId = String(opened.modal.custom_id);
    const submitted = await this.bot.settleInteraction(
      this.bot.server.modalSubmit(this.user, customId, { answer: text }),
    );
    return { opened, submitted };
  }

  /** Waits for a message in the DM that satisfies `check` (outbox messages arrive on their own). */
  waitFor(check: (m: BotMessage) => boolean, what: string, timeoutMs = 8000): Promise<BotMessage> {
    return eventually(() => this.messages().find(check), timeoutMs, what).then(
      (m) => m!,
      () => {
        throw new Error(
          `${this.user.username}: no message ${what}; the DM has: ${JSON.stringify(this.messages().map(textOf))}`,
        );
      },
    );
  }

  /** /start (with a code when given), a role, a time zone (typed, or a button), the safety answer. */
  async onboard(
    o: {
      code?: string;
      role?: keyof typeof copy.onboarding.roles;
      zoneText?: string;
      zoneButton?: string;
      safe?: keyof typeof copy.onboarding.safetyOptions;
    } = {},
  ): Promise<void> {
    await this.command('start', o.code ? { code: o.code } : undefined);
    await this.press(copy.onboarding.roles[o.role ?? 'recovery']);
    if (o.zoneButton) await this.press(o.zoneButton);
    else await this.say(o.zoneText ?? 'Europe/London');
    await this.press(copy.onboarding.safetyOptions[o.safe ?? 'yes']);
  }

  /**
   * Answers questions in order: a number presses that scale button, a string is a DM, `{ form }`
   * goes through the "Type my answer" form, null presses Skip.
   */
  async answer(answers: (number | string | { form: string } | null)[]): Promise<void> {
    for (const a of answers) {
      if (a === null) await this.press(copy.checkin.skip);
      else if (typeof a === 'number') await this.press(String(a));
      else if (typeof a === 'string') await this.say(a);
      else await this.typeInForm(a.form);
    }
  }
}

/** /pair on Discord; returns the code from the reply (Discord has no deep link). */
export async function discordInviteCode(p: DiscordPerson): Promise<string> {
  await p.command('pair');
  const code = /\/join ([A-Za-z0-9_-]+)/.exec(textOf(p.last()))?.[1];
  if (!code) throw new Error(`no code in: ${textOf(p.last())}`);
  return code;
}

/** A fresh snowflake, e.g. for a guild id. */
export const newId = (): string => snowflake();
