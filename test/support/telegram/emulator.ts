import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { type ParsedEntity, parseTelegramHtml, trimVisible } from './html.ts';

// The real `telegram-test-api` Bot API emulator, made strict and completed the way DESIGN.md
// ("Testing") asks: one local HTTP server answers `/bot<token>/<method>` itself, validating
// like the real Bot API (same status codes and descriptions) and keeping its messages in the
// emulator's own storage and counters; every other path (the emulator's own client API:
// /sendMessage, /sendCommand, /getUpdates, /getUpdatesHistory ...) falls through to the
// emulator's express app unchanged. Nothing in the library is patched.

export interface EmulatorOptions {
  /** The default bot's token; a fresh, validly shaped one when omitted. */
  token?: string;
  /** The default bot's username (getMe); default 'paired_checkin_test_bot'. */
  botUsername?: string;
  /** The default bot's first name (getMe); default 'Check-in Test Bot'. */
  botName?: string;
  /**
   * As Telegram: sending to a chat the emulator has never seen answers 400 "chat not found", and
   * to a registered user who never wrote to the bot 403 "bot can't initiate conversation".
   * Default true; false lets a bot send anywhere.
   */
  knownChatsOnly?: boolean;
  /** Delay between webhook delivery retries after a failed POST; default 200 ms. */
  webhookRetryMs?: number;
  /**
   * The bot's privacy mode (BotFather /setprivacy), on by default as on Telegram: in a group
   * where it is not an administrator the bot receives only messages that start with "/" or
   * mention it; other chatter never becomes an update.
   */
  privacyMode?: boolean;
}

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  first_name?: string;
  last_name?: string;
  username?: string;
}

export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
  [other: string]: unknown;
}

export interface ReplyMarkup {
  inline_keyboard?: InlineButton[][];
  [other: string]: unknown;
}

export interface SentDocument {
  chat_id: number;
  message_id: number;
  filename: string | undefined;
  mime_type: string | undefined;
  caption: string | undefined;
  parse_mode: string | undefined;
  protect_content: boolean;
  /** The uploaded bytes; empty when the document was sent by file_id or URL. */
  bytes: Buffer;
  /** Set when the bot sent an existing file_id or a URL instead of uploading. */
  reference?: string;
}

/** A message the bot sent, as it stands now (edits applied). */
export interface BotMessage {
  message_id: number;
  chat_id: number;
  kind: 'text' | 'document';
  /** The text as the bot sent it (with its HTML tags), after edits; undefined for documents. */
  text: string | undefined;
  /** The text a user sees (tags parsed, entities decoded, trimmed). */
  visibleText: string | undefined;
  parse_mode: string | undefined;
  entities: ParsedEntity[];
  /** The current keyboard; undefined when there is none (an empty inline_keyboard counts as none). */
  reply_markup: ReplyMarkup | undefined;
  /** Every inline button, row by row flattened. */
  buttons: InlineButton[];
  protect_content: boolean;
  /** Unix seconds on the emulator's clock. */
  date: number;
  /** Earlier versions, oldest first. */
  edits: {
    text: string | undefined;
    parse_mode: string | undefined;
    reply_markup: ReplyMarkup | undefined;
  }[];
  deleted: boolean;
  caption: string | undefined;
  document: SentDocument | undefined;
  /** Every parameter of the call that sent it (files left out). */
  params: Record<string, unknown>;
}

export interface CommandsRecord {
  commands: { command: string; description: string }[];
  scope: Record<string, unknown>;
  language_code: string;
}

export interface CallbackAnswer {
  callback_query_id: string;
  /** The data of the button that was pressed. */
  data: string | undefined;
  user_id: number;
  message_id: number | undefined;
  text: string | undefined;
  show_alert: boolean;
  url: string | undefined;
  cache_time: number | undefined;
}

/** Every answer other than 200. */
export interface Rejection {
  method: string;
  status: number;
  description: string;
  chat_id: number | undefined;
  params: Record<string, unknown>;
  retry_after?: number;
}

/** Every Bot API call, in arrival order. */
export interface ApiCall {
  method: string;
  token: string;
  params: Record<string, unknown>;
  status: number;
}

export interface SentUpdate {
  /** -1 when the bot never receives it (group chatter in privacy mode). */
  update_id: number;
  message_id: number;
}

export interface PressedButton {
  update_id: number;
  callback_query_id: string;
}

export interface TestUser {
  readonly id: number;
  /** The Telegram User object updates carry. */
  readonly user: TgUser;
  /** The private chat with the bot (its id is the user's id). */
  readonly chat: TgChat;
  /** A plain text message to the bot (marks the chat as started). */
  sendText(text: string): Promise<SentUpdate>;
  /** `/start` or `/start args`, with the bot_command entity Telegram adds. */
  sendCommand(command: string, args?: string): Promise<SentUpdate>;
  /**
   * Presses an inline button of one of the bot's messages in this chat (a callback_query update).
   * Throws when the message has no such button now, as a user could not press it; `force` skips
   * that check (a stale client).
   */
  pressButton(messageId: number, callbackData: string, opts?: { force?: boolean }): Promise<PressedButton>;
  /** The bot's messages to this chat, in order, edits applied, deleted ones marked. */
  messages(): BotMessage[];
  /** Resolves with messages() once it holds at least `count` messages (not counting deleted ones). */
  waitForMessages(count: number, timeoutMs?: number): Promise<BotMessage[]>;
  documents(): SentDocument[];
  callbackAnswers(): CallbackAnswer[];
}

export type MemberStatus = 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'kicked';

export interface TestGroup {
  readonly id: number;
  readonly chat: TgChat;
  sendTextAs(user: TestUser, text: string): Promise<SentUpdate>;
  sendCommandAs(
    user: TestUser,
    command: string,
    args?: string,
    opts?: { mention?: boolean },
  ): Promise<SentUpdate>;
  /**
   * A command from an admin who posts anonymously: as on Telegram, from GroupAnonymousBot
   * (id 1087968824, is_bot) with sender_chat set to the group itself.
   */
  sendCommandAsAnonymousAdmin(command: string, args?: string): Promise<SentUpdate>;
  pressButtonAs(
    user: TestUser,
    messageId: number,
    callbackData: string,
    opts?: { force?: boolean },
  ): Promise<PressedButton>;
  /** What getChatMember / getChatAdministrators answer for this user; `extra` is merged in. */
  setMember(user: TestUser, status: MemberStatus, extra?: Record<string, unknown>): void;
  /** The bot's own status here (default 'member'); an administrator may delete others' messages. */
  setBotStatus(status: 'member' | 'administrator'): void;
  /**
   * The group is upgraded to a supergroup, as Telegram does when an admin changes certain
   * settings: it gets a new id, and anything sent to the old one answers 400 with
   * parameters.migrate_to_chat_id. Returns the new supergroup (same title and members).
   */
  migrateToSupergroup(newChatId: number): TestGroup;
  messages(): BotMessage[];
  waitForMessages(count: number, timeoutMs?: number): Promise<BotMessage[]>;
}

export interface TelegramEmulator {
  /** The API root to give telegraf: `new Telegraf(token, { telegram: { apiRoot: emu.url } })`. */
  readonly url: string;
  /** The default bot's token. */
  readonly token: string;
  readonly botId: number;
  readonly botUsername: string;
  /** A fresh, validly shaped token (`<bot id>:<35 chars>`) for another bot. */
  newToken(): string;
  /** The underlying telegram-test-api server (its storage, counters and events). */
  readonly server: TelegramServer;
  user(
    id: number,
    info: { first_name: string; username?: string; last_name?: string; started?: boolean },
  ): TestUser;
  group(chatId: number, title: string, opts?: { type?: 'group' | 'supergroup' }): TestGroup;
  /** The bot's messages (default bot), to one chat or to all, in order. */
  messages(chatId?: number): BotMessage[];
  readonly documents: SentDocument[];
  /** Every accepted setMyCommands call. */
  readonly commands: CommandsRecord[];
  /** The commands now set for a scope (default scope 'default') and language. */
  currentCommands(scope?: Record<string, unknown>, languageCode?: string): CommandsRecord['commands'];
  readonly callbackAnswers: CallbackAnswer[];
  readonly rejected: Rejection[];
  readonly calls: ApiCall[];
  /** The next n send* calls answer 429 with parameters.retry_after. */
  rateLimitNext(n: number, retryAfterSeconds: number): void;
  /** Sends (and edits, deletes) to the chat answer 403, as after the user blocked the bot. */
  block(chatId: number): void;
  unblock(chatId: number): void;
  /** Moves the emulator's clock forward (message ages, dates in updates). */
  advanceTime(ms: number): void;
  /** Epoch ms on the emulator's clock. */
  now(): number;
  /** Updates not yet confirmed by the bot (default bot). */
  pendingUpdates(token?: string): number;
  /** Resolves with the first truthy value of `check`, polling every 10 ms; rejects after timeoutMs. */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Ends pending long polls (empty result), stops webhook delivery and closes the server. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------

/** The parts of telegram-test-api's server this module uses, some of them private in its types. */
interface StoredUpdate {
  time: number;
  botToken: string;
  updateId: number;
  messageId: number;
  isRead: boolean;
  message?: Record<string, unknown>;
  callbackQuery?: Record<string, unknown>;
  callbackId?: number;
  myChatMember?: Record<string, unknown>;
}

interface ServerInternals {
  webServer: (req: IncomingMessage, res: ServerResponse) => void;
  updateId: number;
  messageId: number;
  callbackId: number;
  config: { port: number; host: string; apiURL: string };
  storage: {
    userMessages: StoredUpdate[];
    botMessages: { messageId: number; message: Record<string, unknown> }[];
  };
  addBotMessage(message: Record<string, unknown>, botToken: string): { message_id: number };
  addUserMessage(message: Record<string, unknown>): Promise<void>;
  addUserCommand(message: Record<string, unknown>): Promise<void>;
  addUserCallback(callbackQuery: Record<string, unknown>): Promise<void>;
  addUserUpdate(update: StoredUpdate): Promise<void>;
  editMessageText(message: Record<string, unknown>): void;
  editMessageReplyMarkup(message: Record<string, unknown>): void;
  deleteMessage(chatId: number, messageId: number): boolean;
  on(event: string, listener: () => void): void;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

const bad = (description: string) => new ApiError(400, `Bad Request: ${description}`);

interface Entry {
  token: string;
  chatId: number;
  messageId: number;
  fromBot: boolean;
  fromUserId: number | undefined;
  date: number;
  kind: 'text' | 'document';
  text: string | undefined;
  visibleText: string | undefined;
  parse_mode: string | undefined;
  entities: ParsedEntity[];
  reply_markup: ReplyMarkup | undefined;
  protect_content: boolean;
  caption: string | undefined;
  document: SentDocument | undefined;
  edits: BotMessage['edits'];
  deleted: boolean;
  params: Record<string, unknown>;
}

interface ChatState {
  chat: TgChat;
  user?: TgUser;
  /** Bots (by token) this private chat has written to. */
  started: Set<string>;
  members: Map<number, { status: MemberStatus; extra: Record<string, unknown> }>;
  botStatus: 'member' | 'administrator';
  /** The supergroup this group became (see TestGroup.migrateToSupergroup). */
  migratedTo?: number;
}

interface CallbackRecord {
  token: string;
  from: TgUser;
  chatId: number;
  messageId: number | undefined;
  data: string | undefined;
  answered: boolean;
}

interface Waiter {
  resolve: (result: unknown) => void;
  reject: (error: ApiError) => void;
  offset: number;
  limit: number;
}

interface TokenState {
  /** null: Telegram's default (everything except chat_member and reactions). */
  allowed: Set<string> | null;
  waiter: Waiter | undefined;
  webhook: { url: string; secret: string | undefined } | undefined;
  delivering: boolean;
  lastWebhookError: { date: number; message: string } | undefined;
  commands: Map<string, CommandsRecord>;
}

type Handler = (ctx: {
  token: string;
  params: Record<string, unknown>;
  files: Record<string, Upload>;
  res: ServerResponse;
}) => Promise<{ result: unknown; description?: string }> | { result: unknown; description?: string };

interface Upload {
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

const DEFAULT_EXCLUDED_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const MAX_BODY_BYTES = 52 * 1024 * 1024;
const TOKEN_SHAPE = /^(\d+):[A-Za-z0-9_-]+$/;
const MESSAGE_NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message';
const QUERY_TOO_OLD = 'query is too old and response timeout expired or query ID is invalid';
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const SCOPE_TYPES = new Set([
  'default',
  'all_private_chats',
  'all_group_chats',
  'all_chat_administrators',
  'chat',
  'chat_administrators',
  'chat_member',
]);
const BUTTON_ACTIONS = [
  'callback_data',
  'url',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'callback_game',
  'pay',
  'web_app',
  'copy_text',
];

/** The account Telegram posts anonymous group admins' messages from. */
const GROUP_ANONYMOUS_BOT: TgUser = {
  id: 1087968824,
  is_bot: true,
  first_name: 'Group',
  username: 'GroupAnonymousBot',
};

function makeToken(botId: number): string {
  return `${botId}:AA${randomBytes(33).toString('base64url').slice(0, 33)}`;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

function int(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : Number.NaN;
}

function bool(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}

function json(v: unknown, what: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw bad(`can't parse ${what} JSON object`);
  }
}

function inlineRows(markup: ReplyMarkup | undefined): InlineButton[][] {
  return markup && Array.isArray(markup.inline_keyboard) ? markup.inline_keyboard : [];
}

/** The keyboard as it is shown: an empty inline keyboard is no keyboard. */
function effectiveMarkup(markup: ReplyMarkup | undefined): ReplyMarkup | undefined {
  if (!markup) return undefined;
  if ('inline_keyboard' in markup && inlineRows(markup).every((row) => row.length === 0)) return undefined;
  return markup;
}

/** Validates reply_markup as the Bot API does. */
function parseMarkup(raw: unknown): ReplyMarkup | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const markup = json(raw, 'reply keyboard markup');
  if (typeof markup !== 'object' || markup === null || Array.isArray(markup))
    throw bad("can't parse reply keyboard markup JSON object");
  const m = markup as ReplyMarkup;
  if (!('inline_keyboard' in m)) return m;
  const rows = m.inline_keyboard as unknown;
  const arrayOfArrays = 'Field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays';
  if (!Array.isArray(rows)) throw bad(arrayOfArrays);
  let count = 0;
  for (const row of rows) {
    if (!Array.isArray(row)) throw bad(arrayOfArrays);
    for (const button of row as unknown[]) {
      count++;
      if (typeof button !== 'object' || button === null)
        throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
      const b = button as Record<string, unknown>;
      if (typeof b.text !== 'string')
        throw bad('can\'t parse inline keyboard button: Field "text" must be of type String');
      const actions = BUTTON_ACTIONS.filter((k) => b[k] !== undefined);
      if (actions.length === 0)
        throw bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      if (b.callback_data !== undefined) {
        const data = typeof b.callback_data === 'string' ? b.callback_data : String(b.callback_data);
        const bytes = Buffer.byteLength(data, 'utf8');
        if (bytes < 1 || bytes > 64) throw bad('BUTTON_DATA_INVALID');
      }
      if (b.url !== undefined) {
        const url = String(b.url);
        let ok = false;
        try {
          ok = ['http:', 'https:', 'tg:'].includes(new URL(url).protocol);
        } catch {}
        if (!ok) throw bad(`inline keyboard button URL '${url}' is invalid: Wrong HTTP URL`);
      }
    }
  }
  if (count > 100) throw bad('reply markup is too long');
  return m;
}

function parseMultipart(
  body: Buffer,
  boundary: string,
): { fields: Record<string, string>; files: Record<string, Upload> } {
  const fields: Record<string, string> = {};
  const files: Record<string, Upload> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing `--boundary--`
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers: Record<string, string> = {};
      for (const line of part.subarray(0, headerEnd).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const content = part.subarray(headerEnd + 4);
      const disposition = headers['content-disposition'] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      if (name !== undefined) {
        if (filename !== undefined)
          files[name] = { filename, contentType: headers['content-type'], data: Buffer.from(content) };
        else fields[name] = content.toString('utf8');
      }
    }
    pos = next;
  }
  return { fields, files };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'Request Entity Too Large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

async function readParams(
  req: IncomingMessage,
  query: URLSearchParams,
): Promise<{ params: Record<string, unknown>; files: Record<string, Upload> }> {
  const params: Record<string, unknown> = Object.fromEntries(query);
  let files: Record<string, Upload> = {};
  const body = await readBody(req);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (body.length === 0) return { params, files };
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw bad("can't parse JSON encoded request body");
    }
    if (typeof parsed === 'object' && parsed !== null) Object.assign(params, parsed);
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(String(req.headers['content-type']));
    if (!boundary) throw bad("can't parse multipart/form-data request body");
    const parsed = parseMultipart(body, (boundary[1] ?? boundary[2] ?? '').trim());
    Object.assign(params, parsed.fields);
    files = parsed.files;
  }
  return { params, files };
}

function updateType(update: Record<string, unknown>): string {
  return Object.keys(update).find((k) => k !== 'update_id') ?? 'unknown';
}

function snapshot(e: Entry): BotMessage {
  const markup = effectiveMarkup(e.reply_markup);
  return {
    message_id: e.messageId,
    chat_id: e.chatId,
    kind: e.kind,
    text: e.text,
    visibleText: e.visibleText,
    parse_mode: e.parse_mode,
    entities: e.entities.map((x) => ({ ...x })),
    reply_markup: markup ? structuredClone(markup) : undefined,
    buttons: inlineRows(markup).flat(),
    protect_content: e.protect_content,
    date: Math.floor(e.date / 1000),
    edits: e.edits.map((x) => ({ ...x })),
    deleted: e.deleted,
    caption: e.caption,
    document: e.document,
    params: e.params,
  };
}

// ---------------------------------------------------------------------------------------------

class Emulator implements TelegramEmulator {
  url = '';
  readonly token: string;
  readonly botId: number;
  readonly botUsername: string;
  readonly server: TelegramServer;
  readonly documents: SentDocument[] = [];
  readonly commands: CommandsRecord[] = [];
  readonly callbackAnswers: CallbackAnswer[] = [];
  readonly rejected: Rejection[] = [];
  readonly calls: ApiCall[] = [];

  readonly #s: ServerInternals;
  readonly #http = createServer((req, res) => this.#route(req, res));
  readonly #botName: string;
  readonly #knownChatsOnly: boolean;
  readonly #privacyMode: boolean;
  readonly #webhookRetryMs: number;
  #clockOffset = 0;
  #rateLimit = { remaining: 0, retryAfter: 0 };
  #closed = false;
  #serial: Promise<unknown> = Promise.resolve();
  readonly #abort = new AbortController();
  readonly #chats = new Map<number, ChatState>();
  readonly #blocked = new Set<number>();
  readonly #journal = new Map<string, Entry>();
  readonly #order: Entry[] = [];
  readonly #callbacks = new Map<string, CallbackRecord>();
  readonly #tokens = new Map<string, TokenState>();

  constructor(options: EmulatorOptions) {
    this.token = options.token ?? makeToken(7_000_000_000 + Math.floor(Math.random() * 1_000_000));
    const match = TOKEN_SHAPE.exec(this.token);
    if (!match) throw new Error(`emulator token must look like "<digits>:<letters>", got ${this.token}`);
    this.botId = Number(match[1]);
    this.botUsername = options.botUsername ?? 'paired_checkin_test_bot';
    this.#botName = options.botName ?? 'Check-in Test Bot';
    this.#knownChatsOnly = options.knownChatsOnly ?? true;
    this.#privacyMode = options.privacyMode ?? true;
    this.#webhookRetryMs = options.webhookRetryMs ?? 200;
    // storeTimeout only matters to the emulator's clean-up daemon, which runs from its own
    // start(); this module listens itself, so nothing is ever dropped behind a test's back.
    this.server = new TelegramServer({ host: '127.0.0.1', port: 1, storeTimeout: 3600 });
    this.#s = this.server as unknown as ServerInternals;
    for (const event of ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'])
      this.#s.on(event, () => this.#wakeAll());
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.#http.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    // TelegramServer.normalizeConfig turns port 0 into 9000, so the real port is set afterwards:
    // its own client (server.getClient) then talks to this server too.
    this.#s.config.port = port;
    this.#s.config.apiURL = this.url;
  }

  // --- test-facing API ----------------------------------------------------------------------

  newToken(): string {
    return makeToken(7_000_000_000 + Math.floor(Math.random() * 1_000_000));
  }

  now(): number {
    return Date.now() + this.#clockOffset;
  }

  advanceTime(ms: number): void {
    this.#clockOffset += ms;
  }

  rateLimitNext(n: number, retryAfterSeconds: number): void {
    this.#rateLimit = { remaining: n, retryAfter: retryAfterSeconds };
  }

  block(chatId: number): void {
    this.#blocked.add(chatId);
    this.#chatMemberUpdate(chatId, 'kicked');
  }

  unblock(chatId: number): void {
    if (this.#blocked.delete(chatId)) this.#chatMemberUpdate(chatId, 'member');
  }

  messages(chatId?: number, token = this.token): BotMessage[] {
    return this.#order
      .filter((e) => e.fromBot && e.token === token && (chatId === undefined || e.chatId === chatId))
      .map(snapshot);
  }

  currentCommands(
    scope: Record<string, unknown> = { type: 'default' },
    languageCode = '',
    token = this.token,
  ) {
    return this.#tokenState(token).commands.get(`${JSON.stringify(scope)}|${languageCode}`)?.commands ?? [];
  }

  pendingUpdates(token = this.token): number {
    return this.#s.storage.userMessages.filter((u) => u.botToken === token && !u.isRead).length;
  }

  async waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(`emulator.waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  user(
    id: number,
    info: { first_name: string; username?: string; last_name?: string; started?: boolean },
    token = this.token,
  ): TestUser {
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error('a user id is a positive integer');
    const user: TgUser = { id, is_bot: false, first_name: info.first_name };
    if (info.last_name !== undefined) user.last_name = info.last_name;
    if (info.username !== undefined) user.username = info.username;
    user.language_code = 'en';
    const chat: TgChat = { id, type: 'private', first_name: info.first_name };
    if (info.last_name !== undefined) chat.last_name = info.last_name;
    if (info.username !== undefined) chat.username = info.username;
    const state = this.#chats.get(id) ?? {
      chat,
      user,
      started: new Set<string>(),
      members: new Map(),
      botStatus: 'member' as const,
    };
    this.#chats.set(id, state);
    if (info.started) state.started.add(token);
    const self: TestUser = {
      id,
      user,
      chat,
      sendText: (text) => this.#userMessage(token, chat, user, text),
      sendCommand: (command, args) => this.#userMessage(token, chat, user, ...this.#command(command, args)),
      pressButton: (messageId, data, opts) =>
        this.#press(token, chat, user, messageId, data, opts?.force ?? false),
      messages: () => this.messages(id, token),
      waitForMessages: (count, timeoutMs) =>
        this.waitFor(() => {
          const all = this.messages(id, token);
          return all.filter((m) => !m.deleted).length >= count ? all : undefined;
        }, timeoutMs),
      documents: () => this.documents.filter((d) => d.chat_id === id),
      callbackAnswers: () => this.callbackAnswers.filter((a) => a.user_id === id),
    };
    return self;
  }

  group(
    chatId: number,
    title: string,
    opts: { type?: 'group' | 'supergroup' } = {},
    token = this.token,
  ): TestGroup {
    if (!Number.isSafeInteger(chatId) || chatId >= 0)
      throw new Error('a group chat id is a negative integer');
    const chat: TgChat = { id: chatId, type: opts.type ?? 'group', title };
    const state: ChatState = this.#chats.get(chatId) ?? {
      chat,
      started: new Set<string>(),
      members: new Map(),
      botStatus: 'member',
    };
    this.#chats.set(chatId, state);
    const join = (u: TestUser) => {
      if (!state.members.has(u.id)) state.members.set(u.id, { status: 'member', extra: {} });
    };
    return {
      id: chatId,
      chat,
      sendTextAs: (u, text) => {
        join(u);
        return this.#userMessage(token, chat, u.user, text);
      },
      sendCommandAs: (u, command, args, o) => {
        join(u);
        const name = o?.mention ? `${command}@${this.botUsername}` : command;
        return this.#userMessage(token, chat, u.user, ...this.#command(name, args));
      },
      sendCommandAsAnonymousAdmin: (command, args) =>
        this.#userMessage(token, chat, GROUP_ANONYMOUS_BOT, ...this.#command(command, args), chat),
      pressButtonAs: (u, messageId, data, o) => {
        join(u);
        return this.#press(token, chat, u.user, messageId, data, o?.force ?? false);
      },
      setMember: (u, status, extra = {}) => {
        state.members.set(u.id, { status, extra });
      },
      setBotStatus: (status) => {
        state.botStatus = status;
      },
      migrateToSupergroup: (newChatId) => {
        const next = this.group(newChatId, title, { type: 'supergroup' }, token);
        const moved = this.#chats.get(newChatId)!;
        for (const [id, m] of state.members) moved.members.set(id, m);
        moved.botStatus = state.botStatus;
        state.migratedTo = newChatId;
        return next;
      },
      messages: () => this.messages(chatId, token),
      waitForMessages: (count, timeoutMs) =>
        this.waitFor(() => {
          const all = this.messages(chatId, token);
          return all.filter((m) => !m.deleted).length >= count ? all : undefined;
        }, timeoutMs),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const state of this.#tokens.values()) {
      state.waiter?.resolve([]);
      state.waiter = undefined;
      state.webhook = undefined;
    }
    this.#abort.abort();
    await new Promise((r) => setImmediate(r)); // let the ended long polls answer first
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }

  // --- user side -----------------------------------------------------------------------------

  #command(command: string, args?: string): [string, Record<string, unknown>[]] {
    const cmd = command.startsWith('/') ? command : `/${command}`;
    const text = args ? `${cmd} ${args}` : cmd;
    return [text, [{ type: 'bot_command', offset: 0, length: cmd.length }]];
  }

  /** Runs user-side additions one at a time: the emulator reads its counters before an await. */
  #queue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(task, task);
    this.#serial = run.catch(() => {});
    return run;
  }

  #userMessage(
    token: string,
    chat: TgChat,
    from: TgUser,
    text: string,
    entities?: Record<string, unknown>[],
    senderChat?: TgChat,
  ): Promise<SentUpdate> {
    return this.#queue(async () => {
      if (this.#closed) throw new Error('emulator is closed');
      const messageId = this.#s.messageId;
      const message: Record<string, unknown> = {
        message_id: messageId,
        from,
        chat,
        date: Math.floor(this.now() / 1000),
        text,
        botToken: token,
      };
      if (entities) message.entities = entities;
      if (senderChat) message.sender_chat = senderChat;
      const updateId = this.#s.updateId;
      const heard = chat.type === 'private' || this.#hears(token, chat, text);
      if (!heard) this.#s.messageId++;
      else if (entities) await this.#s.addUserCommand(message);
      else await this.#s.addUserMessage(message);
      const state = this.#chats.get(chat.id);
      if (state && chat.type === 'private') state.started.add(token);
      this.#record({
        token,
        chatId: chat.id,
        messageId,
        fromBot: false,
        fromUserId: from.id,
        date: this.now(),
        kind: 'text',
        text,
        visibleText: text,
        parse_mode: undefined,
        entities: [],
        reply_markup: undefined,
        protect_content: false,
        caption: undefined,
        document: undefined,
        edits: [],
        deleted: false,
        params: {},
      });
      return { update_id: heard ? updateId : -1, message_id: messageId };
    });
  }

  /** Whether the bot receives a group message at all (privacy mode, see EmulatorOptions). */
  #hears(token: string, chat: TgChat, text: string): boolean {
    if (!this.#privacyMode || this.#chats.get(chat.id)?.botStatus === 'administrator') return true;
    return text.startsWith('/') || text.includes(`@${this.#botUser(token).username}`);
  }

  #press(
    token: string,
    chat: TgChat,
    from: TgUser,
    messageId: number,
    data: string,
    force: boolean,
  ): Promise<PressedButton> {
    return this.#queue(async () => {
      if (this.#closed) throw new Error('emulator is closed');
      const entry = this.#journal.get(`${token}|${chat.id}|${messageId}`);
      if (!force) {
        if (!entry?.fromBot) throw new Error(`no bot message ${messageId} in chat ${chat.id} to press`);
        if (entry.deleted) throw new Error(`message ${messageId} in chat ${chat.id} was deleted`);
        const buttons = inlineRows(entry.reply_markup).flat();
        if (!buttons.some((b) => b.callback_data === data))
          throw new Error(
            `message ${messageId} has no button with callback_data ${JSON.stringify(data)} (it has ${JSON.stringify(
              buttons.map((b) => b.callback_data),
            )})`,
          );
      }
      const callbackId = this.#s.callbackId;
      const updateId = this.#s.updateId;
      const message =
        entry && !entry.deleted
          ? this.#messageResult(entry)
          : { message_id: messageId, chat, date: 0, from: this.#botUser(token) };
      await this.#s.addUserCallback({
        botToken: token,
        from,
        message,
        data,
        chat_instance: String(4_000_000_000_000_000 + Math.abs(chat.id)),
        date: Math.floor(this.now() / 1000),
      });
      this.#callbacks.set(String(callbackId), {
        token,
        from,
        chatId: chat.id,
        messageId,
        data,
        answered: false,
      });
      const state = this.#chats.get(chat.id);
      if (state && chat.type === 'private') state.started.add(token);
      return { update_id: updateId, callback_query_id: String(callbackId) };
    });
  }

  #chatMemberUpdate(chatId: number, status: 'kicked' | 'member'): void {
    const state = this.#chats.get(chatId);
    if (!state?.user || state.chat.type !== 'private') return;
    const bot = this.#botUser(this.token);
    const old = status === 'kicked' ? 'member' : 'kicked';
    const update: StoredUpdate = {
      time: this.now(),
      botToken: this.token,
      updateId: this.#s.updateId,
      messageId: 0,
      isRead: false,
      myChatMember: {
        chat: state.chat,
        from: state.user,
        date: Math.floor(this.now() / 1000),
        old_chat_member: { user: bot, status: old, ...(old === 'kicked' ? { until_date: 0 } : {}) },
        new_chat_member: { user: bot, status, ...(status === 'kicked' ? { until_date: 0 } : {}) },
      },
    };
    void this.#s.addUserUpdate(update).then(() => this.#wakeAll());
  }

  // --- HTTP -----------------------------------------------------------------------------------

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const bot = /^\/bot([^/]+)\/([A-Za-z_]+)\/?$/.exec(url.pathname);
    if (!bot) {
      // Everything that is not the Bot API: the emulator's own routes, unchanged.
      this.#s.webServer(req, res);
      return;
    }
    void this.#handle(req, res, decodeURIComponent(bot[1]!), bot[2]!, url.searchParams);
  }

  async #handle(
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
    rawMethod: string,
    query: URLSearchParams,
  ): Promise<void> {
    let params: Record<string, unknown> = {};
    const method = this.#canonical(rawMethod);
    const send = (status: number, body: Record<string, unknown>) => {
      this.calls.push({ method, token, params, status });
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const read = await readParams(req, query);
      params = read.params;
      if (!TOKEN_SHAPE.test(token)) throw new ApiError(401, 'Unauthorized');
      const handler = this.#handlers[method.toLowerCase()];
      if (!handler) throw new ApiError(404, 'Not Found');
      const out = await handler({ token, params, files: read.files, res });
      const body: Record<string, unknown> = { ok: true, result: out.result };
      if (out.description) body.description = out.description;
      send(200, body);
    } catch (error) {
      const e =
        error instanceof ApiError
          ? error
          : new ApiError(
              500,
              `Internal Server Error: ${error instanceof Error ? error.message : String(error)}`,
            );
      const chat = int(params.chat_id);
      const rejection: Rejection = {
        method,
        status: e.status,
        description: e.description,
        chat_id: chat !== undefined && Number.isFinite(chat) ? chat : undefined,
        params,
      };
      if (typeof e.parameters?.retry_after === 'number') rejection.retry_after = e.parameters.retry_after;
      this.rejected.push(rejection);
      const body: Record<string, unknown> = { ok: false, error_code: e.status, description: e.description };
      if (e.parameters) body.parameters = e.parameters;
      send(e.status, body);
    }
  }

  #canonical(method: string): string {
    return this.#names.get(method.toLowerCase()) ?? method;
  }

  readonly #names = new Map<string, string>();

  readonly #handlers: Record<string, Handler> = this.#register({
    getMe: ({ token }) => ({
      result: {
        ...this.#botUser(token),
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: false,
        has_main_web_app: false,
      },
    }),
    getUpdates: ({ token, params, res }) => this.#getUpdates(token, params, res),
    setWebhook: ({ token, params }) => this.#setWebhook(token, params),
    deleteWebhook: ({ token, params }) => {
      const state = this.#tokenState(token);
      const had = state.webhook !== undefined;
      state.webhook = undefined;
      if (bool(params.drop_pending_updates)) this.#confirm(token, Number.MAX_SAFE_INTEGER);
      return { result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' };
    },
    getWebhookInfo: ({ token }) => {
      const state = this.#tokenState(token);
      const result: Record<string, unknown> = {
        url: state.webhook?.url ?? '',
        has_custom_certificate: false,
        pending_update_count: this.pendingUpdates(token),
      };
      if (state.webhook && state.lastWebhookError) {
        result.last_error_date = state.lastWebhookError.date;
        result.last_error_message = state.lastWebhookError.message;
      }
      if (state.allowed) result.allowed_updates = [...state.allowed];
      return { result };
    },
    sendMessage: ({ token, params }) => this.#sendMessage(token, params),
    sendDocument: ({ token, params, files }) => this.#sendDocument(token, params, files),
    editMessageText: ({ token, params }) => this.#editMessageText(token, params),
    editMessageReplyMarkup: ({ token, params }) => this.#editMessageReplyMarkup(token, params),
    deleteMessage: ({ token, params }) => this.#deleteMessage(token, params),
    answerCallbackQuery: ({ token, params }) => this.#answerCallbackQuery(token, params),
    sendChatAction: ({ token, params }) => {
      this.#chatFor(token, params);
      if (!CHAT_ACTIONS.has(String(params.action))) throw bad('wrong parameter action in request');
      return { result: true };
    },
    setMyCommands: ({ token, params }) => this.#setMyCommands(token, params),
    getMyCommands: ({ token, params }) => {
      const { key } = this.#commandsKey(params);
      return { result: this.#tokenState(token).commands.get(key)?.commands ?? [] };
    },
    deleteMyCommands: ({ token, params }) => {
      const { key } = this.#commandsKey(params);
      this.#tokenState(token).commands.delete(key);
      return { result: true };
    },
    getChat: ({ params }) => {
      const state = this.#known(params);
      const result: Record<string, unknown> = { ...state.chat };
      if (state.chat.type !== 'private') result.permissions = { can_send_messages: true };
      return { result };
    },
    getChatMember: ({ token, params }) => this.#getChatMember(token, params),
    getChatAdministrators: ({ token, params }) => this.#getChatAdministrators(token, params),
    getChatMemberCount: ({ params }) => this.#getChatMemberCount(params),
    // The old name, which Telegram still answers.
    getChatMembersCount: ({ params }) => this.#getChatMemberCount(params),
  });

  #register(handlers: Record<string, Handler>): Record<string, Handler> {
    const out: Record<string, Handler> = {};
    for (const [name, handler] of Object.entries(handlers)) {
      out[name.toLowerCase()] = handler;
      this.#names.set(name.toLowerCase(), name);
    }
    return out;
  }

  // --- state helpers --------------------------------------------------------------------------

  #tokenState(token: string): TokenState {
    let state = this.#tokens.get(token);
    if (!state) {
      state = {
        allowed: null,
        waiter: undefined,
        webhook: undefined,
        delivering: false,
        lastWebhookError: undefined,
        commands: new Map(),
      };
      this.#tokens.set(token, state);
    }
    return state;
  }

  #botUser(token: string): TgUser {
    const id = Number(TOKEN_SHAPE.exec(token)?.[1] ?? 0);
    return token === this.token
      ? { id, is_bot: true, first_name: this.#botName, username: this.botUsername }
      : { id, is_bot: true, first_name: `Bot ${id}`, username: `bot${id}_bot` };
  }

  #record(entry: Entry): void {
    this.#journal.set(`${entry.token}|${entry.chatId}|${entry.messageId}`, entry);
    this.#order.push(entry);
  }

  /** The chat a known chat_id names, or Telegram's 400. */
  #known(params: Record<string, unknown>): ChatState {
    if (params.chat_id === undefined || params.chat_id === '') throw bad('chat_id is empty');
    const id = int(params.chat_id);
    const state = id !== undefined && Number.isSafeInteger(id) ? this.#chats.get(id) : undefined;
    if (state) return state;
    if (!this.#knownChatsOnly && id !== undefined && Number.isSafeInteger(id) && id !== 0) {
      const chat: TgChat =
        id > 0
          ? { id, type: 'private', first_name: `User ${id}` }
          : { id, type: 'group', title: `Group ${id}` };
      const created: ChatState = { chat, started: new Set(), members: new Map(), botStatus: 'member' };
      if (id > 0) created.user = { id, is_bot: false, first_name: `User ${id}` };
      this.#chats.set(id, created);
      return created;
    }
    throw bad('chat not found');
  }

  /** The chat a bot may act in now, or Telegram's 400/403. */
  #chatFor(token: string, params: Record<string, unknown>): ChatState {
    const state = this.#known(params);
    const { chat } = state;
    if (state.migratedTo !== undefined) {
      throw new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: state.migratedTo,
      });
    }
    if (this.#blocked.has(chat.id))
      throw new ApiError(
        403,
        chat.type === 'private'
          ? 'Forbidden: bot was blocked by the user'
          : 'Forbidden: bot was kicked from the group chat',
      );
    if (chat.type === 'private' && this.#knownChatsOnly && !state.started.has(token))
      throw new ApiError(403, "Forbidden: bot can't initiate conversation with a user");
    return state;
  }

  #rateLimitCheck(): void {
    if (this.#rateLimit.remaining <= 0) return;
    this.#rateLimit.remaining--;
    const retry = this.#rateLimit.retryAfter;
    throw new ApiError(429, `Too Many Requests: retry after ${retry}`, { retry_after: retry });
  }

  /** Parses text/caption as the Bot API would, returning what is stored and shown. */
  #parseText(
    raw: string | undefined,
    parseMode: unknown,
    kind: 'text' | 'caption',
  ): { text: string; visible: string; entities: ParsedEntity[]; parse_mode: string | undefined } {
    const text = raw ?? '';
    const mode = str(parseMode);
    let visible = text;
    let entities: ParsedEntity[] = [];
    if (mode !== undefined && mode !== '') {
      const lower = mode.toLowerCase();
      if (lower === 'html') {
        const parsed = parseTelegramHtml(text);
        if (!parsed.ok) throw bad(parsed.error);
        visible = parsed.text;
        entities = parsed.entities;
      } else if (lower !== 'markdown' && lower !== 'markdownv2') {
        throw bad('unsupported parse_mode');
      }
    }
    const trimmed = trimVisible(visible, entities);
    // Telegram counts Unicode scalars here (an emoji is one), though entity offsets are UTF-16.
    const length = Array.from(trimmed.text).length;
    if (kind === 'text') {
      if (length === 0) throw bad('message text is empty');
      if (length > 4096) throw bad('message is too long');
    } else if (length > 1024) throw bad('message caption is too long');
    return { text, visible: trimmed.text, entities: trimmed.entities, parse_mode: mode || undefined };
  }

  #messageResult(e: Entry): Record<string, unknown> {
    const chat = this.#chats.get(e.chatId)?.chat ?? { id: e.chatId, type: 'private' };
    const from = e.fromBot
      ? this.#botUser(e.token)
      : (this.#chats.get(e.fromUserId ?? 0)?.user ?? { id: e.fromUserId, is_bot: false, first_name: 'User' });
    const result: Record<string, unknown> = {
      message_id: e.messageId,
      from,
      chat,
      date: Math.floor(e.date / 1000),
    };
    if (e.edits.length > 0) result.edit_date = Math.floor(this.now() / 1000);
    if (e.kind === 'text') result.text = e.visibleText;
    if (e.kind === 'document' && e.document) {
      result.document = {
        file_id: `BQAC${e.token.length}${e.messageId}`,
        file_unique_id: `AgAD${e.messageId}`,
        file_name: e.document.filename,
        mime_type: e.document.mime_type,
        file_size: e.document.bytes.length,
      };
      if (e.visibleText) result.caption = e.visibleText;
    }
    if (e.entities.length > 0) result[e.kind === 'text' ? 'entities' : 'caption_entities'] = e.entities;
    const markup = effectiveMarkup(e.reply_markup);
    if (markup && 'inline_keyboard' in markup) result.reply_markup = markup;
    if (e.protect_content) result.has_protected_content = true;
    return result;
  }

  #findForEdit(token: string, params: Record<string, unknown>): Entry {
    if (params.inline_message_id !== undefined) throw bad('message to edit not found');
    const state = this.#chatFor(token, params);
    const id = int(params.message_id);
    if (id === undefined) throw bad('message identifier is not specified');
    const entry = this.#journal.get(`${token}|${state.chat.id}|${id}`);
    if (!entry || entry.deleted) throw bad('message to edit not found');
    if (!entry.fromBot) throw bad("message can't be edited");
    return entry;
  }

  // --- methods --------------------------------------------------------------------------------

  #sendMessage(token: string, params: Record<string, unknown>) {
    this.#rateLimitCheck();
    const state = this.#chatFor(token, params);
    const parsed = this.#parseText(str(params.text), params.parse_mode, 'text');
    const markup = parseMarkup(params.reply_markup);
    this.#checkReply(token, state, params);
    const stored: Record<string, unknown> = { ...params, chat_id: state.chat.id, text: parsed.text };
    if (markup) stored.reply_markup = markup;
    const { message_id } = this.#s.addBotMessage(stored, token);
    const entry: Entry = {
      token,
      chatId: state.chat.id,
      messageId: message_id,
      fromBot: true,
      fromUserId: undefined,
      date: this.now(),
      kind: 'text',
      text: parsed.text,
      visibleText: parsed.visible,
      parse_mode: parsed.parse_mode,
      entities: parsed.entities,
      reply_markup: markup,
      protect_content: bool(params.protect_content),
      caption: undefined,
      document: undefined,
      edits: [],
      deleted: false,
      params,
    };
    this.#record(entry);
    return { result: this.#messageResult(entry) };
  }

  #checkReply(token: string, state: ChatState, params: Record<string, unknown>): void {
    const reply = json(params.reply_parameters, 'reply parameters') as Record<string, unknown> | undefined;
    const replyTo = int(reply?.message_id ?? params.reply_to_message_id);
    if (replyTo === undefined) return;
    const target = this.#journal.get(`${token}|${state.chat.id}|${replyTo}`);
    const allow = bool(reply?.allow_sending_without_reply ?? params.allow_sending_without_reply);
    if ((!target || target.deleted) && !allow) throw bad('message to be replied not found');
  }

  #sendDocument(token: string, params: Record<string, unknown>, files: Record<string, Upload>) {
    this.#rateLimitCheck();
    const state = this.#chatFor(token, params);
    const upload = files.document;
    const reference = upload ? undefined : str(params.document);
    if (!upload && !reference) throw bad('there is no document in the request');
    if (upload && upload.data.length === 0) throw bad('file must be non-empty');
    if (upload && upload.data.length > 50 * 1024 * 1024) throw new ApiError(413, 'Request Entity Too Large');
    const caption = str(params.caption);
    const parsed = caption === undefined ? undefined : this.#parseText(caption, params.parse_mode, 'caption');
    const markup = parseMarkup(params.reply_markup);
    this.#checkReply(token, state, params);
    const stored: Record<string, unknown> = { ...params, chat_id: state.chat.id };
    delete stored.document;
    if (markup) stored.reply_markup = markup;
    const { message_id } = this.#s.addBotMessage(stored, token);
    const filename =
      upload?.filename ?? (reference && !reference.includes('/') ? undefined : reference?.split('/').pop());
    const document: SentDocument = {
      chat_id: state.chat.id,
      message_id,
      filename,
      mime_type:
        upload?.contentType ?? (filename?.endsWith('.txt') ? 'text/plain' : 'application/octet-stream'),
      caption,
      parse_mode: str(params.parse_mode),
      protect_content: bool(params.protect_content),
      bytes: upload?.data ?? Buffer.alloc(0),
    };
    if (reference) document.reference = reference;
    this.documents.push(document);
    const entry: Entry = {
      token,
      chatId: state.chat.id,
      messageId: message_id,
      fromBot: true,
      fromUserId: undefined,
      date: this.now(),
      kind: 'document',
      text: undefined,
      visibleText: parsed?.visible,
      parse_mode: parsed?.parse_mode,
      entities: parsed?.entities ?? [],
      reply_markup: markup,
      protect_content: document.protect_content,
      caption,
      document,
      edits: [],
      deleted: false,
      params: { ...params, document: upload ? `<upload ${filename}>` : reference },
    };
    this.#record(entry);
    return { result: this.#messageResult(entry) };
  }

  #editMessageText(token: string, params: Record<string, unknown>) {
    const entry = this.#findForEdit(token, params);
    if (entry.kind !== 'text') throw bad('there is no text in the message to edit');
    const parsed = this.#parseText(str(params.text), params.parse_mode, 'text');
    // As on Telegram, an edit without reply_markup removes the inline keyboard.
    const markup = parseMarkup(params.reply_markup);
    if (markup && !('inline_keyboard' in markup)) throw bad('inline keyboard expected');
    const same =
      parsed.visible === entry.visibleText &&
      JSON.stringify(parsed.entities) === JSON.stringify(entry.entities) &&
      JSON.stringify(effectiveMarkup(markup) ?? null) ===
        JSON.stringify(effectiveMarkup(entry.reply_markup) ?? null);
    if (same) throw bad(MESSAGE_NOT_MODIFIED);
    entry.edits.push({ text: entry.text, parse_mode: entry.parse_mode, reply_markup: entry.reply_markup });
    entry.text = parsed.text;
    entry.visibleText = parsed.visible;
    entry.entities = parsed.entities;
    entry.parse_mode = parsed.parse_mode;
    entry.reply_markup = markup;
    this.#s.editMessageText({
      chat_id: entry.chatId,
      message_id: entry.messageId,
      text: parsed.text,
      parse_mode: parsed.parse_mode,
      reply_markup: markup,
    });
    return { result: this.#messageResult(entry) };
  }

  #editMessageReplyMarkup(token: string, params: Record<string, unknown>) {
    const entry = this.#findForEdit(token, params);
    const markup = parseMarkup(params.reply_markup);
    if (markup && !('inline_keyboard' in markup)) throw bad('inline keyboard expected');
    if (
      JSON.stringify(effectiveMarkup(markup) ?? null) ===
      JSON.stringify(effectiveMarkup(entry.reply_markup) ?? null)
    )
      throw bad(MESSAGE_NOT_MODIFIED);
    entry.edits.push({ text: entry.text, parse_mode: entry.parse_mode, reply_markup: entry.reply_markup });
    entry.reply_markup = markup;
    this.#s.editMessageReplyMarkup({
      chat_id: entry.chatId,
      message_id: entry.messageId,
      reply_markup: markup ?? { inline_keyboard: [] },
    });
    return { result: this.#messageResult(entry) };
  }

  #deleteMessage(token: string, params: Record<string, unknown>) {
    const state = this.#chatFor(token, params);
    const id = int(params.message_id);
    if (id === undefined) throw bad('message identifier is not specified');
    const entry = this.#journal.get(`${token}|${state.chat.id}|${id}`);
    if (!entry || entry.deleted) throw bad('message to delete not found');
    if (this.now() - entry.date >= 48 * 3600 * 1000) throw bad("message can't be deleted");
    if (!entry.fromBot && state.chat.type !== 'private' && state.botStatus !== 'administrator')
      throw bad("message can't be deleted");
    entry.deleted = true;
    this.#s.deleteMessage(state.chat.id, id);
    return { result: true };
  }

  #answerCallbackQuery(token: string, params: Record<string, unknown>) {
    const id = str(params.callback_query_id);
    const query = id === undefined ? undefined : this.#callbacks.get(id);
    if (!query || query.token !== token || query.answered) throw bad(QUERY_TOO_OLD);
    query.answered = true;
    this.callbackAnswers.push({
      callback_query_id: id!,
      data: query.data,
      user_id: query.from.id,
      message_id: query.messageId,
      text: str(params.text),
      show_alert: bool(params.show_alert),
      url: str(params.url),
      cache_time: int(params.cache_time),
    });
    return { result: true };
  }

  #commandsKey(params: Record<string, unknown>): {
    key: string;
    scope: Record<string, unknown>;
    lang: string;
  } {
    const scope = (json(params.scope, 'bot command scope') as Record<string, unknown> | undefined) ?? {
      type: 'default',
    };
    if (typeof scope !== 'object' || !SCOPE_TYPES.has(String(scope.type)))
      throw bad('unsupported bot command scope type');
    const lang = str(params.language_code) ?? '';
    if (lang !== '' && !/^[a-z]{2}$/.test(lang)) throw bad('invalid language code specified');
    return { key: `${JSON.stringify(scope)}|${lang}`, scope, lang };
  }

  #setMyCommands(token: string, params: Record<string, unknown>) {
    const commands = json(params.commands, 'bot commands');
    if (!Array.isArray(commands)) throw bad('field "commands" must be an Array');
    if (commands.length > 100) throw bad('too many commands specified');
    const clean: CommandsRecord['commands'] = [];
    for (const c of commands as Record<string, unknown>[]) {
      const command = String(c?.command ?? '');
      const description = String(c?.description ?? '');
      if (!/^[a-z0-9_]{1,32}$/.test(command)) throw bad('BOT_COMMAND_INVALID');
      if (description.trim().length === 0 || description.length > 256)
        throw bad('BOT_COMMAND_DESCRIPTION_INVALID');
      clean.push({ command, description });
    }
    const { key, scope, lang } = this.#commandsKey(params);
    const record: CommandsRecord = { commands: clean, scope, language_code: lang };
    this.commands.push(record);
    if (clean.length === 0) this.#tokenState(token).commands.delete(key);
    else this.#tokenState(token).commands.set(key, record);
    return { result: true };
  }

  #memberResult(user: TgUser, status: MemberStatus, extra: Record<string, unknown> = {}) {
    const base: Record<string, unknown> = { user, status };
    if (status === 'creator') base.is_anonymous = false;
    if (status === 'administrator')
      Object.assign(base, {
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: true,
        can_manage_video_chats: true,
        can_restrict_members: true,
        can_promote_members: false,
        can_change_info: true,
        can_invite_users: true,
      });
    if (status === 'kicked') base.until_date = 0;
    return { ...base, ...extra };
  }

  #getChatMember(token: string, params: Record<string, unknown>) {
    const state = this.#known(params);
    const userId = int(params.user_id);
    if (userId === undefined || !Number.isSafeInteger(userId)) throw bad('user not found');
    const bot = this.#botUser(token);
    if (userId === bot.id) return { result: this.#memberResult(bot, state.botStatus) };
    if (state.chat.type === 'private') {
      if (userId !== state.chat.id || !state.user) throw bad('user not found');
      return { result: this.#memberResult(state.user, this.#blocked.has(userId) ? 'kicked' : 'member') };
    }
    const user = this.#chats.get(userId)?.user;
    if (!user) throw bad('user not found');
    const member = state.members.get(userId);
    return { result: this.#memberResult(user, member?.status ?? 'left', member?.extra) };
  }

  #getChatMemberCount(params: Record<string, unknown>) {
    const state = this.#known(params);
    if (state.chat.type === 'private') return { result: state.started.size > 0 ? 2 : 1 };
    const present = new Set<MemberStatus>(['creator', 'administrator', 'member']);
    let n = 1; // the bot
    for (const m of state.members.values()) if (present.has(m.status) || m.extra.is_member === true) n++;
    return { result: n };
  }

  #getChatAdministrators(token: string, params: Record<string, unknown>) {
    const state = this.#known(params);
    if (state.chat.type === 'private') throw bad('there are no administrators in the private chat');
    const admins: Record<string, unknown>[] = [];
    for (const status of ['creator', 'administrator'] as const) {
      for (const [userId, member] of state.members) {
        const user = this.#chats.get(userId)?.user;
        if (user && member.status === status) admins.push(this.#memberResult(user, status, member.extra));
      }
    }
    if (state.botStatus === 'administrator')
      admins.push(this.#memberResult(this.#botUser(token), 'administrator'));
    return { result: admins };
  }

  // --- updates: long polling, offsets, allowed_updates, webhooks ------------------------------

  #format(u: StoredUpdate): Record<string, unknown> {
    if (u.callbackQuery) {
      const q = u.callbackQuery;
      const query: Record<string, unknown> = {
        id: String(u.callbackId),
        from: q.from,
        message: q.message,
        chat_instance: q.chat_instance ?? String(4_000_000_000_000_000 + u.callbackId!),
      };
      if (q.data !== undefined) query.data = q.data;
      return { update_id: u.updateId, callback_query: query };
    }
    if (u.myChatMember) return { update_id: u.updateId, my_chat_member: u.myChatMember };
    const { botToken: _token, ...message } = u.message ?? {};
    return { update_id: u.updateId, message: { ...message, message_id: u.messageId } };
  }

  /** A chat that wrote through the emulator's own client API becomes known here too. */
  #noteInbound(u: StoredUpdate): void {
    const message = u.message;
    const chat = message?.chat as TgChat | undefined;
    if (!message || !chat || typeof chat.id !== 'number' || this.#chats.has(chat.id)) return;
    const from = message.from as TgUser | undefined;
    const state: ChatState = {
      chat,
      started: new Set([u.botToken]),
      members: new Map(),
      botStatus: 'member',
    };
    if (chat.type === 'private' && from) state.user = from;
    this.#chats.set(chat.id, state);
  }

  /** Confirms (as Telegram does) every update below `offset`. */
  #confirm(token: string, offset: number): void {
    for (const u of this.#s.storage.userMessages)
      if (u.botToken === token && u.updateId < offset) u.isRead = true;
  }

  #collect(token: string, offset: number, limit: number): Record<string, unknown>[] {
    const state = this.#tokenState(token);
    const out: Record<string, unknown>[] = [];
    const pending = this.#s.storage.userMessages
      .filter((u) => u.botToken === token && !u.isRead && u.updateId >= offset)
      .sort((a, b) => a.updateId - b.updateId);
    for (const u of pending) {
      const update = this.#format(u);
      const type = updateType(update);
      const allowed = state.allowed ? state.allowed.has(type) : !DEFAULT_EXCLUDED_UPDATES.has(type);
      if (!allowed) {
        u.isRead = true; // Telegram never creates updates of a type the bot did not ask for.
        continue;
      }
      this.#noteInbound(u);
      out.push(update);
      if (out.length >= limit) break;
    }
    return out;
  }

  #setAllowed(token: string, raw: unknown): void {
    if (raw === undefined || raw === null || raw === '') return;
    const list = json(raw, 'allowed updates');
    if (!Array.isArray(list)) throw bad("can't parse allowed updates JSON object");
    this.#tokenState(token).allowed = list.length === 0 ? null : new Set(list.map(String));
  }

  async #getUpdates(token: string, params: Record<string, unknown>, res: ServerResponse) {
    const state = this.#tokenState(token);
    if (state.webhook)
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    let offset = int(params.offset) ?? 0;
    const limit = Math.min(100, Math.max(1, int(params.limit) ?? 100));
    const timeout = Math.max(0, int(params.timeout) ?? 0);
    if (Number.isNaN(offset) || Number.isNaN(limit) || Number.isNaN(timeout))
      throw bad('wrong parameter in request');
    this.#setAllowed(token, params.allowed_updates);
    if (offset < 0) {
      // The last -offset updates; everything before them is forgotten.
      const pending = this.#s.storage.userMessages.filter((u) => u.botToken === token && !u.isRead);
      const keep = pending.slice(offset);
      offset = keep[0]?.updateId ?? Number.MAX_SAFE_INTEGER;
    }
    this.#confirm(token, offset);
    // A newer getUpdates ends the one still waiting, as on Telegram.
    if (state.waiter) {
      state.waiter.reject(
        new ApiError(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        ),
      );
      state.waiter = undefined;
    }
    const ready = this.#collect(token, offset, limit);
    if (ready.length > 0 || timeout === 0 || this.#closed) return { result: ready };
    const result = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => finish(() => resolve([])), timeout * 1000);
      const waiter: Waiter = {
        offset,
        limit,
        resolve: (r) => finish(() => resolve(r)),
        reject: (e) => finish(() => reject(e)),
      };
      const finish = (action: () => void) => {
        clearTimeout(timer);
        res.off('close', onClose);
        if (state.waiter === waiter) state.waiter = undefined;
        action();
      };
      const onClose = () => finish(() => resolve([]));
      res.on('close', onClose);
      state.waiter = waiter;
    });
    return { result };
  }

  #wakeAll(): void {
    for (const [token, state] of this.#tokens) {
      const waiter = state.waiter;
      if (waiter) {
        const ready = this.#collect(token, waiter.offset, waiter.limit);
        if (ready.length > 0) waiter.resolve(ready);
      }
      if (state.webhook) void this.#deliver(token);
    }
  }

  #setWebhook(token: string, params: Record<string, unknown>) {
    const state = this.#tokenState(token);
    const url = str(params.url) ?? '';
    if (url === '') {
      const had = state.webhook !== undefined;
      state.webhook = undefined;
      return { result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' };
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad('invalid webhook URL specified');
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    // Telegram insists on HTTPS; plain HTTP is let through to the local machine only, for tests.
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback))
      throw bad('bad webhook: An HTTPS URL must be provided for webhook');
    const secret = str(params.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret))
      throw bad('secret token contains unallowed characters');
    this.#setAllowed(token, params.allowed_updates);
    if (bool(params.drop_pending_updates)) this.#confirm(token, Number.MAX_SAFE_INTEGER);
    if (state.waiter) {
      state.waiter.reject(new ApiError(409, 'Conflict: terminated by setWebhook request'));
      state.waiter = undefined;
    }
    state.webhook = { url, secret };
    state.lastWebhookError = undefined;
    setImmediate(() => void this.#deliver(token));
    return { result: true, description: 'Webhook was set' };
  }

  /** Posts pending updates to the webhook one at a time, in order; retries until it answers 2xx. */
  async #deliver(token: string): Promise<void> {
    const state = this.#tokenState(token);
    if (state.delivering) return;
    state.delivering = true;
    try {
      while (!this.#closed && state.webhook) {
        const hook = state.webhook;
        const update = this.#collect(token, 0, 1)[0];
        if (!update) break;
        try {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (hook.secret) headers['x-telegram-bot-api-secret-token'] = hook.secret;
          const response = await fetch(hook.url, {
            method: 'POST',
            headers,
            body: JSON.stringify(update),
            signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(10_000)]),
          });
          await response.arrayBuffer();
          if (response.ok) {
            this.#confirm(token, Number(update.update_id) + 1);
            continue;
          }
          state.lastWebhookError = {
            date: Math.floor(this.now() / 1000),
            message: `Wrong response from the webhook: ${response.status} ${response.statusText}`,
          };
        } catch (error) {
          if (this.#closed) return;
          state.lastWebhookError = {
            date: Math.floor(this.now() / 1000),
            message: `Connection failed: ${error instanceof Error ? error.message : String(error)}`,
          };
        }
        await new Promise((r) => setTimeout(r, this.#webhookRetryMs));
      }
    } finally {
      state.delivering = false;
    }
  }
}

/**
 * Starts the telegram-test-api emulator behind a strict Bot API front on 127.0.0.1 (a free port).
 * Stop the bot (bot.stop()) before close(), or its next long poll meets a closed port.
 */
export async function startTelegramEmulator(options: EmulatorOptions = {}): Promise<TelegramEmulator> {
  const emulator = new Emulator(options);
  await emulator.listen();
  return emulator;
}
