import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/delivery/transport.ts';
import type { Button, OutboundMessage } from '../../src/engine/types.ts';
import { type FakePlatform, type FakePlatformOptions, startFakePlatform } from './fake-platform.ts';
import { FakeTransport, PartialSendError, splitText } from './fake-transport.ts';

const platforms: FakePlatform[] = [];
afterEach(async () => {
  await Promise.all(platforms.splice(0).map((p) => p.close()));
});

async function start(options?: FakePlatformOptions): Promise<FakePlatform> {
  const p = await startFakePlatform(options);
  platforms.push(p);
  return p;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the fake answers, loosely: tests read the fields they check. */
interface Answer {
  ok: boolean;
  messageId?: string;
  deleted?: number;
  error_code?: number;
  description?: string;
  parameters?: { retry_after: number };
}

async function post(p: FakePlatform, path: string, body: unknown): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${p.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Answer };
}

const send = (p: FakePlatform, chatId: string, extra: Record<string, unknown> = {}) =>
  post(p, '/send', { chatId, text: 'hello', ...extra });

const CANARY = 'CANARY-private-answer-7f3a';

function message(chatId: string, text = `Your check-in is ready. ${CANARY}`, buttons?: Button[][]) {
  const m: OutboundMessage = {
    type: 'message',
    to: { platform: 'telegram', chatId, kind: 'private' },
    kind: 'prompt',
    paragraphs: [[{ style: 'plain', text }]],
    private: false,
  };
  if (buttons) m.buttons = buttons;
  return m;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('fake platform is strict', () => {
  it('accepts exactly perSecond sends in a 1 s window, then 429 with retry_after >= 1', async () => {
    const p = await start();
    const started = performance.now();
    const answers = [];
    for (let i = 0; i < 31; i++) answers.push(await send(p, `chat-${i}`));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(answers.slice(0, 30).every((a) => a.status === 200 && a.json.ok === true)).toBe(true);
    const last = answers[30]!;
    expect(last.status).toBe(429);
    expect(last.json).toMatchObject({ ok: false, error_code: 429 });
    expect(last.json.parameters?.retry_after).toBeGreaterThanOrEqual(1);
    expect(last.json.description).toBe(`Too Many Requests: retry after ${last.json.parameters?.retry_after}`);
    expect(p.sent).toHaveLength(30);
    expect(p.count429()).toBe(1);
    expect(p.rejected[0]).toMatchObject({ chatId: 'chat-30', status: 429 });
    expect(new Set(p.sent.map((s) => s.messageId)).size).toBe(30);
  });

  it('rejects a second send to one chat inside the interval, accepts it after', async () => {
    const p = await start();
    expect((await send(p, 'a')).status).toBe(200);
    await sleep(100);
    const second = await send(p, 'a');
    expect(second.status).toBe(429);
    expect(second.json.parameters?.retry_after).toBeGreaterThanOrEqual(1);
    expect((await send(p, 'b')).status).toBe(200);
    await sleep(p.options.perChatIntervalMs - 100 + 20);
    expect((await send(p, 'a')).status).toBe(200);
    expect(p.sent.map((s) => s.chatId)).toEqual(['a', 'b', 'a']);
    expect(p.perChatViolations()).toBe(0);
  });

  it('answers 403 for a blocked chat, 400 for malformed messages', async () => {
    const p = await start({ blocked: new Set(['blocked']) });
    const b = await send(p, 'blocked');
    expect(b.status).toBe(403);
    expect(b.json.description).toMatch(/blocked by the user/);
    expect((await send(p, 'c1', { text: 'x'.repeat(4097) })).status).toBe(400);
    expect((await send(p, 'c2', { text: 'x'.repeat(4096) })).status).toBe(200);
    expect((await send(p, 'c3', { text: '' })).status).toBe(400);
    const token65 = 't'.repeat(65);
    expect((await send(p, 'c4', { buttons: [[{ label: 'Go', token: token65 }]] })).status).toBe(400);
    // Bytes, not characters: 22 three-byte characters are 66 bytes.
    expect((await send(p, 'c5', { buttons: [[{ label: 'Go', token: '€'.repeat(22) }]] })).status).toBe(400);
    expect((await send(p, 'c6', { buttons: [[{ label: 'Go', token: 't'.repeat(64) }]] })).status).toBe(200);
    expect(p.rejected.map((r) => r.status)).toEqual([403, 400, 400, 400, 400]);
    expect(p.sent.map((s) => s.chatId)).toEqual(['c2', 'c6']);
  });

  it('failNext injects transient errors, then recovers', async () => {
    const p = await start();
    p.failNext(2, 502);
    expect((await send(p, 'a')).status).toBe(502);
    expect((await send(p, 'a')).status).toBe(502);
    expect((await send(p, 'a')).status).toBe(200);
    expect(p.sent).toHaveLength(1);
  });

  it('deletes only messages it sent to that chat', async () => {
    const p = await start();
    const { json } = await send(p, 'a');
    expect((await post(p, '/delete', { chatId: 'b', messageIds: [json.messageId] })).json.deleted).toBe(0);
    const d = await post(p, '/delete', { chatId: 'a', messageIds: [json.messageId, '999999'] });
    expect(d).toEqual({ status: 200, json: { ok: true, deleted: 1 } });
    expect(p.deleted.at(-1)).toMatchObject({ chatId: 'a', deleted: 1 });
  });

  it('never accepts over the limits under a burst of 500 concurrent sends to 50 chats', async () => {
    const p = await start();
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) => send(p, `chat-${i % 50}`, { text: `m${i}` })),
    );
    const ok = answers.filter((a) => a.status === 200).length;
    expect(ok).toBe(p.sent.length);
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(30);
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    expect(p.count429()).toBe(500 - ok);
    expect(p.peakPerSecond()).toBeLessThanOrEqual(30);
    expect(p.perChatViolations()).toBe(0);
  });

  it('self-checks count what a lax platform would have let through', async () => {
    const p = await start({ perSecond: Number.POSITIVE_INFINITY, perChatIntervalMs: 0 });
    await Promise.all(Array.from({ length: 40 }, () => send(p, 'same')));
    expect(p.sent).toHaveLength(40);
    expect(p.peakPerSecond()).toBe(40);
    p.reset();
    expect(p.sent).toHaveLength(0);
  });
});

describe('FakeTransport classifies failures', () => {
  const errors: unknown[] = [];

  async function failure(transport: FakeTransport, m = message('x')): Promise<TransportError> {
    const e = await caught(transport.send(m));
    errors.push(e);
    expect(e).toBeInstanceOf(TransportError);
    return e as TransportError;
  }

  it('sends and returns the platform id, with buttons and protect', async () => {
    const p = await start();
    const t = new FakeTransport(p.url);
    expect(t.platform).toBe('telegram');
    expect(t.limits).toEqual({ perSecond: 25, perChatIntervalMs: 1000, maxRetryAfterMs: 60_000 });
    const m = { ...message('a', 'Hi', [[{ label: 'Start', token: 'start:1' }]]), protect: true };
    const { messageIds } = await t.send(m);
    expect(messageIds).toEqual([p.sent[0]!.messageId]);
    expect(p.sent[0]).toMatchObject({
      chatId: 'a',
      text: 'Hi\n[Start]',
      protect: true,
      buttons: [[{ label: 'Start', token: 'start:1' }]],
    });
  });

  it('429 -> rate-limited with retryAfterMs from retry_after', async () => {
    const p = await start({ retryAfterSeconds: 7 });
    const t = new FakeTransport(p.url);
    await t.send(message('a'));
    const e = await failure(t, message('a'));
    expect(e.failure).toEqual({ kind: 'rate-limited', retryAfterMs: 7000 });
    expect(e.message).toBe('rate-limited: http-429');
  });

  it('an absurd retry_after fails loudly as rejected', async () => {
    const p = await start({ retryAfterSeconds: 3600 });
    const t = new FakeTransport(p.url, { limits: { maxRetryAfterMs: 60_000 } });
    await t.send(message('a'));
    const e = await failure(t, message('a'));
    expect(e.failure).toEqual({ kind: 'rejected' });
    expect(e.message).toBe('rejected: absurd-retry-after');
  });

  it('403 -> unreachable, 400 -> rejected, 502 -> transient', async () => {
    const p = await start({ blocked: new Set(['gone']) });
    const t = new FakeTransport(p.url);
    expect((await failure(t, message('gone'))).failure).toEqual({ kind: 'unreachable' });
    const badToken = await failure(t, message('a', CANARY, [[{ label: 'L', token: 'z'.repeat(65) }]]));
    expect(badToken.failure).toEqual({ kind: 'rejected' });
    expect(badToken.message).toBe('rejected: http-400');
    // A transport that does not split (as if it misjudged the limit) meets the platform's 400.
    const unsplit = new FakeTransport(p.url, { maxTextLength: 10_000 });
    const long = await failure(unsplit, message('c', `${CANARY} ${'y'.repeat(5000)}`));
    expect(long.failure).toEqual({ kind: 'rejected' });
    expect(long.message).toBe('rejected: http-400');
    p.failNext(1, 502);
    const e = await failure(t, message('b'));
    expect(e.failure).toEqual({ kind: 'transient' });
    expect(e.message).toBe('transient: http-502');
  });

  it('connection refused -> transient', async () => {
    const p = await start();
    const t = new FakeTransport(p.url);
    await p.close();
    const e = await failure(t);
    expect(e.failure).toEqual({ kind: 'transient' });
    expect(e.message).toBe('transient: econnrefused');
  });

  it('a timeout -> uncertain: the platform may have taken it, so it is never sent twice', async () => {
    // A server that accepts the connection and never answers.
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const t = new FakeTransport(`http://127.0.0.1:${port}`, { timeoutMs: 200 });
      const e = await failure(t);
      expect(e.failure).toEqual({ kind: 'uncertain' });
      expect(e.message).toBe('uncertain: timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('splits a 5000-character text into two sends and returns both ids', async () => {
    const p = await start();
    const t = new FakeTransport(p.url);
    const text = `${'word '.repeat(1000)}`.trim();
    expect(text.length).toBeGreaterThan(4096);
    const { messageIds } = await t.send(message('a', text, [[{ label: 'OK', token: 'ok' }]]));
    expect(messageIds).toHaveLength(2);
    expect(messageIds).toEqual(p.sent.map((s) => s.messageId));
    expect(p.sent.every((s) => s.text.length <= 4096)).toBe(true);
    expect(p.sent[0]!.buttons).toBeUndefined();
    expect(p.sent[1]!.buttons).toEqual([[{ label: 'OK', token: 'ok' }]]);
    expect(p.sent.map((s) => s.text).join(' ')).toBe(`${text}\n[OK]`);
    expect(p.rejected).toHaveLength(0);
    expect(p.perChatViolations()).toBe(0);
  });

  it('a later part failing after the first was accepted is a partial send, never resent', async () => {
    const p = await start();
    const t = new FakeTransport(p.url, { limits: { perChatIntervalMs: 50 } });
    const text = `${CANARY} ${'word '.repeat(1000)}`;
    const e = await caught(t.send(message('a', text, [[{ label: 'Bad', token: 'z'.repeat(65) }]])));
    expect(e).toBeInstanceOf(PartialSendError);
    expect(e).not.toBeInstanceOf(TransportError);
    expect((e as PartialSendError).deliveredIds).toEqual([p.sent[0]!.messageId]);
    expect((e as Error).message).toBe('partial-send: 1/2 delivered (rejected: http-400)');
    expect(String((e as Error).stack)).not.toContain(CANARY);
  });

  it('splitText never cuts a surrogate pair and keeps everything', () => {
    const text = '😀'.repeat(3000);
    const parts = splitText(text, 4096);
    expect(parts.join('')).toBe(text);
    expect(parts.every((s) => s.length <= 4096 && !/^[\uDC00-\uDFFF]/.test(s))).toBe(true);
  });

  it('deletes through the platform and skips what it cannot delete', async () => {
    const p = await start({ blocked: new Set(['gone']) });
    const t = new FakeTransport(p.url);
    const { messageIds } = await t.send(message('a'));
    await t.delete({ type: 'delete', to: message('a').to, messageIds });
    expect(p.deleted).toEqual([expect.objectContaining({ chatId: 'a', messageIds, deleted: 1 })]);
    await t.delete({ type: 'delete', to: message('gone').to, messageIds: ['1'] });
    p.failNext(1, 500);
    const e = await caught(t.delete({ type: 'delete', to: message('a').to, messageIds: ['1'] }));
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).failure).toEqual({ kind: 'transient' });
  });

  it('no TransportError carries message text', () => {
    expect(errors.length).toBeGreaterThanOrEqual(6);
    for (const e of errors) {
      const err = e as Error;
      expect(err.message).not.toContain(CANARY);
      expect(String(err.stack)).not.toContain(CANARY);
      expect(JSON.stringify(err)).not.toContain(CANARY);
      expect(err.message).toMatch(/^[a-z-]+: [a-z0-9-]+$/);
    }
  });
});
