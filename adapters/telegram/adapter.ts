import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import type { Adapter } from '../../src/app.ts';
import type { Transport } from '../../src/delivery/transport.ts';
import {
  CHAT_INFO_COMMANDS,
  COMMAND_LIST,
  type Engine,
  GROUP_COMMAND_LIST,
} from '../../src/engine/engine.ts';
import type { Actor, ChatInfo, ChatRef, Inbound, Outbound, OutboundMessage } from '../../src/engine/types.ts';
import { errorFields, type Logger } from '../../src/ops/log.ts';
import { classify, clearKeyboard, deleteMessages, sendMessage, TELEGRAM_LIMITS } from './send.ts';

/** Group commands offered to group admins only (anyone may still type them; the engine checks). */
const ADMIN_ONLY = new Set(['link']);

/** The longest 429 wait an inline reply sits out before giving up. */
const INLINE_RETRY_LIMIT = 5000;

export interface TelegramOptions {
  token: string;
  apiRoot: string;
  /** Webhook mode when set; long polling otherwise. */
  webhook: { url: string; secret: string; port: number } | null;
  log: Logger;
}

/**
 * A Telegram update as an engine Inbound, or null when it is nothing for the engine. Pure: the
 * update_id is the dedupe key, so a redelivered update is applied once.
 */
export function toInbound(update: Update, botUsername: string): Inbound | null {
  const dedupeKey = String(update.update_id);
  if ('callback_query' in update) {
    const q = update.callback_query;
    if (!q.message || !('data' in q)) return null;
    return {
      kind: 'choice',
      token: q.data,
      messageId: String(q.message.message_id),
      actor: actorOf(q.from),
      chat: chatOf(q.message.chat),
      dedupeKey,
    };
  }
  if (!('message' in update)) return null;
  const m = update.message;
  if (!m.from || (m.from.is_bot && !isAnonymousAdmin(m))) return null;
  const base = { actor: actorOf(m.from), chat: chatOf(m.chat), dedupeKey };
  const text = 'text' in m ? m.text : '';
  const command =
    'text' in m ? m.entities?.find((e) => e.type === 'bot_command' && e.offset === 0) : undefined;
  if (command) {
    const [name, target] = text.slice(1, command.length).split('@');
    // In a group, "/status@otherbot" is for another bot.
    if (target && target.toLowerCase() !== botUsername.toLowerCase()) return null;
    return { ...base, kind: 'command', name: name!.toLowerCase(), args: text.slice(command.length).trim() };
  }
  // Anything else typed in private is text (a sticker or photo counts as empty text); group
  // chatter is not for us (with privacy mode on, Telegram does not even send it).
  return base.chat.kind === 'private' ? { ...base, kind: 'text', text } : null;
}

/**
 * A group admin who posts anonymously: Telegram sends their messages from a bot account
 * (GroupAnonymousBot) on behalf of the group itself. Only admins can do that.
 */
export function isAnonymousAdmin(m: { chat: { id: number }; sender_chat?: { id: number } }): boolean {
  return m.sender_chat?.id === m.chat.id;
}

function actorOf(from: {
  id: number;
  first_name: string;
  last_name?: string;
  language_code?: string;
}): Actor {
  return {
    platform: 'telegram',
    userId: String(from.id),
    displayName: [from.first_name, from.last_name].filter(Boolean).join(' '),
    ...(from.language_code ? { locale: from.language_code } : {}),
  };
}

function chatOf(chat: { id: number; type: string }): ChatRef {
  return {
    platform: 'telegram',
    chatId: String(chat.id),
    kind: chat.type === 'private' ? 'private' : 'group',
  };
}

/** Telegram for the bot: receiving updates (polling or webhook) and sending through the Bot API. */
export class TelegramAdapter implements Adapter {
  readonly bot: Telegraf;
  readonly transport: Transport;
  #server: Server | null = null;
  #username = '';
  #botId = 0;

  constructor(readonly o: TelegramOptions) {
    // Webhook replies off: every call goes through the API, so each can be checked and retried.
    this.bot = new Telegraf(o.token, { telegram: { apiRoot: o.apiRoot, webhookReply: false } });
    // Telegraf's default handler prints whole updates, which hold what people wrote.
    this.bot.catch((error, ctx) => {
      o.log.error('telegram-update-failed', { updateId: ctx.update.update_id, ...errorFields(error) });
    });
    const telegram = this.bot.telegram;
    this.transport = {
      platform: 'telegram',
      limits: TELEGRAM_LIMITS,
      async send(message) {
        try {
          return { messageIds: await sendMessage(telegram, message) };
        } catch (error) {
          throw classify(error);
        }
      },
      async delete(request) {
        try {
          await deleteMessages(telegram, request);
        } catch (error) {
          throw classify(error);
        }
      },
    };
  }

  /** Registers commands and the invite link, then starts receiving updates. */
  async start(engine: Engine): Promise<void> {
    const me = await this.bot.telegram.getMe();
    this.#username = me.username;
    const previous = engine.deps.inviteLink;
    engine.deps.inviteLink = (platform, code) =>
      platform === 'telegram'
        ? `https://t.me/${this.#username}?start=${code}`
        : (previous?.(platform, code) ?? null);
    this.#botId = me.id;
    // In groups, /link is offered to admins only (the most specific scope wins for a user).
    const scopes = [
      { list: COMMAND_LIST, scope: { type: 'all_private_chats' as const } },
      {
        list: GROUP_COMMAND_LIST.filter((c) => !ADMIN_ONLY.has(c.name)),
        scope: { type: 'all_group_chats' as const },
      },
      { list: GROUP_COMMAND_LIST, scope: { type: 'all_chat_administrators' as const } },
    ];
    for (const { list, scope } of scopes) {
      await this.bot.telegram
        .setMyCommands(
          list.map((c) => ({ command: c.name, description: c.description })),
          { scope },
        )
        .catch((error) => this.o.log.warn('telegram-commands-failed', errorFields(error)));
    }
    this.bot.use(async (ctx) => {
      const inbound = toInbound(ctx.update, this.#username);
      if (
        inbound?.kind === 'command' &&
        inbound.chat.kind === 'group' &&
        CHAT_INFO_COMMANDS.has(inbound.name)
      ) {
        const message = 'message' in ctx.update ? ctx.update.message : undefined;
        const title = message && 'title' in message.chat ? message.chat.title : '';
        const anonymous = message !== undefined && isAnonymousAdmin(message);
        const info = await this.#chatInfo(inbound.chat.chatId, title, anonymous ? null : inbound.actor);
        if (info) inbound.chatInfo = info;
      }
      const out = inbound ? engine.handle(inbound) : [];
      // Every press is answered, and at once: the engine has already committed its effect.
      if ('callback_query' in ctx.update) await ctx.answerCbQuery().catch(() => {});
      if (inbound) await this.#reply(engine, inbound, out);
    });
    if (this.o.webhook) await this.#startWebhook(this.o.webhook);
    else {
      await new Promise<void>((resolve, reject) => {
        this.bot.launch({ allowedUpdates: ['message', 'callback_query'] }, resolve).catch((error) => {
          this.o.log.error('telegram-polling-stopped', errorFields(error));
          reject(error);
        });
      });
    }
    this.o.log.info('telegram-started', { mode: this.o.webhook ? 'webhook' : 'polling' });
  }

  // Who may link a group, and whether the bot may post there, is only Telegram's to say. An
  // anonymous admin (actor null) is an admin by definition, and has no member record to ask for.
  async #chatInfo(chatId: string, title: string, actor: Actor | null): Promise<ChatInfo | undefined> {
    const telegram = this.bot.telegram;
    try {
      const [member, self, count] = await Promise.all([
        actor ? telegram.getChatMember(chatId, Number(actor.userId)) : { status: 'administrator' as const },
        telegram.getChatMember(chatId, this.#botId),
        telegram.callApi('getChatMemberCount', { chat_id: chatId }),
      ]);
      const muted = self.status === 'restricted' && !self.can_send_messages;
      return {
        title,
        memberCount: count,
        actorCanManage: member.status === 'creator' || member.status === 'administrator',
        botCanPost: !muted && self.status !== 'left' && self.status !== 'kicked',
      };
    } catch (error) {
      this.o.log.warn('telegram-chat-info-failed', errorFields(error));
      return undefined;
    }
  }

  /** Stops receiving updates. */
  async stop(): Promise<void> {
    if (this.#server) {
      await new Promise((resolve) => this.#server!.close(resolve));
      this.#server = null;
    } else {
      try {
        this.bot.stop('shutdown');
      } catch {
        // was not running
      }
    }
  }

  // The engine has committed before anything is sent: a failed call never loses an answer.
  async #reply(engine: Engine, inbound: Inbound, out: Outbound[]): Promise<void> {
    const origin = inbound.kind === 'choice' ? inbound.messageId : undefined;
    let replaced = false;
    for (const o of out) {
      try {
        if (o.type === 'delete') {
          await deleteMessages(this.bot.telegram, o);
          continue;
        }
        const ids = await this.#sendReply(o);
        replaced ||= o.replaces !== undefined && ids.includes(o.replaces);
        if (o.roundId !== undefined) for (const id of ids) engine.noteSent(o.to, id, o.roundId);
      } catch (error) {
        this.o.log.warn('telegram-reply-failed', { updateId: inbound.dedupeKey, ...errorFields(error) });
      }
    }
    // A pressed keyboard that was not replaced loses its buttons, so it cannot be pressed twice.
    if (origin && !replaced) await clearKeyboard(this.bot.telegram, inbound.chat.chatId, origin);
  }

  // A reply the person is waiting for: one retry after a short 429, rather than leaving them
  // with no next question (their answer is saved either way).
  async #sendReply(o: OutboundMessage): Promise<string[]> {
    try {
      return await sendMessage(this.bot.telegram, o);
    } catch (error) {
      const f = classify(error).failure;
      if (f.kind !== 'rate-limited' || f.retryAfterMs > INLINE_RETRY_LIMIT) throw error;
      await new Promise((resolve) => setTimeout(resolve, f.retryAfterMs));
      return sendMessage(this.bot.telegram, o);
    }
  }

  async #startWebhook(w: { url: string; secret: string; port: number }): Promise<void> {
    const path = new URL(w.url).pathname;
    const expected = Buffer.from(w.secret);
    this.#server = createServer((req, res) => {
      const given = Buffer.from(String(req.headers['x-telegram-bot-api-secret-token'] ?? ''));
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      if (req.method !== 'POST' || req.url !== path || !ok) {
        res.writeHead(ok ? 404 : 401).end();
        return;
      }
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => {
        let update: Update;
        try {
          update = JSON.parse(Buffer.concat(body).toString('utf8')) as Update;
        } catch {
          res.writeHead(400).end();
          return;
        }
        // Answer Telegram at once; the update is handled (and de-duplicated) on its own.
        res.writeHead(200).end();
        this.bot.handleUpdate(update).catch(() => {});
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(w.port, resolve));
    await this.bot.telegram.setWebhook(w.url, {
      secret_token: w.secret,
      allowed_updates: ['message', 'callback_query'],
    });
  }
}
