import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A strict, rate-limited stand-in for a chat platform's send API, on a real local HTTP server.
// It rejects what a real platform rejects (429 over the global or per-chat limit, 403 for a
// blocked chat, 400 for malformed messages) instead of accepting everything, so the delivery
// tests, crash tests and the delivery benchmark measure real behaviour. It never logs.

export interface FakePlatformOptions {
  /** Accepted sends allowed in any rolling 1 s window, across all chats (default 30; Infinity: no limit). */
  perSecond?: number;
  /** Minimum ms between two accepted sends to the same chat (default 1000; 0: no per-chat limit). */
  perChatIntervalMs?: number;
  /** The retry_after told to a client that broke a limit; default: computed from the window, at least 1. */
  retryAfterSeconds?: number;
  /** Chat ids whose sends and deletes answer 403 "bot was blocked by the user". Kept by reference. */
  blocked?: Set<string>;
  /** Longest accepted text, in UTF-16 code units like JavaScript's length (default 4096). */
  maxTextLength?: number;
}

export interface PlatformButton {
  label: string;
  token: string;
}

/** An accepted /send, in acceptance order. */
export interface SentMessage {
  chatId: string;
  text: string;
  messageId: string;
  /** Epoch ms (sub-ms precision, monotonic) at which the platform accepted it. */
  at: number;
  buttons?: PlatformButton[][];
  protect: boolean;
  /** Set when this send edited an earlier message in place (same messageId). */
  replaces?: string;
}

/** Every answer other than 200, with its status. */
export interface RejectedRequest {
  chatId: string;
  status: number;
  at: number;
  endpoint: string;
}

export interface DeleteRecord {
  chatId: string;
  /** The ids asked for. */
  messageIds: string[];
  /** How many of them existed in that chat and were deleted now. */
  deleted: number;
  at: number;
}

export type FailStatus = 500 | 502 | 503 | 504;

export interface FakePlatform {
  /** Base URL, e.g. http://127.0.0.1:12345 (POST /send, POST /delete). */
  readonly url: string;
  readonly options: Readonly<Required<Omit<FakePlatformOptions, 'retryAfterSeconds' | 'blocked'>>> & {
    retryAfterSeconds: number | undefined;
  };
  /** The same Set passed in options (or a new one): add or remove chat ids at any time. */
  readonly blocked: Set<string>;
  readonly sent: SentMessage[];
  readonly rejected: RejectedRequest[];
  readonly deleted: DeleteRecord[];
  /** The next n requests (to any endpoint) answer `status` (default 502) and change nothing. */
  failNext(n: number, status?: FailStatus): void;
  count429(): number;
  /** The most accepted sends in any rolling 1 s window. */
  peakPerSecond(): number;
  /** Pairs of consecutive accepted sends to one chat closer than perChatIntervalMs (0 when enforced). */
  perChatViolations(): number;
  /** Forgets every record and limit state (message ids keep increasing). */
  reset(): void;
  close(): Promise<void>;
}

const MAX_TOKEN_BYTES = 64;
const MAX_BODY_BYTES = 1 << 20;
const WINDOW_MS = 1000;

/** Monotonic epoch milliseconds. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

type Answer = { status: number; body: Record<string, unknown> };

function fail(status: number, description: string, extra?: Record<string, unknown>): Answer {
  return { status, body: { ok: false, error_code: status, description, ...extra } };
}

const REASONS: Record<FailStatus, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export async function startFakePlatform(options: FakePlatformOptions = {}): Promise<FakePlatform> {
  const perSecond = options.perSecond ?? 30;
  const perChatIntervalMs = options.perChatIntervalMs ?? 1000;
  const retryAfterSeconds = options.retryAfterSeconds;
  const maxTextLength = options.maxTextLength ?? 4096;
  const blocked = options.blocked ?? new Set<string>();

  const sent: SentMessage[] = [];
  const rejected: RejectedRequest[] = [];
  const deleted: DeleteRecord[] = [];
  /** Every message the platform holds: id -> chat, and whether it was deleted. */
  const messages = new Map<string, { chatId: string; deleted: boolean }>();
  /** Accepted send times inside the current window; entries before `head` are expired. */
  let recent: number[] = [];
  let head = 0;
  const lastByChat = new Map<string, number>();
  let nextId = 1;
  const failures: FailStatus[] = [];

  function retryAfter(waitMs: number): number {
    return retryAfterSeconds ?? Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** ms to wait before a send to this chat would be accepted; 0 when it may go now. */
  function limitWait(chatId: string, t: number): number {
    let wait = 0;
    while (head < recent.length && recent[head]! <= t - WINDOW_MS) head++;
    if (head > 1024 && head * 2 > recent.length) {
      recent = recent.slice(head);
      head = 0;
    }
    if (recent.length - head >= perSecond) wait = recent[head]! + WINDOW_MS - t;
    if (perChatIntervalMs > 0) {
      const last = lastByChat.get(chatId);
      if (last !== undefined && t - last < perChatIntervalMs) {
        wait = Math.max(wait, last + perChatIntervalMs - t);
      }
    }
    return wait;
  }

  function parseButtons(value: unknown): PlatformButton[][] | 'invalid' | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) return 'invalid';
    const rows: PlatformButton[][] = [];
    for (const row of value) {
      if (!Array.isArray(row)) return 'invalid';
      const out: PlatformButton[] = [];
      for (const b of row) {
        if (typeof b !== 'object' || b === null) return 'invalid';
        const { label, token } = b as Record<string, unknown>;
        if (typeof label !== 'string' || label.length === 0) return 'invalid';
        if (typeof token !== 'string') return 'invalid';
        const bytes = Buffer.byteLength(token, 'utf8');
        if (bytes < 1 || bytes > MAX_TOKEN_BYTES) return 'invalid';
        out.push({ label, token });
      }
      rows.push(out);
    }
    return rows;
  }

  function send(body: Record<string, unknown>, t: number): Answer {
    const { chatId, text, protect, replaces } = body;
    if (typeof chatId !== 'string' || chatId.length === 0) return fail(400, 'Bad Request: chat not found');
    if (typeof text !== 'string' || text.length === 0) return fail(400, 'Bad Request: message text is empty');
    if (text.length > maxTextLength) return fail(400, 'Bad Request: message is too long');
    const buttons = parseButtons(body.buttons);
    if (buttons === 'invalid') return fail(400, 'Bad Request: BUTTON_DATA_INVALID');
    if (protect !== undefined && typeof protect !== 'boolean') return fail(400, 'Bad Request: bad protect');
    if (replaces !== undefined && typeof replaces !== 'string') return fail(400, 'Bad Request: bad replaces');
    if (blocked.has(chatId)) return fail(403, 'Forbidden: bot was blocked by the user');
    let messageId: string | undefined;
    if (replaces !== undefined) {
      const old = messages.get(replaces);
      if (!old || old.deleted || old.chatId !== chatId) {
        return fail(400, 'Bad Request: message to edit not found');
      }
      messageId = replaces;
    }
    const wait = limitWait(chatId, t);
    if (wait > 0) {
      const n = retryAfter(wait);
      return fail(429, `Too Many Requests: retry after ${n}`, { parameters: { retry_after: n } });
    }
    recent.push(t);
    lastByChat.set(chatId, t);
    if (messageId === undefined) {
      messageId = String(nextId++);
      messages.set(messageId, { chatId, deleted: false });
    }
    const record: SentMessage = { chatId, text, messageId, at: t, protect: protect === true };
    if (buttons) record.buttons = buttons;
    if (replaces !== undefined) record.replaces = replaces;
    sent.push(record);
    return { status: 200, body: { ok: true, messageId } };
  }

  function del(body: Record<string, unknown>, t: number): Answer {
    const { chatId, messageIds } = body;
    if (typeof chatId !== 'string' || chatId.length === 0) return fail(400, 'Bad Request: chat not found');
    if (
      !Array.isArray(messageIds) ||
      messageIds.length === 0 ||
      messageIds.length > 100 ||
      !messageIds.every((id) => typeof id === 'string')
    ) {
      return fail(400, 'Bad Request: message identifiers are invalid');
    }
    if (blocked.has(chatId)) return fail(403, 'Forbidden: bot was blocked by the user');
    let n = 0;
    for (const id of messageIds as string[]) {
      const m = messages.get(id);
      if (m && !m.deleted && m.chatId === chatId) {
        m.deleted = true;
        n++;
      }
    }
    deleted.push({ chatId, messageIds: [...(messageIds as string[])], deleted: n, at: t });
    return { status: 200, body: { ok: true, deleted: n } };
  }

  function answer(req: IncomingMessage, raw: string | undefined): Answer & { chatId: string } {
    const t = now();
    let body: Record<string, unknown> | undefined;
    if (raw !== undefined) {
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          body = parsed as Record<string, unknown>;
        }
      } catch {
        body = undefined;
      }
    }
    const chatId = typeof body?.chatId === 'string' ? body.chatId : '';
    const failure = failures.shift();
    if (failure !== undefined) return { ...fail(failure, REASONS[failure]), chatId };
    if (raw === undefined) return { ...fail(413, 'Request Entity Too Large'), chatId };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/send' && path !== '/delete')) {
      return { ...fail(404, 'Not Found'), chatId };
    }
    if (!body) return { ...fail(400, 'Bad Request: invalid JSON'), chatId };
    return { ...(path === '/send' ? send(body, t) : del(body, t)), chatId };
  }

  function respond(req: IncomingMessage, res: ServerResponse, raw: string | undefined): void {
    const a = answer(req, raw);
    if (a.status !== 200) {
      rejected.push({
        chatId: a.chatId,
        status: a.status,
        at: now(),
        endpoint: (req.url ?? '').split('?')[0]!,
      });
    }
    const payload = JSON.stringify(a.body);
    res.writeHead(a.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('end', () => respond(req, res, tooBig ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  server.maxRequestsPerSocket = 0;
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    options: { perSecond, perChatIntervalMs, retryAfterSeconds, maxTextLength },
    blocked,
    sent,
    rejected,
    deleted,
    failNext(n: number, status: FailStatus = 502) {
      for (let i = 0; i < n; i++) failures.push(status);
    },
    count429() {
      let n = 0;
      for (const r of rejected) if (r.status === 429) n++;
      return n;
    },
    peakPerSecond() {
      let peak = 0;
      let i = 0;
      for (let j = 0; j < sent.length; j++) {
        while (sent[j]!.at - sent[i]!.at >= WINDOW_MS) i++;
        peak = Math.max(peak, j - i + 1);
      }
      return peak;
    },
    perChatViolations() {
      if (perChatIntervalMs <= 0) return 0;
      const last = new Map<string, number>();
      let n = 0;
      for (const s of sent) {
        const prev = last.get(s.chatId);
        if (prev !== undefined && s.at - prev < perChatIntervalMs) n++;
        last.set(s.chatId, s.at);
      }
      return n;
    },
    reset() {
      sent.length = 0;
      rejected.length = 0;
      deleted.length = 0;
      messages.clear();
      recent = [];
      head = 0;
      lastByChat.clear();
      failures.length = 0;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
