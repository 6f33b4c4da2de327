import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { snowflake } from './snowflake.ts';
import {
  ApiError,
  assertNotEmpty,
  FormErrors,
  isObj,
  type Json,
  MessageFlag,
  validateCommands,
  validateMessageFields,
  validateModal,
} from './validate.ts';

// A small, strict stand-in for Discord that the REAL discord.js talks to (DESIGN.md, "Testing"):
// one node:http server on 127.0.0.1 answers the REST API under /api/v10 and upgrades to the
// gateway (v10, JSON) on the same port. discord.js learns the gateway URL from
// `GET /gateway/bot`, so a client needs only `rest: { api: server.apiUrl }`:
//
//   new Client({ intents, partials: [Partials.Channel], rest: { api: server.apiUrl } })
//   await client.login(server.token)
//
// It answers like Discord where the bot could go wrong: Discord's limits and error codes
// (validate.ts), the 3-second acknowledgement window, double acknowledgements, follow-ups before
// any acknowledgement, closed DMs, 429s with the headers @discordjs/rest obeys, gateway close
// codes. Tests drive it with helpers that dispatch realistic events (dmMessage, slashCommand,
// buttonPress, selectMenu, modalSubmit) and read what the bot did (calls, messages,
// interactionResponses, commands, identifies, rejected).

export interface DiscordServerOptions {
  /** The bot token; a fresh, realistically shaped one when omitted. */
  token?: string;
  /** The bot user's (and application's) id; a fresh snowflake when omitted. */
  botId?: string;
  /** Default 'checkin-test-bot'. */
  botUsername?: string;
  /** HELLO's heartbeat_interval; default 41250 as Discord. Use e.g. 1000 to see heartbeats soon. */
  heartbeatIntervalMs?: number;
  /** Time allowed between dispatching INTERACTION_CREATE and the callback; default 3000. */
  ackWindowMs?: number;
  /** How long an interaction token serves follow-ups and edits; default 15 minutes. */
  interactionTokenTtlMs?: number;
  /**
   * Privileged intents enabled for the application in the developer portal (bitfield of
   * GuildMembers 1<<1, GuildPresences 1<<8, MessageContent 1<<15). Default 0: identifying
   * with any of them closes the gateway with 4014 "Disallowed intent(s)", as Discord does.
   */
  privilegedIntents?: number;
  /**
   * Count requests per rate-limit bucket and answer 429 when one is exceeded (messages: 5 per
   * 5 s per channel, as Discord). Default false: headers are sent but never reach 0.
   */
  enforceRateLimits?: boolean;
  /** slashCommand() throws for a command the bot has not registered; default true. */
  requireRegisteredCommands?: boolean;
  /** Largest accepted upload per file; default 10 MiB (Discord's limit without boosts). */
  maxFileBytes?: number;
}

export interface DiscordUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
  public_flags?: number;
}

/** A user as the helpers accept it: a full DiscordUser or just an id (and name). */
export type UserLike = DiscordUser | { id: string; username?: string; global_name?: string | null };

export interface RecordedFile {
  /** The multipart field name, e.g. `files[0]`. */
  field: string;
  filename: string;
  contentType: string;
  size: number;
  bytes: Buffer;
}

export interface RestCall {
  at: number;
  method: string;
  /** The path after `/api/v10`, without the query, e.g. `/channels/123/messages`. */
  path: string;
  /** The route template, e.g. `POST /channels/:channelId/messages`, or '' if none matched. */
  route: string;
  query: Record<string, string>;
  /** The JSON body, or for multipart the parsed `payload_json`. */
  body: unknown;
  files: RecordedFile[];
  status: number;
  response: unknown;
}

export interface BotAttachment {
  id: string;
  filename: string;
  size: number;
  content_type: string;
  description?: string;
  bytes: Buffer;
  url: string;
}

/** A bot message as it stands now, with edits applied. */
export interface MessageVersion {
  at: number;
  content: string;
  embeds: Json[];
  components: Json[];
  flags: number;
  attachments: string[];
}

export interface BotMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: Json[];
  components: Json[];
  /** Message flags, e.g. 64 ephemeral, 128 loading (a deferred reply not yet edited). */
  flags: number;
  ephemeral: boolean;
  attachments: BotAttachment[];
  timestamp: string;
  edited_timestamp: string | null;
  /** How many edits were applied after creation. */
  edits: number;
  /** Every state the message has had, creation first: what the user could have seen. */
  versions: MessageVersion[];
  /** The interaction this message answers (reply, deferred reply or follow-up), if any. */
  interaction_id: string | null;
  message_reference: Json | null;
  type: number;
}

export interface InteractionAttempt {
  at: number;
  /** Milliseconds between the INTERACTION_CREATE dispatch and this callback. */
  delayMs: number;
  type: number | null;
  data: unknown;
  status: number;
  code: number | null;
}

export interface InteractionRecord {
  id: string;
  token: string;
  /** The interaction type: 2 command, 3 component, 5 modal submit. */
  type: number;
  userId: string;
  channelId: string;
  dispatchedAt: number;
  /** The accepted callback (4 reply, 5 deferred reply, 6 deferred update, 7 update, 9 modal). */
  callback: { type: number; data: unknown; at: number; delayMs: number } | null;
  /** Every callback attempt, accepted or not. */
  attempts: InteractionAttempt[];
  /** The message @original refers to now (reply, deferred reply, or the updated component's message). */
  original: BotMessage | null;
  /** Bodies of the PATCHes to @original. */
  originalEdits: unknown[];
  /** Follow-up messages as they stand now (the first one after a deferred reply is @original). */
  followUps: BotMessage[];
  /** The modal shown (callback type 9), with the component ids Discord assigned. */
  modal: Json | null;
}

export interface RegisteredCommand {
  id: string;
  application_id: string;
  version: string;
  guild_id?: string;
  type: number;
  name: string;
  description: string;
  options?: Json[];
  default_member_permissions: string | null;
  nsfw: boolean;
  integration_types: number[];
  contexts: number[] | null;
  [other: string]: unknown;
}

export interface CommandSet {
  at: number;
  guildId: string | null;
  body: unknown;
  commands: RegisteredCommand[];
}

export interface IdentifyRecord {
  at: number;
  intents: number;
  properties: Json;
  shard: unknown;
  compress: unknown;
  large_threshold: unknown;
  presence: unknown;
  /** The close code if the server refused it, else null. */
  closedWith: number | null;
}

export interface ResumeRecord {
  at: number;
  session_id: unknown;
  seq: unknown;
  resumed: boolean;
  replayed: number;
}

export interface SentInteraction {
  id: string;
  token: string;
  payload: Json;
  /** The gateway sequence number it went out with (null if no live connection). */
  s: number | null;
}

export interface InteractionWhere {
  guildId?: string;
  channelId?: string;
  /** 0 guild, 1 bot DM, 2 private channel (user-installed app). Default: 0 with a guildId, else 1. */
  context?: 0 | 1 | 2;
  locale?: string;
}

export interface DiscordServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** `${url}/api`, for `new Client({ rest: { api: server.apiUrl } })`. */
  readonly apiUrl: string;
  /** ws://127.0.0.1:<port>, what GET /gateway/bot answers. */
  readonly gatewayUrl: string;
  readonly token: string;
  readonly bot: DiscordUser;
  readonly applicationId: string;
  /** The acknowledgement window; may be changed between tests. */
  ackWindowMs: number;

  readonly calls: readonly RestCall[];
  /** Every call answered with a status >= 300. */
  readonly rejected: readonly RestCall[];
  readonly identifies: readonly IdentifyRecord[];
  readonly resumes: readonly ResumeRecord[];
  /** Heartbeats received (each answered with HEARTBEAT_ACK). */
  readonly heartbeats: number;
  /** The current global command set. */
  readonly commands: readonly RegisteredCommand[];
  /** Every bulk overwrite, global and guild, in order. */
  readonly commandSets: readonly CommandSet[];
  guildCommands(guildId: string): readonly RegisteredCommand[];
  /** The bot's messages in a channel, oldest first, edits applied, deleted ones gone. */
  messages(channelId: string): BotMessage[];
  interactionResponses(interactionId: string): InteractionRecord;
  dmChannelOf(userId: string): string | undefined;

  /** Registers (or returns) a user the helpers and REST can refer to. */
  user(username: string, id?: string): DiscordUser;
  /**
   * Sets up a server: its name and member count (GET /guilds/:id?with_counts=true), and whether
   * the app is installed to it (bot scope). A server nobody set up is installed, as before.
   * Installed false: the app can only be used there as a user-installed app; it cannot post in
   * its channels, and guild-only commands are not offered.
   */
  guild(guildId: string, setup?: { name?: string; memberCount?: number; installed?: boolean }): void;
  /** A text channel in a server, with a name; returns its id. */
  guildChannel(guildId: string, name?: string): string;
  /** A member's permissions in a server's channels (default: an ordinary member's). */
  setMemberPermissions(guildId: string, userId: string, permissions: bigint): void;
  /** The app's permissions in one channel (default: what an installed bot usually has). */
  setAppPermissions(channelId: string, permissions: bigint): void;
  /**
   * A server admin lets everyone use a command whatever its default_member_permissions
   * (Server Settings > Integrations). Without it, slashCommand() refuses, as Discord does, a
   * command whose default permissions the member lacks.
   */
  allowCommandForEveryone(guildId: string, name: string): void;
  /** The user has closed DMs: messages to their DM channel answer 403 50007. */
  blockDms(userId: string): void;
  unblockDms(userId: string): void;
  /**
   * The next n message POSTs answer 429 (retry_after seconds, full X-RateLimit headers).
   * scope 'channel' (default): POST /channels/:id/messages; 'webhook': interaction follow-ups.
   */
  rateLimitNext(n: number, retryAfterSeconds: number, scope?: 'channel' | 'webhook' | 'any'): void;

  /** Sends a dispatch to every live session; returns its sequence number, null if filtered by intents. */
  dispatch(t: string, d: unknown): number | null;
  /** A user writes to the bot in DMs (MESSAGE_CREATE); returns the message payload. */
  dmMessage(user: UserLike, text: string, extra?: Json): Json;
  slashCommand(
    user: UserLike,
    name: string,
    options?: Record<string, string | number | boolean> | Json[],
    where?: InteractionWhere,
  ): SentInteraction;
  buttonPress(user: UserLike, message: BotMessage | string, customId: string): SentInteraction;
  selectMenu(
    user: UserLike,
    message: BotMessage | string,
    customId: string,
    values: string[],
  ): SentInteraction;
  /** Submits the modal with this custom_id last shown to the user; values by text input custom_id. */
  modalSubmit(user: UserLike, customId: string, values: Record<string, string | string[]>): SentInteraction;

  /** Sends op 7 RECONNECT; discord.js reconnects and RESUMEs. */
  requestReconnect(): void;
  /** Sends op 9 INVALID_SESSION; when not resumable the session is forgotten. */
  invalidateSession(resumable?: boolean): void;
  /** Closes gateway connections with a code (default: drop without a close frame). */
  disconnect(code?: number): void;
  /** Resolves once a session is READY (at once if one is). */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Polls fn until it returns something truthy. */
  waitFor<T>(fn: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------

const Intent = {
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;
const PRIVILEGED = Intent.GuildMembers | Intent.GuildPresences | Intent.MessageContent;
const VALID_INTENTS = [...Array.from({ length: 17 }, (_, i) => i), 20, 21, 24, 25].reduce(
  (a, b) => a | (1 << b),
  0,
);

const Perm = {
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseExternalEmojis: 1n << 18n,
  UseApplicationCommands: 1n << 31n,
} as const;
const DM_PERMISSIONS = Object.values(Perm)
  .reduce((a, b) => a | b, 0n)
  .toString();
const PRIVATE_CHANNEL_PERMISSIONS = (Perm.EmbedLinks | Perm.AttachFiles | Perm.UseExternalEmojis).toString();
/** What an ordinary member, and an installed bot, may do in a server channel (no Manage Channels). */
const GUILD_MEMBER_PERMISSIONS = '2248473465835073';
const GUILD_APP_PERMISSIONS = '2248473465835073';

const CLOSE_REASONS: Record<number, string> = {
  4001: 'Unknown opcode.',
  4002: 'Error while decoding payload.',
  4003: 'Not authenticated.',
  4004: 'Authentication failed.',
  4005: 'Already authenticated.',
  4008: 'Rate limited.',
  4010: 'Invalid shard.',
  4012: 'Invalid API version.',
  4013: 'Invalid intent(s).',
  4014: 'Disallowed intent(s).',
};

const EDITABLE_FLAGS = MessageFlag.SuppressEmbeds;
const CREATE_FLAGS =
  MessageFlag.SuppressEmbeds |
  MessageFlag.SuppressNotifications |
  MessageFlag.IsVoiceMessage |
  MessageFlag.IsComponentsV2;

const notFound = () => new ApiError(404, { message: '404: Not Found', code: 0 });
const unknownChannel = () => new ApiError(404, { message: 'Unknown Channel', code: 10003 });
const unknownMessage = () => new ApiError(404, { message: 'Unknown Message', code: 10008 });
const unknownWebhook = () => new ApiError(404, { message: 'Unknown Webhook', code: 10015 });
const unknownInteraction = () => new ApiError(404, { message: 'Unknown interaction', code: 10062 });
const invalidWebhookToken = () => new ApiError(401, { message: 'Invalid Webhook Token', code: 50027 });
const missingAccess = () => new ApiError(403, { message: 'Missing Access', code: 50001 });

interface Channel {
  id: string;
  type: 0 | 1;
  recipientIds: string[];
  guildId: string | null;
  /** A guild channel's name. */
  name?: string;
  /** The app's permissions in a guild channel, when set. */
  appPermissions?: string;
  /** False for a DM between users where a user-installed app is invoked (context 2). */
  botIsMember: boolean;
  lastMessageId: string | null;
}

interface StoredMessage {
  id: string;
  channel_id: string;
  author: DiscordUser;
  content: string;
  embeds: Json[];
  components: Json[];
  flags: number;
  attachments: BotAttachment[];
  timestamp: string;
  edited_timestamp: string | null;
  type: number;
  tts: boolean;
  message_reference: Json | null;
  interactionId: string | null;
  /** Who may see an ephemeral message. */
  visibleTo: string | null;
  deleted: boolean;
  edits: number;
  versions: MessageVersion[];
  extra: Json;
}

interface InteractionState {
  id: string;
  token: string;
  type: number;
  user: DiscordUser;
  channelId: string;
  guildId: string | null;
  context: number;
  dispatchedAt: number;
  commandName: string | null;
  messageId: string | null;
  callback: InteractionRecord['callback'];
  attempts: InteractionAttempt[];
  originalId: string | null;
  originalLoading: boolean;
  followUpIds: string[];
  originalEdits: unknown[];
  modal: Json | null;
  payload: Json;
}

interface ShownModal {
  user: DiscordUser;
  customId: string;
  modal: Json;
  messageId: string | null;
  channelId: string;
  guildId: string | null;
  context: 0 | 1 | 2;
  submitted: boolean;
}

interface Session {
  id: string;
  intents: number;
  shard: [number, number];
  seq: number;
  events: { s: number; t: string; d: unknown }[];
  conn: Conn | null;
  alive: boolean;
}

interface Conn {
  ws: WebSocket;
  session: Session | null;
  received: number[];
}

interface Where {
  channel: Channel;
  guildId: string | null;
  context: 0 | 1 | 2;
  locale: string;
}

interface Bucket {
  limit: number;
  windowMs: number;
  /** Route parameter that splits the bucket (Discord's "major parameter"). */
  major?: string;
  /** Which rateLimitNext() scope forces 429s here. */
  forced?: 'channel' | 'webhook';
}

interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: RecordedFile[];
}

interface Reply {
  status: number;
  body?: unknown;
}

interface Route {
  method: string;
  name: string;
  regex: RegExp;
  auth: boolean;
  bucket: Bucket | null;
  handler: (ctx: RequestContext) => Reply | Promise<Reply>;
}

const DEFAULT_BUCKET: Bucket = { limit: 50, windowMs: 1000 };

function randomToken(botId: string): string {
  const a = Buffer.from(botId).toString('base64url');
  const b = randomBytes(4).toString('base64url');
  const c = randomBytes(28).toString('base64url');
  return `${a}.${b}.${c}`;
}

function normalizeUser(u: UserLike): DiscordUser {
  return {
    id: u.id,
    username: ('username' in u && u.username) || `user${u.id.slice(-4)}`,
    global_name: ('global_name' in u ? u.global_name : null) ?? null,
    discriminator: '0',
    avatar: null,
    ...('bot' in u && u.bot ? { bot: true } : {}),
    public_flags: 0,
  };
}

/** Gives every component without one the numeric `id` Discord assigns (depth-first from 1). */
function assignComponentIds(components: unknown): Json[] {
  if (!Array.isArray(components)) return [];
  const list = structuredClone(components) as Json[];
  const used = new Set<number>();
  const walk = (c: unknown, visit: (c: Json) => void) => {
    if (!isObj(c)) return;
    visit(c);
    if (Array.isArray(c.components)) for (const k of c.components) walk(k, visit);
    if (isObj(c.accessory)) walk(c.accessory, visit);
    if (isObj(c.component)) walk(c.component, visit);
  };
  for (const c of list)
    walk(c, (x) => {
      if (typeof x.id === 'number') used.add(x.id);
    });
  let next = 1;
  for (const c of list)
    walk(c, (x) => {
      if (typeof x.id === 'number') return;
      while (used.has(next)) next++;
      x.id = next;
      used.add(next);
    });
  return list;
}

function findComponent(components: unknown, pred: (c: Json) => boolean): Json | null {
  if (!Array.isArray(components)) return null;
  for (const c of components) {
    if (!isObj(c)) continue;
    if (pred(c)) return c;
    const inner =
      findComponent(c.components, pred) ??
      (isObj(c.accessory) && pred(c.accessory) ? c.accessory : null) ??
      (isObj(c.component) && pred(c.component) ? c.component : null);
    if (inner) return inner;
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function parseBody(
  contentType: string | undefined,
  buf: Buffer,
): Promise<{ body: unknown; files: RecordedFile[] }> {
  const invalidJson = () =>
    new ApiError(400, { message: 'The request body contains invalid JSON.', code: 50109 });
  if (buf.length === 0) return { body: undefined, files: [] };
  const ct = contentType ?? '';
  if (ct.startsWith('multipart/form-data')) {
    const form = await new Response(buf, { headers: { 'content-type': ct } }).formData();
    const files: RecordedFile[] = [];
    let body: unknown;
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') {
          try {
            body = JSON.parse(value);
          } catch {
            throw invalidJson();
          }
        }
        continue;
      }
      const bytes = Buffer.from(await value.arrayBuffer());
      files.push({
        field,
        filename: value.name,
        contentType: value.type || 'application/octet-stream',
        size: bytes.length,
        bytes,
      });
    }
    return { body, files };
  }
  if (ct.startsWith('application/json')) {
    try {
      return { body: JSON.parse(buf.toString('utf8')), files: [] };
    } catch {
      throw invalidJson();
    }
  }
  return { body: buf.toString('utf8'), files: [] };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

class FakeDiscord implements DiscordServer {
  url = '';
  apiUrl = '';
  gatewayUrl = '';
  readonly token: string;
  readonly bot: DiscordUser;
  readonly applicationId: string;
  ackWindowMs: number;

  readonly calls: RestCall[] = [];
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  readonly commandSets: CommandSet[] = [];
  heartbeats = 0;

  private readonly http = createServer((req, res) => {
    void this.onRequest(req, res);
  });
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly heartbeatIntervalMs: number;
  private readonly tokenTtlMs: number;
  private readonly privilegedIntents: number;
  private readonly enforceRateLimits: boolean;
  private readonly requireRegistered: boolean;
  private readonly maxFileBytes: number;
  private readonly routes: Route[] = [];

  private readonly users = new Map<string, DiscordUser>();
  private readonly channels = new Map<string, Channel>();
  private readonly dmChannels = new Map<string, string>();
  private readonly guildChannels = new Map<string, string>();
  private readonly guilds = new Map<string, { name: string; memberCount: number; installed: boolean }>();
  private readonly memberPermissions = new Map<string, string>();
  private readonly commandOverrides = new Set<string>();
  private readonly blocked = new Set<string>();
  private readonly store = new Map<string, StoredMessage>();
  private readonly interactions = new Map<string, InteractionState>();
  private readonly byToken = new Map<string, InteractionState>();
  private readonly modals: ShownModal[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly conns = new Set<Conn>();
  private readonly buckets = new Map<string, { start: number; count: number }>();
  private readonly readyWaiters = new Set<() => void>();
  private globalCommands: RegisteredCommand[] = [];
  private readonly guildCommandSets = new Map<string, RegisteredCommand[]>();
  private forced: { n: number; retryAfter: number; scope: 'channel' | 'webhook' | 'any' } = {
    n: 0,
    retryAfter: 0,
    scope: 'channel',
  };
  private sessionStarts = 0;
  private closed = false;

  constructor(opts: DiscordServerOptions) {
    const botId = opts.botId ?? snowflake();
    this.applicationId = botId;
    this.bot = {
      id: botId,
      username: opts.botUsername ?? 'checkin-test-bot',
      global_name: null,
      discriminator: '0',
      avatar: null,
      bot: true,
      public_flags: 0,
    };
    this.users.set(botId, this.bot);
    this.token = opts.token ?? randomToken(botId);
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 41_250;
    this.ackWindowMs = opts.ackWindowMs ?? 3000;
    this.tokenTtlMs = opts.interactionTokenTtlMs ?? 15 * 60_000;
    this.privilegedIntents = opts.privilegedIntents ?? 0;
    this.enforceRateLimits = opts.enforceRateLimits ?? false;
    this.requireRegistered = opts.requireRegisteredCommands ?? true;
    this.maxFileBytes = opts.maxFileBytes ?? 10 * 1024 * 1024;
    this.defineRoutes();
    this.http.on('upgrade', (req, socket, head) => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      if (u.pathname !== '/') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, u.searchParams));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    const { port } = this.http.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${port}`;
  }

  // -------------------------------------------------------------------------------------------
  // Records

  get rejected(): RestCall[] {
    return this.calls.filter((c) => c.status >= 300);
  }

  get commands(): RegisteredCommand[] {
    return this.globalCommands;
  }

  guildCommands(guildId: string): RegisteredCommand[] {
    return this.guildCommandSets.get(guildId) ?? [];
  }

  messages(channelId: string): BotMessage[] {
    return [...this.store.values()]
      .filter((m) => m.channel_id === channelId && !m.deleted && m.author.id === this.bot.id)
      .map((m) => this.view(m));
  }

  interactionResponses(interactionId: string): InteractionRecord {
    const st = this.interactions.get(interactionId);
    if (!st) throw new Error(`no interaction ${interactionId} was dispatched`);
    const msg = (id: string | null) => {
      const m = id ? this.store.get(id) : undefined;
      return m && !m.deleted ? this.view(m) : null;
    };
    return {
      id: st.id,
      token: st.token,
      type: st.type,
      userId: st.user.id,
      channelId: st.channelId,
      dispatchedAt: st.dispatchedAt,
      callback: st.callback,
      attempts: st.attempts,
      original: msg(st.originalId),
      originalEdits: st.originalEdits,
      followUps: st.followUpIds.map(msg).filter((m): m is BotMessage => m !== null),
      modal: st.modal,
    };
  }

  dmChannelOf(userId: string): string | undefined {
    return this.dmChannels.get(userId);
  }

  private view(m: StoredMessage): BotMessage {
    return {
      id: m.id,
      channel_id: m.channel_id,
      content: m.content,
      embeds: m.embeds,
      components: m.components,
      flags: m.flags,
      ephemeral: (m.flags & MessageFlag.Ephemeral) !== 0,
      attachments: m.attachments,
      timestamp: m.timestamp,
      edited_timestamp: m.edited_timestamp,
      edits: m.edits,
      versions: m.versions,
      interaction_id: m.interactionId,
      message_reference: m.message_reference,
      type: m.type,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Users and channels

  guild(guildId: string, setup: { name?: string; memberCount?: number; installed?: boolean } = {}): void {
    const have = this.guildOf(guildId);
    this.guilds.set(guildId, {
      name: setup.name ?? have.name,
      memberCount: setup.memberCount ?? have.memberCount,
      installed: setup.installed ?? have.installed,
    });
  }

  private guildOf(guildId: string): { name: string; memberCount: number; installed: boolean } {
    return this.guilds.get(guildId) ?? { name: 'Test server', memberCount: 5, installed: true };
  }

  guildChannel(guildId: string, name = 'check-ins'): string {
    const ch = this.ensureGuildChannel(guildId, snowflake());
    ch.name = name;
    return ch.id;
  }

  setMemberPermissions(guildId: string, userId: string, permissions: bigint): void {
    this.memberPermissions.set(`${guildId}:${userId}`, permissions.toString());
  }

  allowCommandForEveryone(guildId: string, name: string): void {
    this.commandOverrides.add(`${guildId}:${name}`);
  }

  setAppPermissions(channelId: string, permissions: bigint): void {
    const ch = this.channels.get(channelId);
    if (!ch?.guildId) throw new Error(`${channelId} is not a guild channel`);
    ch.appPermissions = permissions.toString();
  }

  user(username: string, id?: string): DiscordUser {
    if (id && this.users.has(id)) return this.users.get(id)!;
    const u = normalizeUser({ id: id ?? snowflake(), username });
    this.users.set(u.id, u);
    return u;
  }

  private known(u: UserLike): DiscordUser {
    const have = this.users.get(u.id);
    if (have) return have;
    const n = normalizeUser(u);
    this.users.set(n.id, n);
    return n;
  }

  blockDms(userId: string): void {
    this.blocked.add(userId);
  }

  unblockDms(userId: string): void {
    this.blocked.delete(userId);
  }

  rateLimitNext(
    n: number,
    retryAfterSeconds: number,
    scope: 'channel' | 'webhook' | 'any' = 'channel',
  ): void {
    this.forced = { n, retryAfter: retryAfterSeconds, scope };
  }

  private ensureDm(userId: string): Channel {
    const existing = this.dmChannels.get(userId);
    if (existing) return this.channels.get(existing)!;
    const ch: Channel = {
      id: snowflake(),
      type: 1,
      recipientIds: [userId],
      guildId: null,
      botIsMember: true,
      lastMessageId: null,
    };
    this.channels.set(ch.id, ch);
    this.dmChannels.set(userId, ch.id);
    return ch;
  }

  private ensureGuildChannel(guildId: string, channelId?: string): Channel {
    const id = channelId ?? this.guildChannels.get(guildId) ?? snowflake();
    const have = this.channels.get(id);
    if (have) {
      if (have.guildId !== guildId) throw new Error(`channel ${id} is not in guild ${guildId}`);
      return have;
    }
    const ch: Channel = { id, type: 0, recipientIds: [], guildId, botIsMember: true, lastMessageId: null };
    this.channels.set(id, ch);
    if (!this.guildChannels.has(guildId)) this.guildChannels.set(guildId, id);
    return ch;
  }

  private channelPayload(ch: Channel, permissions?: string): Json {
    if (ch.type === 1) {
      return {
        id: ch.id,
        type: 1,
        flags: 0,
        last_message_id: ch.lastMessageId,
        recipients: ch.recipientIds.map((id) => this.users.get(id) ?? normalizeUser({ id })),
      };
    }
    return {
      id: ch.id,
      type: 0,
      guild_id: ch.guildId,
      name: ch.name ?? 'check-ins',
      position: 0,
      flags: 0,
      parent_id: null,
      topic: null,
      nsfw: false,
      rate_limit_per_user: 0,
      last_message_id: ch.lastMessageId,
      ...(permissions ? { permissions } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  private toApi(m: StoredMessage): Json {
    return {
      id: m.id,
      type: m.type,
      content: m.content,
      channel_id: m.channel_id,
      author: m.author,
      attachments: m.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        size: a.size,
        url: a.url,
        proxy_url: a.url,
        content_type: a.content_type,
        ...(a.description ? { description: a.description } : {}),
      })),
      embeds: m.embeds,
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: m.tts,
      timestamp: m.timestamp,
      edited_timestamp: m.edited_timestamp,
      flags: m.flags,
      components: m.components,
      ...(m.message_reference ? { message_reference: m.message_reference } : {}),
      ...m.extra,
    };
  }

  /** New attachments from uploaded files, plus kept ones for edits. */
  private attachmentsFor(
    m: { id: string; channel_id: string },
    requested: unknown,
    files: RecordedFile[],
    existing: BotAttachment[],
    errs: FormErrors,
    prefix: readonly string[],
  ): BotAttachment[] {
    if (files.length > 10)
      errs.add([...prefix, 'attachments'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
    for (const f of files) {
      if (f.size > this.maxFileBytes) {
        throw new ApiError(413, { message: 'Request entity too large', code: 40005 });
      }
    }
    const byIndex = new Map<string, RecordedFile>();
    for (const f of files) {
      const idx = /^files\[(\d+)\]$/.exec(f.field)?.[1] ?? f.field;
      byIndex.set(idx, f);
    }
    const make = (f: RecordedFile, meta?: Json): BotAttachment => {
      const id = snowflake();
      const filename = typeof meta?.filename === 'string' ? meta.filename : f.filename;
      return {
        id,
        filename,
        size: f.size,
        content_type: f.contentType,
        ...(typeof meta?.description === 'string' ? { description: meta.description } : {}),
        bytes: f.bytes,
        url: `${this.url}/attachments/${m.channel_id}/${id}/${encodeURIComponent(filename)}`,
      };
    };
    if (!Array.isArray(requested)) {
      return [...existing, ...files.map((f) => make(f))];
    }
    const out: BotAttachment[] = [];
    const used = new Set<RecordedFile>();
    requested.forEach((a, i) => {
      if (!isObj(a)) return;
      const id = String(a.id);
      const kept = existing.find((e) => e.id === id);
      if (kept) {
        out.push(kept);
        return;
      }
      const f = byIndex.get(id);
      if (!f) {
        errs.add([...prefix, 'attachments', i, 'id'], 'ATTACHMENT_NOT_FOUND', 'Unknown attachment');
        return;
      }
      used.add(f);
      out.push(make(f, a));
    });
    for (const f of files) if (!used.has(f)) out.push(make(f));
    return out;
  }

  private createMessage(
    ch: Channel,
    body: unknown,
    files: RecordedFile[],
    opts: { prefix: string[]; allowEphemeral: boolean; interaction?: InteractionState; type?: number },
  ): StoredMessage {
    const b = isObj(body) ? body : {};
    const errs = new FormErrors();
    const rawFlags = typeof b.flags === 'number' ? b.flags : 0;
    const flags = rawFlags & (CREATE_FLAGS | (opts.allowEphemeral ? MessageFlag.Ephemeral : 0));
    const v2 = (flags & MessageFlag.IsComponentsV2) !== 0;
    validateMessageFields(b, errs, opts.prefix, v2);
    const id = snowflake();
    const attachments = this.attachmentsFor(
      { id, channel_id: ch.id },
      b.attachments,
      files,
      [],
      errs,
      opts.prefix,
    );
    let reference: Json | null = null;
    if (isObj(b.message_reference) && b.message_reference.message_id !== undefined) {
      const ref = this.store.get(String(b.message_reference.message_id));
      if (!ref || ref.deleted || ref.channel_id !== ch.id) {
        if (b.message_reference.fail_if_not_exists !== false) {
          errs.add(
            [...opts.prefix, 'message_reference'],
            'MESSAGE_REFERENCE_UNKNOWN_MESSAGE',
            'Unknown message',
          );
        }
      } else {
        reference = {
          type: 0,
          message_id: ref.id,
          channel_id: ch.id,
          ...(ch.guildId ? { guild_id: ch.guildId } : {}),
        };
      }
    }
    errs.throwIfAny();
    const content = typeof b.content === 'string' ? b.content : '';
    const embeds = Array.isArray(b.embeds) ? (b.embeds as Json[]) : [];
    const components = assignComponentIds(b.components);
    assertNotEmpty({
      content,
      embeds,
      components,
      attachments,
      sticker_ids: Array.isArray(b.sticker_ids) ? b.sticker_ids : [],
      poll: b.poll,
    });
    const now = Date.now();
    const st = opts.interaction;
    const m: StoredMessage = {
      id,
      channel_id: ch.id,
      author: this.bot,
      content,
      embeds,
      components,
      flags,
      attachments,
      timestamp: iso(now),
      edited_timestamp: null,
      type: opts.type ?? (reference ? 19 : 0),
      tts: b.tts === true,
      message_reference: reference,
      interactionId: st?.id ?? null,
      visibleTo: flags & MessageFlag.Ephemeral && st ? st.user.id : null,
      deleted: false,
      edits: 0,
      versions: [],
      extra: st ? this.interactionMessageExtra(st) : {},
    };
    this.store.set(m.id, m);
    this.snapshot(m);
    if (!(flags & MessageFlag.Ephemeral)) ch.lastMessageId = m.id;
    return m;
  }

  private interactionMessageExtra(st: InteractionState): Json {
    return {
      webhook_id: this.applicationId,
      application_id: this.applicationId,
      interaction_metadata: {
        id: st.id,
        type: st.type,
        user: st.user,
        authorizing_integration_owners: st.payload.authorizing_integration_owners,
        ...(st.commandName ? { name: st.commandName, command_type: 1 } : {}),
        ...(st.messageId ? { interacted_message_id: st.messageId } : {}),
      },
      interaction: { id: st.id, type: st.type, name: st.commandName ?? '', user: st.user },
    };
  }

  /** Applies an edit body (PATCH semantics: absent fields stay) after validating the result. */
  private editMessage(m: StoredMessage, body: unknown, files: RecordedFile[], prefix: string[]): void {
    const b = isObj(body) ? body : {};
    const errs = new FormErrors();
    let flags = m.flags;
    if (typeof b.flags === 'number') {
      flags = (flags & ~EDITABLE_FLAGS) | (b.flags & EDITABLE_FLAGS) | (b.flags & MessageFlag.IsComponentsV2);
    }
    const v2 = (flags & MessageFlag.IsComponentsV2) !== 0;
    validateMessageFields(b, errs, prefix, v2);
    const attachments = this.attachmentsFor(m, b.attachments, files, m.attachments, errs, prefix);
    errs.throwIfAny();
    const next = {
      content: 'content' in b ? (typeof b.content === 'string' ? b.content : '') : m.content,
      embeds: 'embeds' in b ? (Array.isArray(b.embeds) ? (b.embeds as Json[]) : []) : m.embeds,
      components: 'components' in b ? assignComponentIds(b.components) : m.components,
      attachments,
    };
    const wasLoading = (m.flags & MessageFlag.Loading) !== 0;
    assertNotEmpty(next);
    Object.assign(m, next);
    m.flags = flags & ~MessageFlag.Loading;
    m.edits++;
    this.snapshot(m);
    if (!wasLoading) m.edited_timestamp = iso(Date.now());
  }

  private snapshot(m: StoredMessage): void {
    m.versions.push({
      at: Date.now(),
      content: m.content,
      embeds: m.embeds,
      components: m.components,
      flags: m.flags,
      attachments: m.attachments.map((a) => a.filename),
    });
  }

  private channelForPost(channelId: string): Channel {
    const ch = this.channels.get(channelId);
    if (!ch) throw unknownChannel();
    if (!ch.botIsMember) throw missingAccess();
    if (ch.guildId) {
      // A bot that is not in the server sees nothing of it; one that is needs to see and send.
      if (!this.guildOf(ch.guildId).installed) throw missingAccess();
      const perms = BigInt(ch.appPermissions ?? GUILD_APP_PERMISSIONS);
      if ((perms & (Perm.ViewChannel | Perm.SendMessages)) !== (Perm.ViewChannel | Perm.SendMessages))
        throw new ApiError(403, { message: 'Missing Permissions', code: 50013 });
    }
    return ch;
  }

  private channelMessage(channelId: string, messageId: string): StoredMessage {
    this.channelForPost(channelId);
    const m = this.store.get(messageId);
    if (!m || m.deleted || m.channel_id !== channelId || m.flags & MessageFlag.Ephemeral)
      throw unknownMessage();
    return m;
  }

  // -------------------------------------------------------------------------------------------
  // REST

  private defineRoutes(): void {
    const messageBucket: Bucket = { limit: 5, windowMs: 5000, major: 'channelId' };
    const add = (
      method: string,
      pattern: string,
      handler: Route['handler'],
      opts: { auth?: boolean; bucket?: Bucket | null } = {},
    ) => {
      const source = pattern
        .split('/')
        .map((seg) =>
          seg.startsWith(':') ? `(?<${seg.slice(1)}>[^/]+)` : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/');
      this.routes.push({
        method,
        name: `${method} ${pattern}`,
        regex: new RegExp(`^${source}$`),
        auth: opts.auth ?? true,
        bucket: opts.bucket === undefined ? DEFAULT_BUCKET : opts.bucket,
        handler,
      });
    };

    add('GET', '/gateway', () => ({ status: 200, body: { url: this.gatewayUrl } }), { auth: false });
    add('GET', '/gateway/bot', () => ({
      status: 200,
      body: {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: {
          total: 1000,
          remaining: 1000 - this.sessionStarts,
          reset_after: 86_400_000,
          max_concurrency: 1,
        },
      },
    }));
    add('GET', '/users/@me', () => ({
      status: 200,
      body: { ...this.bot, verified: true, mfa_enabled: false, flags: 0 },
    }));
    add('POST', '/users/@me/channels', ({ body }) => {
      const recipient = isObj(body) ? body.recipient_id : undefined;
      if (typeof recipient !== 'string') {
        const errs = new FormErrors();
        errs.add(['recipient_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
        errs.throwIfAny();
      }
      const id = String(recipient);
      if (!this.users.has(id) || id === this.bot.id) {
        throw new ApiError(400, { message: 'Invalid Recipient(s)', code: 50033 });
      }
      return { status: 200, body: this.channelPayload(this.ensureDm(id)) };
    });
    add('GET', '/users/:userId', ({ params }) => {
      const u = this.users.get(params.userId!);
      if (!u) throw new ApiError(404, { message: 'Unknown User', code: 10013 });
      return { status: 200, body: u };
    });
    add('GET', '/applications/@me', () => ({ status: 200, body: this.applicationPayload() }));
    add('GET', '/guilds/:guildId', ({ params, query }) => {
      const id = params.guildId!;
      const known = this.guilds.has(id) || [...this.channels.values()].some((c) => c.guildId === id);
      if (!known) throw new ApiError(404, { message: 'Unknown Guild', code: 10004 });
      const g = this.guildOf(id);
      if (!g.installed) throw missingAccess();
      const counts =
        query.get('with_counts') === 'true'
          ? {
              approximate_member_count: g.memberCount,
              approximate_presence_count: Math.ceil(g.memberCount / 2),
            }
          : {};
      return {
        status: 200,
        body: {
          id,
          name: g.name,
          icon: null,
          owner_id: this.bot.id,
          roles: [],
          emojis: [],
          features: [],
          ...counts,
        },
      };
    });

    add('GET', '/channels/:channelId', ({ params }) => {
      const ch = this.channels.get(params.channelId!);
      if (!ch) throw unknownChannel();
      if (!ch.botIsMember) throw missingAccess();
      return { status: 200, body: this.channelPayload(ch) };
    });
    add(
      'POST',
      '/channels/:channelId/messages',
      ({ params, body, files }) => {
        const ch = this.channelForPost(params.channelId!);
        if (ch.type === 1 && ch.recipientIds.some((id) => this.blocked.has(id))) {
          throw new ApiError(403, { message: 'Cannot send messages to this user', code: 50007 });
        }
        const m = this.createMessage(ch, body, files, { prefix: [], allowEphemeral: false });
        return { status: 200, body: this.toApi(m) };
      },
      { bucket: { ...messageBucket, forced: 'channel' } },
    );
    add(
      'GET',
      '/channels/:channelId/messages',
      ({ params, query }) => {
        this.channelForPost(params.channelId!);
        const limit = Math.min(100, Number(query.get('limit') ?? 50));
        const list = [...this.store.values()]
          .filter(
            (m) => m.channel_id === params.channelId && !m.deleted && !(m.flags & MessageFlag.Ephemeral),
          )
          .reverse()
          .slice(0, limit)
          .map((m) => this.toApi(m));
        return { status: 200, body: list };
      },
      { bucket: messageBucket },
    );
    add('GET', '/channels/:channelId/messages/:messageId', ({ params }) => ({
      status: 200,
      body: this.toApi(this.channelMessage(params.channelId!, params.messageId!)),
    }));
    add(
      'PATCH',
      '/channels/:channelId/messages/:messageId',
      ({ params, body, files }) => {
        const m = this.channelMessage(params.channelId!, params.messageId!);
        if (m.author.id !== this.bot.id) {
          throw new ApiError(403, { message: 'Cannot edit a message authored by another user', code: 50005 });
        }
        this.editMessage(m, body, files, []);
        return { status: 200, body: this.toApi(m) };
      },
      { bucket: messageBucket },
    );
    add(
      'DELETE',
      '/channels/:channelId/messages/:messageId',
      ({ params }) => {
        const m = this.channelMessage(params.channelId!, params.messageId!);
        const ch = this.channels.get(m.channel_id)!;
        if (m.author.id !== this.bot.id && ch.type === 1) {
          throw new ApiError(403, { message: 'Cannot execute action on a DM channel', code: 50003 });
        }
        m.deleted = true;
        return { status: 204 };
      },
      { bucket: messageBucket },
    );
    add('POST', '/channels/:channelId/typing', ({ params }) => {
      this.channelForPost(params.channelId!);
      return { status: 204 };
    });

    add('POST', '/interactions/:interactionId/:token/callback', (ctx) => this.onCallback(ctx), {
      auth: false,
      bucket: null,
    });
    const webhookBucket: Bucket = { limit: 5, windowMs: 2000, major: 'token' };
    add('POST', '/webhooks/:appId/:token', (ctx) => this.onFollowUp(ctx), {
      auth: false,
      bucket: { ...webhookBucket, forced: 'webhook' },
    });
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      add(
        method,
        '/webhooks/:appId/:token/messages/:messageId',
        (ctx) => this.onWebhookMessage(method, ctx),
        {
          auth: false,
          bucket: webhookBucket,
        },
      );
    }

    add('GET', '/applications/:appId/commands', ({ params }) => {
      this.checkApp(params.appId!);
      return { status: 200, body: this.globalCommands };
    });
    add('PUT', '/applications/:appId/commands', ({ params, body }) => {
      this.checkApp(params.appId!);
      this.globalCommands = this.overwriteCommands(body, null, this.globalCommands);
      return { status: 200, body: this.globalCommands };
    });
    add('GET', '/applications/:appId/guilds/:guildId/commands', ({ params }) => {
      this.checkApp(params.appId!);
      return { status: 200, body: this.guildCommands(params.guildId!) };
    });
    add('PUT', '/applications/:appId/guilds/:guildId/commands', ({ params, body }) => {
      this.checkApp(params.appId!);
      const guildId = params.guildId!;
      const set = this.overwriteCommands(body, guildId, this.guildCommands(guildId));
      this.guildCommandSets.set(guildId, set);
      return { status: 200, body: set };
    });
  }

  private checkApp(appId: string): void {
    if (appId !== this.applicationId)
      throw new ApiError(404, { message: 'Unknown Application', code: 10002 });
  }

  private applicationFlags(): number {
    let flags = 0;
    if (this.privilegedIntents & Intent.GuildPresences) flags |= 1 << 13;
    if (this.privilegedIntents & Intent.GuildMembers) flags |= 1 << 15;
    if (this.privilegedIntents & Intent.MessageContent) flags |= 1 << 19;
    if (this.globalCommands.length > 0) flags |= 1 << 23;
    return flags;
  }

  private applicationPayload(): Json {
    return {
      id: this.applicationId,
      name: this.bot.username,
      icon: null,
      description: '',
      summary: '',
      type: null,
      bot_public: false,
      bot_require_code_grant: false,
      verify_key: createHash('sha256').update(this.applicationId).digest('hex'),
      flags: this.applicationFlags(),
      bot: this.bot,
      owner: { id: '80351110224678912', username: 'owner', discriminator: '0', avatar: null },
      team: null,
      integration_types_config: { 0: {} },
      approximate_guild_count: 0,
      redirect_uris: [],
      interactions_endpoint_url: null,
      tags: [],
    };
  }

  private overwriteCommands(
    body: unknown,
    guildId: string | null,
    previous: RegisteredCommand[],
  ): RegisteredCommand[] {
    validateCommands(body, new FormErrors());
    const set = body.map((raw) => {
      const c = raw as Json;
      const type = typeof c.type === 'number' ? c.type : 1;
      const old = previous.find((p) => p.name === c.name && p.type === type);
      const cmd: RegisteredCommand = {
        ...c,
        id: old?.id ?? snowflake(),
        application_id: this.applicationId,
        version: snowflake(),
        ...(guildId ? { guild_id: guildId } : {}),
        type,
        name: String(c.name),
        description: typeof c.description === 'string' ? c.description : '',
        ...(Array.isArray(c.options) ? { options: c.options as Json[] } : {}),
        default_member_permissions:
          typeof c.default_member_permissions === 'string' ? c.default_member_permissions : null,
        nsfw: c.nsfw === true,
        integration_types: Array.isArray(c.integration_types) ? (c.integration_types as number[]) : [0],
        contexts: guildId ? null : Array.isArray(c.contexts) ? (c.contexts as number[]) : null,
      };
      return cmd;
    });
    this.commandSets.push({ at: Date.now(), guildId, body, commands: set });
    return set;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const u = new URL(req.url ?? '/', 'http://localhost');
    const call: RestCall = {
      at: Date.now(),
      method,
      path: u.pathname,
      route: '',
      query: Object.fromEntries(u.searchParams),
      body: undefined,
      files: [],
      status: 0,
      response: undefined,
    };
    let status = 200;
    let payload: unknown;
    let headers: Record<string, string> = {};
    try {
      const buf = await readBody(req);
      const att = /^\/attachments\/([^/]+)\/([^/]+)\/[^/]+$/.exec(u.pathname);
      if (att && method === 'GET') {
        const a = this.findAttachment(att[1]!, att[2]!);
        if (!a) throw notFound();
        res.writeHead(200, { 'content-type': a.content_type, 'content-length': a.size });
        res.end(a.bytes);
        return;
      }
      const m = /^\/api(?:\/v(\d+))?(\/.*)$/.exec(u.pathname);
      if (!m) throw notFound();
      if (m[1] && m[1] !== '9' && m[1] !== '10') {
        throw new ApiError(400, { message: 'Invalid API version', code: 50041 });
      }
      const path = m[2]!;
      call.path = path;
      const parsed = await parseBody(req.headers['content-type'], buf);
      call.body = parsed.body;
      call.files = parsed.files;
      let route: Route | undefined;
      let params: Record<string, string> = {};
      let pathMatched = false;
      for (const r of this.routes) {
        const hit = r.regex.exec(path);
        if (!hit) continue;
        pathMatched = true;
        if (r.method !== method) continue;
        route = r;
        params = Object.fromEntries(
          Object.entries(hit.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]),
        ) as Record<string, string>;
        break;
      }
      if (!route) {
        if (pathMatched) throw new ApiError(405, { message: '405: Method Not Allowed', code: 0 });
        throw notFound();
      }
      call.route = route.name;
      if (route.auth && req.headers.authorization !== `Bot ${this.token}`) {
        throw new ApiError(401, { message: '401: Unauthorized', code: 0 });
      }
      if (route.bucket) headers = this.rateLimit(route, params);
      const reply = await route.handler({
        params,
        query: u.searchParams,
        body: parsed.body,
        files: parsed.files,
      });
      status = reply.status;
      payload = reply.body;
    } catch (e) {
      if (e instanceof ApiError) {
        status = e.status;
        payload = e.body;
        headers = { ...headers, ...e.headers };
      } else {
        console.error('fake discord: handler failed', e);
        status = 500;
        payload = { message: '500: Internal Server Error', code: 0 };
      }
    }
    call.status = status;
    call.response = payload;
    this.calls.push(call);
    if (status === 204 || payload === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private findAttachment(channelId: string, attachmentId: string): BotAttachment | undefined {
    for (const m of this.store.values()) {
      if (m.channel_id !== channelId || m.deleted) continue;
      const a = m.attachments.find((x) => x.id === attachmentId);
      if (a) return a;
    }
    return undefined;
  }

  private rateLimit(route: Route, params: Record<string, string>): Record<string, string> {
    const b = route.bucket!;
    const hash = createHash('md5').update(route.name).digest('hex');
    const now = Date.now();
    const f = this.forced;
    if (b.forced && f.n > 0 && (f.scope === 'any' || f.scope === b.forced)) {
      f.n--;
      const resetAt = now + f.retryAfter * 1000;
      throw new ApiError(
        429,
        { message: 'You are being rate limited.', retry_after: f.retryAfter, global: false, code: 0 },
        {
          'retry-after': String(Math.ceil(f.retryAfter)),
          'x-ratelimit-limit': String(b.limit),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
          'x-ratelimit-reset-after': f.retryAfter.toFixed(3),
          'x-ratelimit-bucket': hash,
          'x-ratelimit-scope': 'user',
        },
      );
    }
    const key = `${hash}:${b.major ? params[b.major] : ''}`;
    let state = this.buckets.get(key);
    if (!state || now >= state.start + b.windowMs) {
      state = { start: now, count: 0 };
      this.buckets.set(key, state);
    }
    const resetAt = state.start + b.windowMs;
    const resetAfter = ((resetAt - now) / 1000).toFixed(3);
    if (this.enforceRateLimits && state.count >= b.limit) {
      const retryAfter = Number(resetAfter);
      throw new ApiError(
        429,
        { message: 'You are being rate limited.', retry_after: retryAfter, global: false, code: 0 },
        {
          'retry-after': String(Math.ceil(retryAfter)),
          'x-ratelimit-limit': String(b.limit),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
          'x-ratelimit-reset-after': resetAfter,
          'x-ratelimit-bucket': hash,
          'x-ratelimit-scope': 'user',
        },
      );
    }
    state.count++;
    const remaining = this.enforceRateLimits ? b.limit - state.count : Math.max(1, b.limit - state.count);
    return {
      'x-ratelimit-limit': String(b.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter,
      'x-ratelimit-bucket': hash,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Interaction callbacks, follow-ups, @original

  private onCallback({ params, query, body, files }: RequestContext): Reply {
    const st = this.interactions.get(params.interactionId!);
    if (!st || st.token !== params.token) throw unknownInteraction();
    const now = Date.now();
    const b = isObj(body) ? body : {};
    const attempt: InteractionAttempt = {
      at: now,
      delayMs: now - st.dispatchedAt,
      type: typeof b.type === 'number' ? b.type : null,
      data: b.data ?? null,
      status: 0,
      code: null,
    };
    st.attempts.push(attempt);
    try {
      const reply = this.acknowledge(st, b, files, query, now);
      attempt.status = reply.status;
      return reply;
    } catch (e) {
      if (e instanceof ApiError) {
        attempt.status = e.status;
        attempt.code = e.body.code;
      }
      throw e;
    }
  }

  private acknowledge(
    st: InteractionState,
    b: Json,
    files: RecordedFile[],
    query: URLSearchParams,
    now: number,
  ): Reply {
    if (st.callback) {
      throw new ApiError(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    }
    if (now - st.dispatchedAt > this.ackWindowMs) throw unknownInteraction();
    const type = b.type;
    const allowed =
      st.type === 2
        ? [4, 5, 9]
        : st.type === 3
          ? [4, 5, 6, 7, 9]
          : st.type === 5
            ? st.messageId
              ? [4, 5, 6, 7]
              : [4, 5]
            : [];
    if (typeof type !== 'number' || !allowed.includes(type)) {
      const errs = new FormErrors();
      errs.add(
        ['type'],
        'INTERACTION_CALLBACK_TYPE_INVALID',
        'Interaction callback type is invalid for this interaction',
      );
      errs.throwIfAny();
    }
    const data = isObj(b.data) ? b.data : {};
    const ch = this.channels.get(st.channelId)!;
    let message: StoredMessage | null = null;
    switch (type) {
      case 4:
        message = this.createMessage(ch, data, files, {
          prefix: ['data'],
          allowEphemeral: true,
          interaction: st,
          type: st.type === 2 ? 20 : 0,
        });
        st.originalId = message.id;
        break;
      case 5: {
        const eph = typeof data.flags === 'number' ? data.flags & MessageFlag.Ephemeral : 0;
        message = this.rawMessage(ch, st, MessageFlag.Loading | eph, st.type === 2 ? 20 : 0);
        st.originalId = message.id;
        st.originalLoading = true;
        break;
      }
      case 6:
        st.originalId = st.messageId;
        break;
      case 7: {
        const target = st.messageId ? this.store.get(st.messageId) : undefined;
        if (!target || target.deleted) throw unknownMessage();
        this.editMessage(target, data, files, ['data']);
        st.originalId = target.id;
        message = target;
        break;
      }
      case 9: {
        const errs = new FormErrors();
        validateModal(b.data, errs, ['data']);
        errs.throwIfAny();
        const modal = { ...data, components: assignComponentIds(data.components) };
        st.modal = modal;
        this.modals.push({
          user: st.user,
          customId: String(data.custom_id),
          modal,
          messageId: st.messageId,
          channelId: st.channelId,
          guildId: st.guildId,
          context: st.context as 0 | 1 | 2,
          submitted: false,
        });
        break;
      }
    }
    st.callback = { type: type as number, data: b.data ?? null, at: now, delayMs: now - st.dispatchedAt };
    if (query.get('with_response') !== 'true') return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: st.id,
          type: st.type,
          ...(message
            ? {
                response_message_id: message.id,
                response_message_loading: (message.flags & MessageFlag.Loading) !== 0,
                response_message_ephemeral: (message.flags & MessageFlag.Ephemeral) !== 0,
              }
            : {}),
        },
        resource: { type, ...(message ? { message: this.toApi(message) } : {}) },
      },
    };
  }

  /** A message created without validation: the "thinking…" placeholder of a deferred reply. */
  private rawMessage(ch: Channel, st: InteractionState, flags: number, type: number): StoredMessage {
    const now = Date.now();
    const m: StoredMessage = {
      id: snowflake(now),
      channel_id: ch.id,
      author: this.bot,
      content: '',
      embeds: [],
      components: [],
      flags,
      attachments: [],
      timestamp: iso(now),
      edited_timestamp: null,
      type,
      tts: false,
      message_reference: null,
      interactionId: st.id,
      visibleTo: flags & MessageFlag.Ephemeral ? st.user.id : null,
      deleted: false,
      edits: 0,
      versions: [],
      extra: this.interactionMessageExtra(st),
    };
    this.store.set(m.id, m);
    this.snapshot(m);
    return m;
  }

  private webhookInteraction(appId: string, token: string): InteractionState {
    if (appId !== this.applicationId) throw unknownWebhook();
    const st = this.byToken.get(token);
    if (!st) throw invalidWebhookToken();
    if (Date.now() - st.dispatchedAt > this.tokenTtlMs) throw invalidWebhookToken();
    if (!st.callback) throw unknownWebhook();
    return st;
  }

  private onFollowUp({ params, query, body, files }: RequestContext): Reply {
    const st = this.webhookInteraction(params.appId!, params.token!);
    const ch = this.channels.get(st.channelId)!;
    let m: StoredMessage;
    const original = st.originalId ? this.store.get(st.originalId) : undefined;
    if (st.callback?.type === 5 && st.originalLoading && original && !original.deleted) {
      // The first follow-up to a deferred reply replaces the "thinking…" message, and its
      // ephemerality is the one chosen when deferring; the flags sent now are ignored.
      const b = isObj(body) ? { ...body } : {};
      delete b.flags;
      this.editMessage(original, b, files, []);
      st.originalLoading = false;
      m = original;
    } else {
      m = this.createMessage(ch, body, files, {
        prefix: [],
        allowEphemeral: true,
        interaction: st,
        type: st.type === 2 ? 20 : 0,
      });
    }
    st.followUpIds.push(m.id);
    if (query.get('wait') === 'false' || query.get('wait') === null) return { status: 204 };
    return { status: 200, body: this.toApi(m) };
  }

  private onWebhookMessage(method: string, { params, body, files }: RequestContext): Reply {
    const st = this.webhookInteraction(params.appId!, params.token!);
    const isOriginal = params.messageId === '@original';
    const id = isOriginal ? st.originalId : params.messageId!;
    if (!id || (!isOriginal && id !== st.originalId && !st.followUpIds.includes(id))) throw unknownMessage();
    const m = this.store.get(id);
    if (!m || m.deleted) throw unknownMessage();
    if (method === 'GET') return { status: 200, body: this.toApi(m) };
    if (method === 'DELETE') {
      m.deleted = true;
      return { status: 204 };
    }
    this.editMessage(m, body, files, []);
    if (id === st.originalId) {
      st.originalEdits.push(body);
      st.originalLoading = false;
    }
    return { status: 200, body: this.toApi(m) };
  }

  // -------------------------------------------------------------------------------------------
  // Gateway

  private onConnection(ws: WebSocket, query: URLSearchParams): void {
    const conn: Conn = { ws, session: null, received: [] };
    this.conns.add(conn);
    ws.on('close', (code) => {
      this.conns.delete(conn);
      const s = conn.session;
      if (s && s.conn === conn) {
        s.conn = null;
        // A normal close ends the session; anything else (incl. discord.js's 4200) may resume.
        if (code === 1000 || code === 1001) s.alive = false;
      }
    });
    ws.on('error', () => {});
    if (query.get('v') !== '10') {
      this.closeConn(conn, 4012);
      return;
    }
    const encoding = query.get('encoding') ?? 'json';
    if (encoding !== 'json') {
      this.closeConn(conn, 4002);
      return;
    }
    // `compress=zlib-stream` is ignored: frames go out as plain JSON text, which discord.js
    // reads regardless (it only inflates binary frames).
    this.send(conn, {
      op: 10,
      d: { heartbeat_interval: this.heartbeatIntervalMs, _trace: ['["fake-gateway",{}]'] },
      s: null,
      t: null,
    });
    ws.on('message', (data, isBinary) => this.onGatewayMessage(conn, data, isBinary));
  }

  private send(conn: Conn, payload: Json): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(payload));
  }

  private closeConn(conn: Conn, code: number): void {
    conn.ws.close(code, CLOSE_REASONS[code] ?? '');
  }

  private onGatewayMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    const now = Date.now();
    conn.received = conn.received.filter((t) => now - t < 60_000);
    conn.received.push(now);
    if (conn.received.length > 120) {
      this.closeConn(conn, 4008);
      return;
    }
    let msg: unknown;
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(data.toString());
    } catch {
      this.closeConn(conn, 4002);
      return;
    }
    if (!isObj(msg) || typeof msg.op !== 'number') {
      this.closeConn(conn, 4002);
      return;
    }
    const d = msg.d;
    switch (msg.op) {
      case 1:
        this.heartbeats++;
        this.send(conn, { op: 11, d: null, s: null, t: null });
        return;
      case 2:
        this.onIdentify(conn, d);
        return;
      case 6:
        this.onResume(conn, d);
        return;
      case 3:
      case 4:
      case 8:
      case 31:
        if (!conn.session) this.closeConn(conn, 4003);
        return;
      default:
        this.closeConn(conn, 4001);
    }
  }

  private tokenMatches(t: unknown): boolean {
    return typeof t === 'string' && t.replace(/^Bot\s+/i, '') === this.token;
  }

  private onIdentify(conn: Conn, d: unknown): void {
    const id = isObj(d) ? d : {};
    const record: IdentifyRecord = {
      at: Date.now(),
      intents: typeof id.intents === 'number' ? id.intents : Number.NaN,
      properties: isObj(id.properties) ? id.properties : {},
      shard: id.shard,
      compress: id.compress,
      large_threshold: id.large_threshold,
      presence: id.presence,
      closedWith: null,
    };
    this.identifies.push(record);
    const refuse = (code: number) => {
      record.closedWith = code;
      this.closeConn(conn, code);
    };
    if (conn.session) return refuse(4005);
    if (!this.tokenMatches(id.token)) return refuse(4004);
    const intents = id.intents;
    if (
      typeof intents !== 'number' ||
      !Number.isInteger(intents) ||
      intents < 0 ||
      (intents & ~VALID_INTENTS) !== 0
    ) {
      return refuse(4013);
    }
    if (intents & PRIVILEGED & ~this.privilegedIntents) return refuse(4014);
    let shard: [number, number] = [0, 1];
    if (id.shard !== undefined) {
      const s = id.shard;
      if (
        !Array.isArray(s) ||
        s.length !== 2 ||
        !Number.isInteger(s[0]) ||
        !Number.isInteger(s[1]) ||
        s[1] < 1 ||
        s[0] < 0 ||
        s[0] >= s[1]
      ) {
        return refuse(4010);
      }
      shard = [s[0], s[1]];
    }
    const p = record.properties;
    if (typeof p.os !== 'string' || typeof p.browser !== 'string' || typeof p.device !== 'string') {
      return refuse(4002);
    }
    this.sessionStarts++;
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      intents,
      shard,
      seq: 0,
      events: [],
      conn,
      alive: true,
    };
    this.sessions.set(session.id, session);
    conn.session = session;
    this.emitTo(session, 'READY', {
      v: 10,
      user_settings: {},
      user: { ...this.bot, verified: true, mfa_enabled: false, flags: 0, email: null },
      guilds: [],
      guild_join_requests: [],
      relationships: [],
      private_channels: [],
      presences: [],
      geo_ordered_rtc_regions: ['fake'],
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.gatewayUrl,
      shard,
      application: { id: this.applicationId, flags: this.applicationFlags() },
      auth: {},
      _trace: ['["fake-gateway",{}]'],
    });
    for (const w of this.readyWaiters) w();
    this.readyWaiters.clear();
  }

  private onResume(conn: Conn, d: unknown): void {
    const r = isObj(d) ? d : {};
    const record: ResumeRecord = {
      at: Date.now(),
      session_id: r.session_id,
      seq: r.seq,
      resumed: false,
      replayed: 0,
    };
    this.resumes.push(record);
    if (conn.session) {
      this.closeConn(conn, 4005);
      return;
    }
    if (!this.tokenMatches(r.token)) {
      this.closeConn(conn, 4004);
      return;
    }
    const session = typeof r.session_id === 'string' ? this.sessions.get(r.session_id) : undefined;
    const seq = typeof r.seq === 'number' ? r.seq : -1;
    if (!session?.alive || seq < 0 || seq > session.seq) {
      this.send(conn, { op: 9, d: false, s: null, t: null });
      return;
    }
    if (session.conn && session.conn !== conn) this.closeConn(session.conn, 4009);
    session.conn = conn;
    conn.session = session;
    const missed = session.events.filter((e) => e.s > seq);
    for (const e of missed) this.send(conn, { op: 0, t: e.t, s: e.s, d: e.d });
    record.resumed = true;
    record.replayed = missed.length;
    this.emitTo(session, 'RESUMED', { _trace: ['["fake-gateway",{}]'] });
  }

  private emitTo(session: Session, t: string, d: unknown): number {
    const s = ++session.seq;
    session.events.push({ s, t, d });
    if (session.conn) this.send(session.conn, { op: 0, t, s, d });
    return s;
  }

  private wants(session: Session, t: string, d: unknown): boolean {
    if (t === 'MESSAGE_CREATE' || t === 'MESSAGE_UPDATE' || t === 'MESSAGE_DELETE') {
      const inGuild = isObj(d) && d.guild_id !== undefined;
      return (session.intents & (inGuild ? Intent.GuildMessages : Intent.DirectMessages)) !== 0;
    }
    return true;
  }

  dispatch(t: string, d: unknown): number | null {
    const live = [...this.sessions.values()].filter((s) => s.alive);
    if (live.length === 0) throw new Error(`dispatch ${t}: no gateway session (has the client logged in?)`);
    // Sessions whose connection dropped keep buffering (for a RESUME), as Discord does; the
    // sequence number returned is the connected session's when there is one.
    let connected: number | null = null;
    let any: number | null = null;
    for (const s of live) {
      if (!this.wants(s, t, d)) continue;
      const seq = this.emitTo(s, t, d);
      any ??= seq;
      if (s.conn) connected ??= seq;
    }
    return connected ?? any;
  }

  requestReconnect(): void {
    for (const c of this.conns) this.send(c, { op: 7, d: null, s: null, t: null });
  }

  invalidateSession(resumable = false): void {
    for (const c of this.conns) {
      if (!c.session) continue;
      if (!resumable) c.session.alive = false;
      this.send(c, { op: 9, d: resumable, s: null, t: null });
      if (!resumable) c.session = null;
    }
  }

  disconnect(code?: number): void {
    for (const c of this.conns) {
      if (code === undefined) c.ws.terminate();
      else this.closeConn(c, code);
    }
  }

  waitForReady(timeoutMs = 5000): Promise<void> {
    if ([...this.sessions.values()].some((s) => s.alive && s.conn)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters.delete(done);
        reject(new Error(`no READY within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.readyWaiters.add(done);
    });
  }

  async waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Event helpers

  dmMessage(user: UserLike, text: string, extra: Json = {}): Json {
    const u = this.known(user);
    const ch = this.ensureDm(u.id);
    const now = Date.now();
    const m: StoredMessage = {
      id: snowflake(now),
      channel_id: ch.id,
      author: u,
      content: text,
      embeds: [],
      components: [],
      flags: 0,
      attachments: [],
      timestamp: iso(now),
      edited_timestamp: null,
      type: 0,
      tts: false,
      message_reference: null,
      interactionId: null,
      visibleTo: null,
      deleted: false,
      edits: 0,
      versions: [],
      extra: {},
    };
    this.store.set(m.id, m);
    this.snapshot(m);
    ch.lastMessageId = m.id;
    const payload = { ...this.toApi(m), channel_type: 1, nonce: snowflake(now), ...extra };
    this.dispatch('MESSAGE_CREATE', payload);
    return payload;
  }

  private where(u: DiscordUser, w: InteractionWhere = {}): Where {
    const context = w.context ?? (w.guildId ? 0 : 1);
    const locale = w.locale ?? 'en-US';
    if (context === 0) {
      if (!w.guildId) throw new Error('a guild interaction (context 0) needs a guildId');
      return {
        channel: this.ensureGuildChannel(w.guildId, w.channelId),
        guildId: w.guildId,
        context,
        locale,
      };
    }
    if (context === 1) {
      const ch = this.ensureDm(u.id);
      if (w.channelId && w.channelId !== ch.id)
        throw new Error(`${w.channelId} is not ${u.username}'s DM with the bot`);
      return { channel: ch, guildId: null, context, locale };
    }
    let ch = w.channelId ? this.channels.get(w.channelId) : undefined;
    if (!ch) {
      const other = this.user('friend');
      ch = {
        id: w.channelId ?? snowflake(),
        type: 1,
        recipientIds: [u.id, other.id],
        guildId: null,
        botIsMember: false,
        lastMessageId: null,
      };
      this.channels.set(ch.id, ch);
    }
    return { channel: ch, guildId: null, context, locale };
  }

  private whereOfChannel(ch: Channel): Where {
    const context: 0 | 1 | 2 = ch.guildId ? 0 : ch.botIsMember ? 1 : 2;
    return { channel: ch, guildId: ch.guildId, context, locale: 'en-US' };
  }

  private startInteraction(
    type: number,
    u: DiscordUser,
    where: Where,
    data: Json,
    opts: { integrationTypes?: number[]; message?: StoredMessage; commandName?: string },
  ): SentInteraction {
    const id = snowflake();
    const token = Buffer.from(`interaction:${id}:${randomBytes(48).toString('base64url')}`).toString(
      'base64url',
    );
    const types = opts.integrationTypes ?? [0];
    const owners: Record<string, string> = {};
    // In a server the app is not installed to, it can only act as the user's own app.
    const guildInstalled = where.guildId === null || this.guildOf(where.guildId).installed;
    if (types.includes(0) && where.context !== 2 && guildInstalled) owners['0'] = where.guildId ?? '0';
    if (types.includes(1) || where.context === 2 || !guildInstalled) owners['1'] = u.id;
    const appPermissions =
      where.context === 2 || !guildInstalled
        ? PRIVATE_CHANNEL_PERMISSIONS
        : where.context === 1
          ? DM_PERMISSIONS
          : (where.channel.appPermissions ?? GUILD_APP_PERMISSIONS);
    const payload: Json = {
      app_permissions: appPermissions,
      application_id: this.applicationId,
      attachment_size_limit: this.maxFileBytes,
      authorizing_integration_owners: owners,
      channel: this.channelPayload(where.channel, where.context === 0 ? appPermissions : undefined),
      channel_id: where.channel.id,
      context: where.context,
      data,
      entitlements: [],
      id,
      locale: where.locale,
      token,
      type,
      version: 1,
      ...(opts.message ? { message: this.toApi(opts.message) } : {}),
    };
    if (where.guildId) {
      payload.guild = { id: where.guildId, locale: 'en-US', features: [] };
      payload.guild_id = where.guildId;
      payload.guild_locale = 'en-US';
      payload.member = {
        user: u,
        roles: [],
        premium_since: null,
        permissions: this.memberPermissions.get(`${where.guildId}:${u.id}`) ?? GUILD_MEMBER_PERMISSIONS,
        pending: false,
        nick: null,
        mute: false,
        joined_at: iso(Date.now() - 86_400_000),
        flags: 0,
        deaf: false,
        communication_disabled_until: null,
        avatar: null,
      };
    } else {
      payload.user = u;
    }
    const st: InteractionState = {
      id,
      token,
      type,
      user: u,
      channelId: where.channel.id,
      guildId: where.guildId,
      context: where.context,
      dispatchedAt: Date.now(),
      commandName: opts.commandName ?? null,
      messageId: opts.message?.id ?? null,
      callback: null,
      attempts: [],
      originalId: null,
      originalLoading: false,
      followUpIds: [],
      originalEdits: [],
      modal: null,
      payload,
    };
    this.interactions.set(id, st);
    this.byToken.set(token, st);
    const s = this.dispatch('INTERACTION_CREATE', payload);
    return { id, token, payload, s };
  }

  private findCommand(name: string, guildId: string | null): RegisteredCommand | undefined {
    const inGuild = guildId
      ? this.guildCommands(guildId).find((c) => c.name === name && c.type === 1)
      : undefined;
    return inGuild ?? this.globalCommands.find((c) => c.name === name && c.type === 1);
  }

  slashCommand(
    user: UserLike,
    name: string,
    options?: Record<string, string | number | boolean> | Json[],
    w?: InteractionWhere,
  ): SentInteraction {
    const u = this.known(user);
    const where = this.where(u, w);
    const cmd = this.findCommand(name, where.guildId);
    if (!cmd && this.requireRegistered) {
      throw new Error(`slashCommand: /${name} is not registered (PUT /applications/:id/commands first)`);
    }
    if (cmd) {
      if (cmd.guild_id && where.context !== 0)
        throw new Error(`/${name} is a guild command; not usable in context ${where.context}`);
      if (cmd.contexts && !cmd.contexts.includes(where.context)) {
        throw new Error(
          `/${name} is registered for contexts ${JSON.stringify(cmd.contexts)}, not ${where.context}`,
        );
      }
      if (
        where.context === 0 &&
        where.guildId &&
        !this.guildOf(where.guildId).installed &&
        !cmd.integration_types.includes(1)
      ) {
        throw new Error(`/${name} needs the app installed to the server, and it is not`);
      }
      const needed = cmd.default_member_permissions;
      if (where.guildId && needed && !this.commandOverrides.has(`${where.guildId}:${name}`)) {
        const has = BigInt(
          this.memberPermissions.get(`${where.guildId}:${u.id}`) ?? GUILD_MEMBER_PERMISSIONS,
        );
        const admin = (has & (1n << 3n)) !== 0n;
        if (!admin && (has & BigInt(needed)) !== BigInt(needed)) {
          throw new Error(`/${name} is hidden from ${u.username}: they lack its default permissions`);
        }
      }
      if (where.context === 2 && !cmd.integration_types.includes(1)) {
        throw new Error(
          `/${name} is not user-installable (integration_types lacks 1), so not usable in context 2`,
        );
      }
    }
    let opts: Json[] | undefined;
    if (Array.isArray(options)) opts = options;
    else if (options) {
      const defs = (cmd?.options ?? []) as Json[];
      opts = Object.entries(options).map(([optName, value]) => {
        const def = defs.find((o) => o.name === optName);
        if (cmd && !def) throw new Error(`/${name} has no option ${optName}`);
        const type =
          typeof def?.type === 'number'
            ? def.type
            : typeof value === 'boolean'
              ? 5
              : typeof value === 'number'
                ? Number.isInteger(value)
                  ? 4
                  : 10
                : 3;
        return { name: optName, type, value };
      });
    }
    for (const def of (cmd?.options ?? []) as Json[]) {
      if (def.required === true && !(opts ?? []).some((o) => o.name === def.name)) {
        throw new Error(`/${name} requires option ${String(def.name)}`);
      }
    }
    const data: Json = {
      id: cmd?.id ?? snowflake(),
      name,
      type: 1,
      ...(opts && opts.length > 0 ? { options: opts } : {}),
      ...(cmd?.guild_id ? { guild_id: cmd.guild_id } : {}),
    };
    return this.startInteraction(2, u, where, data, {
      integrationTypes: cmd?.integration_types,
      commandName: name,
    });
  }

  private pressable(u: DiscordUser, message: BotMessage | string, customId: string, types: number[]) {
    const id = typeof message === 'string' ? message : message.id;
    const m = this.store.get(id);
    if (!m || m.deleted) throw new Error(`message ${id} does not exist (deleted?)`);
    const ch = this.channels.get(m.channel_id)!;
    if (m.visibleTo && m.visibleTo !== u.id) throw new Error(`message ${id} is ephemeral for another user`);
    if (ch.type === 1 && ch.botIsMember && !ch.recipientIds.includes(u.id)) {
      throw new Error(`${u.username} cannot see message ${id} in someone else's DM`);
    }
    const comp = findComponent(
      m.components,
      (c) => c.custom_id === customId && types.includes(c.type as number),
    );
    if (!comp) throw new Error(`message ${id} has no component with custom_id ${customId}`);
    if (comp.disabled === true) throw new Error(`component ${customId} on message ${id} is disabled`);
    return { m, ch, comp };
  }

  buttonPress(user: UserLike, message: BotMessage | string, customId: string): SentInteraction {
    const u = this.known(user);
    const { m, ch, comp } = this.pressable(u, message, customId, [2]);
    const data = { custom_id: customId, component_type: 2, id: comp.id };
    return this.startInteraction(3, u, this.whereOfChannel(ch), data, { message: m });
  }

  selectMenu(
    user: UserLike,
    message: BotMessage | string,
    customId: string,
    values: string[],
  ): SentInteraction {
    const u = this.known(user);
    const { m, ch, comp } = this.pressable(u, message, customId, [3, 5, 6, 7, 8]);
    if (comp.type === 3) {
      const options = (Array.isArray(comp.options) ? comp.options : []) as Json[];
      for (const v of values) {
        if (!options.some((o) => o.value === v)) throw new Error(`select ${customId} has no option ${v}`);
      }
    }
    const min = typeof comp.min_values === 'number' ? comp.min_values : 1;
    const max = typeof comp.max_values === 'number' ? comp.max_values : 1;
    if (values.length < min || values.length > max) {
      throw new Error(`select ${customId} takes ${min}..${max} values, got ${values.length}`);
    }
    const data = { custom_id: customId, component_type: comp.type, id: comp.id, values };
    return this.startInteraction(3, u, this.whereOfChannel(ch), data, { message: m });
  }

  modalSubmit(user: UserLike, customId: string, values: Record<string, string | string[]>): SentInteraction {
    const u = this.known(user);
    const shown = [...this.modals]
      .reverse()
      .find((x) => x.user.id === u.id && x.customId === customId && !x.submitted);
    if (!shown) throw new Error(`no open modal ${customId} was shown to ${u.username}`);
    const seen = new Set<string>();
    const answer = (input: Json): Json => {
      const cid = String(input.custom_id);
      seen.add(cid);
      const given = values[cid];
      if (input.type === 4) {
        const value = typeof given === 'string' ? given : '';
        const required = input.required !== false;
        const len = [...value].length;
        if (required && len === 0) throw new Error(`text input ${cid} is required`);
        if (len > 0) {
          const min = typeof input.min_length === 'number' ? input.min_length : 0;
          const max = typeof input.max_length === 'number' ? input.max_length : 4000;
          if (len < min || len > max)
            throw new Error(`text input ${cid} takes ${min}..${max} characters, got ${len}`);
        }
        return { type: 4, id: input.id, custom_id: cid, value };
      }
      return { type: input.type, id: input.id, custom_id: cid, values: Array.isArray(given) ? given : [] };
    };
    const components = ((shown.modal.components ?? []) as Json[]).map((c): Json => {
      if (c.type === 1) {
        const input = (c.components as Json[])[0]!;
        return { type: 1, id: c.id, components: [answer(input)] };
      }
      if (c.type === 18) return { type: 18, id: c.id, component: answer(c.component as Json) };
      return { type: c.type, id: c.id };
    });
    for (const k of Object.keys(values)) {
      if (!seen.has(k)) throw new Error(`modal ${customId} has no input ${k}`);
    }
    shown.submitted = true;
    const ch = this.channels.get(shown.channelId)!;
    const m = shown.messageId ? this.store.get(shown.messageId) : undefined;
    const where: Where = { channel: ch, guildId: shown.guildId, context: shown.context, locale: 'en-US' };
    return this.startInteraction(
      5,
      u,
      where,
      { custom_id: customId, components },
      { message: m && !m.deleted ? m : undefined },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** Starts the fake Discord on 127.0.0.1 on a free port. */
export async function startDiscordServer(options: DiscordServerOptions = {}): Promise<DiscordServer> {
  const server = new FakeDiscord(options);
  await server.listen();
  return server;
}
