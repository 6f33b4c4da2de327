import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramAdapter } from '../../../adapters/telegram/adapter.ts';
import { type App, startApp } from '../../../src/app.ts';
import { copy } from '../../../src/checkin/copy.ts';
import { type Core, openCore } from '../../../src/core.ts';
import { createLogger } from '../../../src/ops/log.ts';
import type { MemberRow } from '../../../src/store/repo.ts';
import { deleteKeys, REDIS_URL } from '../redis.ts';
import {
  type BotMessage,
  type InlineButton,
  startTelegramEmulator,
  type TelegramEmulator,
  type TestUser,
} from './emulator.ts';

// The whole bot as main.ts wires it (store, engine, queues, send worker, Telegram adapter),
// polling through real telegraf against the strict emulator, plus people who talk to it.

export interface TelegramBot {
  emu: TelegramEmulator;
  core: Core;
  adapter: TelegramAdapter;
  app: App;
  /** Every log line, at debug level. */
  lines: string[];
  prefix: string;
  /** Waits until every update the people sent has been handled (telegraf confirms an update
   * with its next getUpdates, which it sends only after its handlers, replies included, finished). */
  settle(): Promise<void>;
  person(id: number, firstName: string): Person;
  stop(): Promise<void>;
}

/** Starts the emulator and the bot; `prefix` is this bot's own Redis key prefix. */
export async function startTelegramBot(prefix: string): Promise<TelegramBot> {
  const emu = await startTelegramEmulator();
  const dir = mkdtempSync(join(tmpdir(), 'tg-e2e-'));
  const lines: string[] = [];
  const log = createLogger('debug', (line) => lines.push(line));
  const core = openCore({ databaseFile: join(dir, 'bot.db'), dataKey: randomBytes(32), log });
  const adapter = new TelegramAdapter({ token: emu.token, apiRoot: emu.url, webhook: null, log });
  const app = await startApp({
    engine: core.engine,
    repo: core.repo,
    redisUrl: REDIS_URL,
    prefix,
    role: 'all',
    transports: [adapter.transport],
    log,
  });
  await adapter.start(core.engine);
  const bot: TelegramBot = {
    emu,
    core,
    adapter,
    app,
    lines,
    prefix,
    settle: () => emu.waitFor(() => emu.pendingUpdates() === 0, 5000).then(() => undefined),
    person: (id, firstName) => new Person(bot, emu.user(id, { first_name: firstName })),
    async stop() {
      try {
        await bot.adapter.stop();
        await app.stop(2000);
        core.store.close();
        await emu.close();
      } finally {
        await deleteKeys(REDIS_URL, prefix);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return bot;
}

/** Someone in a private chat with the bot. Each action waits until the bot has handled it. */
export class Person {
  constructor(
    readonly bot: TelegramBot,
    readonly user: TestUser,
  ) {}

  get id(): number {
    return this.user.id;
  }

  /** The bot's messages in this chat, edits applied, deleted ones included (and marked). */
  messages(): BotMessage[] {
    return this.user.messages();
  }

  /** The messages still shown. */
  shown(): BotMessage[] {
    return this.messages().filter((m) => !m.deleted);
  }

  last(): BotMessage {
    const m = this.shown().at(-1);
    if (!m) throw new Error(`no message in chat ${this.id}`);
    return m;
  }

  /** The member row the bot keeps for this person. */
  member(): MemberRow {
    const m = this.bot.core.repo.memberByPlatform('telegram', String(this.id));
    if (!m) throw new Error(`user ${this.id} is not a member`);
    return m;
  }

  async command(command: string, args?: string): Promise<void> {
    await this.user.sendCommand(command, args);
    await this.bot.settle();
  }

  async say(text: string): Promise<void> {
    await this.user.sendText(text);
    await this.bot.settle();
  }

  /** The newest shown message with a button of this label, and that button. */
  findButton(label: string): { message: BotMessage; button: InlineButton } | undefined {
    for (const message of this.shown().reverse()) {
      const button = message.buttons.find((b) => b.text === label);
      if (button) return { message, button };
    }
    return undefined;
  }

  /** Presses the newest button of this label; returns the message it was on and its data. */
  async press(label: string): Promise<{ message: BotMessage; data: string }> {
    const found = this.findButton(label);
    if (!found?.button.callback_data)
      throw new Error(
        `no button "${label}" in chat ${this.id}; shown: ${JSON.stringify(this.shown().map((m) => m.buttons.map((b) => b.text)))}`,
      );
    await this.user.pressButton(found.message.message_id, found.button.callback_data);
    await this.bot.settle();
    return { message: found.message, data: found.button.callback_data };
  }

  /** Presses a button by its data on a given message, even when it is no longer there (a stale client). */
  async pressStale(messageId: number, data: string): Promise<void> {
    await this.user.pressButton(messageId, data, { force: true });
    await this.bot.settle();
  }

  /** Waits for a shown message that satisfies `check` (messages from the outbox arrive on their own). */
  waitFor(check: (m: BotMessage) => boolean, what: string, timeoutMs = 8000): Promise<BotMessage> {
    return this.bot.emu
      .waitFor(() => this.shown().find(check), timeoutMs)
      .catch(() => {
        throw new Error(
          `chat ${this.id}: no message ${what}; it has: ${JSON.stringify(this.shown().map((m) => m.visibleText))}`,
        );
      });
  }

  /**
   * Onboarding with buttons: /start (with an invite code when given), a role, a time zone (a
   * button label, or a name typed as text), and an answer to the safety question.
   */
  async onboard(
    o: {
      code?: string;
      role?: keyof typeof copy.onboarding.roles;
      zoneButton?: string;
      zoneText?: string;
      safe?: keyof typeof copy.onboarding.safetyOptions;
    } = {},
  ): Promise<void> {
    await this.command('/start', o.code);
    await this.press(copy.onboarding.roles[o.role ?? 'recovery']);
    if (o.zoneText) await this.say(o.zoneText);
    else await this.press(o.zoneButton ?? 'London');
    await this.press(copy.onboarding.safetyOptions[o.safe ?? 'yes']);
  }

  /**
   * Answers the questions in order: a number presses that scale button, a string is typed, null
   * presses Skip.
   */
  async answer(answers: (number | string | null)[]): Promise<void> {
    for (const a of answers) {
      if (a === null) await this.press(copy.checkin.skip);
      else if (typeof a === 'number') await this.press(String(a));
      else await this.say(a);
    }
  }
}

/** /pair from A; returns the code of the deep link in the reply. */
export async function inviteCode(a: Person): Promise<string> {
  await a.command('/pair');
  const link = new RegExp(`https://t\\.me/${a.bot.emu.botUsername}\\?start=([A-Za-z0-9_-]+)`);
  const code = link.exec(a.last().visibleText ?? '')?.[1];
  if (!code) throw new Error(`no deep link in: ${a.last().visibleText}`);
  return code;
}

/**
 * A (in recovery, zone by button) invites B (the partner, zone typed) through the deep link;
 * B onboards and joins; resolves once A has the outbox's "You're connected". Returns the couple id.
 */
export async function pairThroughTelegram(a: Person, b: Person): Promise<number> {
  await a.onboard({ role: 'recovery', zoneButton: 'London' });
  const code = await inviteCode(a);
  await b.onboard({ code, role: 'partner', zoneText: 'Europe/London' });
  await b.press(copy.pairing.joinButton);
  await a.waitFor((m) => (m.visibleText ?? '').includes("You're connected"), "with You're connected");
  const couple = a.bot.core.repo.activeCoupleOf(a.member().id);
  if (couple?.kind !== 'pair') throw new Error('pairing failed');
  return couple.id;
}

/**
 * Lets Telegram deliver an update again, as after a bot that handled it crashed before
 * confirming: the emulator forgets the confirmation, and the next poller starting at offset 0
 * receives it with the same update_id.
 */
export function unconfirm(emu: TelegramEmulator, updateId: number): void {
  const stored = emu.server.storage.userMessages.find((u) => u.updateId === updateId);
  if (!stored) throw new Error(`no update ${updateId} in the emulator`);
  stored.isRead = false;
}

/** Telegram HTML as plain text (good enough for the bot's own tags and escapes). */
export function plain(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Every version of a message the bot ever showed (as sent, with its markup). */
export function allVersions(m: BotMessage): string[] {
  return [m.text ?? '', m.caption ?? '', ...m.edits.map((e) => e.text ?? '')];
}

/** The paragraphs of a message as the person sees them. */
export function paragraphsOf(m: BotMessage): string[] {
  return (m.visibleText ?? '').split('\n\n');
}

/** The paragraph that starts with `heading`, or undefined. */
export function sectionOf(m: BotMessage, heading: string): string | undefined {
  return paragraphsOf(m).find((p) => p.startsWith(heading));
}
