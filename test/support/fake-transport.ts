import { type Transport, TransportError, type TransportLimits } from '../../src/delivery/transport.ts';
import { plainText } from '../../src/demo/simulation.ts';
import type { OutboundDelete, OutboundMessage, Platform } from '../../src/engine/types.ts';

// A platform adapter for the fake platform in fake-platform.ts, over real HTTP (global fetch,
// whose undici agent keeps connections alive). It classifies failures the way a real adapter
// must, into TransportError with codes only: never message text.

export interface FakeTransportOptions {
  platform?: Platform;
  /** Declared limits (default perSecond 25, perChatIntervalMs 1000, maxRetryAfterMs 60_000). */
  limits?: Partial<TransportLimits>;
  /** Per-request timeout (default 10_000 ms); a timeout is classified transient. */
  timeoutMs?: number;
  /** Longest text per platform message; longer texts are split (default 4096). */
  maxTextLength?: number;
}

/**
 * Thrown when a split message failed after some parts were already accepted. Deliberately not
 * a TransportError: retrying would send the delivered parts twice, so the worker treats it as
 * uncertain. Its message holds counts only.
 */
export class PartialSendError extends Error {
  constructor(
    readonly deliveredIds: string[],
    readonly parts: number,
    readonly failure: TransportError,
  ) {
    super(`partial-send: ${deliveredIds.length}/${parts} delivered (${failure.message})`);
    this.name = 'PartialSendError';
  }
}

const LATER_PART_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class FakeTransport implements Transport {
  readonly platform: Platform;
  readonly limits: TransportLimits;
  readonly timeoutMs: number;
  readonly maxTextLength: number;

  constructor(
    /** The FakePlatform's url. */
    readonly baseUrl: string,
    options: FakeTransportOptions = {},
  ) {
    this.platform = options.platform ?? 'telegram';
    this.limits = { perSecond: 25, perChatIntervalMs: 1000, maxRetryAfterMs: 60_000, ...options.limits };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxTextLength = options.maxTextLength ?? 4096;
  }

  async send(message: OutboundMessage): Promise<{ messageIds: string[] }> {
    const parts = splitText(plainText(message), this.maxTextLength);
    const buttons = message.buttons?.map((row) => row.map((b) => ({ label: b.label, token: b.token })));
    const protect = message.protect ?? false;
    const messageIds: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const body = {
        chatId: message.to.chatId,
        text: parts[i],
        // Buttons go with the last part, under the whole text.
        ...(i === parts.length - 1 && buttons ? { buttons } : {}),
        protect,
      };
      if (i === 0) {
        messageIds.push(await this.sendPart(body));
        continue;
      }
      // Later parts go to the same chat: keep its interval, and never resend what was delivered.
      messageIds.push(await this.sendLaterPart(body, messageIds, parts.length));
    }
    return { messageIds };
  }

  async delete(request: OutboundDelete): Promise<void> {
    for (let i = 0; i < request.messageIds.length; i += 100) {
      const messageIds = request.messageIds.slice(i, i + 100);
      try {
        await this.post('/delete', { chatId: request.to.chatId, messageIds });
      } catch (error) {
        // What the platform refuses to delete (gone, too old, blocked chat) is skipped silently.
        if (error instanceof TransportError && ['rejected', 'unreachable'].includes(error.failure.kind))
          continue;
        throw error;
      }
    }
  }

  private async sendPart(body: Record<string, unknown>): Promise<string> {
    const answer = await this.post('/send', body);
    const id = answer.messageId;
    if (typeof id !== 'string' && typeof id !== 'number') {
      // Accepted but unidentifiable: not a TransportError, so the worker marks it uncertain.
      throw new Error('bad-response: no messageId');
    }
    return String(id);
  }

  private async sendLaterPart(body: Record<string, unknown>, delivered: string[], parts: number) {
    let wait = this.limits.perChatIntervalMs;
    for (let attempt = 1; ; attempt++) {
      await sleep(wait);
      try {
        return await this.sendPart(body);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        const f = error.failure;
        const retry = f.kind === 'rate-limited' || f.kind === 'transient';
        if (!retry || attempt >= LATER_PART_ATTEMPTS)
          throw new PartialSendError([...delivered], parts, error);
        wait = f.kind === 'rate-limited' ? f.retryAfterMs : 500 * attempt;
      }
    }
  }

  /** POSTs JSON; returns the 200 body or throws a classified TransportError. */
  private async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (error) {
      // Only a refused connection certainly never reached the platform; after a timeout or a
      // reset it may have taken the message, and sending it again could deliver it twice.
      const code = networkCode(error);
      throw new TransportError({ kind: code === 'econnrefused' ? 'transient' : 'uncertain' }, code);
    }
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
    } catch {
      json = {};
    }
    if (res.status === 200) {
      if (json.ok !== true) throw new Error('bad-response: not ok');
      return json;
    }
    const code = `http-${res.status}`;
    if (res.status === 429) {
      const params = json.parameters as { retry_after?: unknown } | undefined;
      const seconds = typeof params?.retry_after === 'number' ? params.retry_after : Number.NaN;
      if (!Number.isFinite(seconds) || seconds < 0) {
        throw new TransportError({ kind: 'rejected' }, 'bad-retry-after');
      }
      const retryAfterMs = Math.round(seconds * 1000);
      if (retryAfterMs > this.limits.maxRetryAfterMs) {
        throw new TransportError({ kind: 'rejected' }, 'absurd-retry-after');
      }
      throw new TransportError({ kind: 'rate-limited', retryAfterMs }, code);
    }
    if (res.status === 403) throw new TransportError({ kind: 'unreachable' }, code);
    if (res.status >= 500) throw new TransportError({ kind: 'transient' }, code);
    throw new TransportError({ kind: 'rejected' }, code);
  }
}

/** A code for a network failure: the error's name or system code, nothing else. */
function networkCode(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timeout';
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code.toLowerCase();
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = e.cause;
  }
  return 'network';
}

/**
 * Splits text into parts of at most `max` UTF-16 code units, preferring paragraph breaks, then
 * line breaks, then spaces, and never cutting a surrogate pair.
 */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = -1;
    let skip = 0;
    for (const sep of ['\n\n', '\n', ' ']) {
      const at = rest.lastIndexOf(sep, max - sep.length);
      if (at >= max / 2) {
        cut = at;
        skip = sep.length;
        break;
      }
    }
    if (cut < 0) {
      cut = max;
      const c = rest.charCodeAt(cut - 1);
      if (c >= 0xd800 && c <= 0xdbff) cut--;
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut + skip);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
