import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegraf, TelegramError } from 'telegraf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTelegramEmulator, type TelegramEmulator } from './emulator.ts';

let emu: TelegramEmulator;

beforeEach(async () => {
  emu = await startTelegramEmulator();
});

afterEach(async () => {
  await emu.close();
});

interface ApiAnswer {
  status: number;
  body: {
    ok: boolean;
    result?: unknown;
    error_code?: number;
    description?: string;
    parameters?: { retry_after?: number };
  };
}

async function api(
  method: string,
  params: Record<string, unknown> = {},
  token = emu.token,
): Promise<ApiAnswer> {
  const res = await fetch(`${emu.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as ApiAnswer['body'] };
}

const result = <T = Record<string, unknown>>(a: ApiAnswer) => a.body.result as T;
const started = (id: number, name = 'Alice') => emu.user(id, { first_name: name, started: true });

describe('strict Bot API over HTTP', () => {
  it('rejects malformed HTML with the Bot API answer and accepts every supported tag', async () => {
    started(11);
    const cases: [string, string][] = [
      ['<script>alert(1)</script>', 'Unsupported start tag "script" at byte offset 0'],
      ['1 < 2', 'Unsupported start tag "" at byte offset 2'],
      ['see <3', 'Unclosed start tag at byte offset 4'],
      ['é <x', 'Unclosed start tag at byte offset 3'], // byte offsets, not characters
      ['2 > 1', 'Unescaped ">" at byte offset 2; it must be written as "&gt;"'],
      ['AT&T', 'Unescaped "&" at byte offset 2; it must be written as "&amp;"'],
      ['it&apos;s', 'Unescaped "&" at byte offset 2; it must be written as "&amp;"'],
      ['<b>bold', 'Can\'t find end tag corresponding to start tag "b"'],
      ['<b><i>x</b></i>', 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'],
      ['x</b>', 'Unexpected end tag at byte offset 1'],
      ['<span>x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'],
      ['<a href=x&y>l</a>', 'Unexpected end of name token at byte offset 8'],
    ];
    for (const [text, why] of cases) {
      const answer = await api('sendMessage', { chat_id: 11, text, parse_mode: 'HTML' });
      expect(answer, text).toEqual({
        status: 400,
        body: { ok: false, error_code: 400, description: `Bad Request: can't parse entities: ${why}` },
      });
    }
    expect(emu.rejected).toHaveLength(cases.length);
    expect(emu.rejected[0]).toMatchObject({ method: 'sendMessage', status: 400, chat_id: 11 });

    const all =
      '<b>b</b><strong>strong</strong><i>i</i><em>em</em><u>u</u><ins>ins</ins><s>s</s><strike>st</strike>' +
      '<del>del</del><a href="https://example.org/?a=1&amp;b=2">link</a><code>code</code>' +
      '<pre><code class="language-ts">const a = 1;</code></pre><blockquote>quote</blockquote>' +
      '<blockquote expandable>more</blockquote><tg-spoiler>sp</tg-spoiler><span class="tg-spoiler">sp2</span>' +
      ' &lt;3 &gt; &amp; &quot; &#39; &#x1F600;';
    const ok = await api('sendMessage', { chat_id: 11, text: all, parse_mode: 'HTML' });
    expect(ok.status).toBe(200);
    const message = result<{ text: string; entities: { type: string; url?: string; language?: string }[] }>(
      ok,
    );
    expect(message.text).toBe('bstrongiemuinssstdellinkcodeconst a = 1;quotemorespsp2 <3 > & " \' \u{1F600}');
    expect(message.entities.map((e) => e.type)).toEqual([
      'bold',
      'bold',
      'italic',
      'italic',
      'underline',
      'underline',
      'strikethrough',
      'strikethrough',
      'strikethrough',
      'text_link',
      'code',
      'pre',
      'blockquote',
      'expandable_blockquote',
      'spoiler',
      'spoiler',
    ]);
    expect(message.entities.find((e) => e.type === 'text_link')?.url).toBe('https://example.org/?a=1&b=2');
    expect(message.entities.find((e) => e.type === 'pre')?.language).toBe('ts');
    const [stored] = emu.messages(11);
    expect(stored).toMatchObject({ text: all, parse_mode: 'HTML', deleted: false, protect_content: false });
  });

  it('counts visible characters for the 4,096 limit and rejects empty text', async () => {
    started(11);
    const tooLong = await api('sendMessage', {
      chat_id: 11,
      text: `<b>${'x'.repeat(4097)}</b>`,
      parse_mode: 'HTML',
    });
    expect(tooLong.body).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: message is too long',
    });
    const plainTooLong = await api('sendMessage', { chat_id: 11, text: 'y'.repeat(4097) });
    expect(plainTooLong.body.description).toBe('Bad Request: message is too long');
    // 4,096 visible characters; the tags and entities make the raw string far longer.
    const exact = `<b>${'x'.repeat(2000)}</b><i>${'&amp;'.repeat(2096)}</i>`;
    expect(exact.length).toBeGreaterThan(10_000);
    const ok = await api('sendMessage', { chat_id: 11, text: exact, parse_mode: 'HTML' });
    expect(ok.status).toBe(200);
    expect(result<{ text: string }>(ok).text).toHaveLength(4096);
    // Characters are Unicode scalars: 4,096 emoji (8,192 UTF-16 units) fit, one more does not.
    expect((await api('sendMessage', { chat_id: 11, text: '\u{1F600}'.repeat(4096) })).status).toBe(200);
    expect((await api('sendMessage', { chat_id: 11, text: '\u{1F600}'.repeat(4097) })).body.description).toBe(
      'Bad Request: message is too long',
    );
    for (const text of ['', '   ', '<b> </b>']) {
      const empty = await api('sendMessage', { chat_id: 11, text, parse_mode: 'HTML' });
      expect(empty.body.description, JSON.stringify(text)).toBe('Bad Request: message text is empty');
    }
    expect((await api('sendMessage', { chat_id: 11, text: 'x', parse_mode: 'html5' })).body.description).toBe(
      'Bad Request: unsupported parse_mode',
    );
  });

  it('validates inline keyboards: callback_data bytes, button count, buttons without action', async () => {
    started(11);
    const send = (inline_keyboard: unknown) =>
      api('sendMessage', { chat_id: 11, text: 'pick', reply_markup: { inline_keyboard } });
    expect((await send([[{ text: 'a', callback_data: 'x'.repeat(65) }]])).body).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: BUTTON_DATA_INVALID',
    });
    // 33 two-byte characters are 66 bytes: bytes count, not characters.
    expect((await send([[{ text: 'a', callback_data: 'é'.repeat(33) }]])).body.description).toBe(
      'Bad Request: BUTTON_DATA_INVALID',
    );
    expect((await send([[{ text: 'a', callback_data: 'é'.repeat(32) }]])).status).toBe(200);
    expect((await send([[{ text: 'a', callback_data: 'x'.repeat(64) }]])).status).toBe(200);
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => [{ text: `${i}`, callback_data: `b${i}` }]);
    expect((await send(rows(100))).status).toBe(200);
    expect((await send(rows(101))).body.description).toBe('Bad Request: reply markup is too long');
    expect((await send([[{ text: 'no action' }]])).body.description).toBe(
      "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
    );
    expect((await send({ text: 'x' })).body.description).toMatch(/should be an Array of Arrays/);
    expect(emu.messages(11)).toHaveLength(3);
  });

  it('deletes for real and refuses unknown, already deleted and 48-hour-old messages', async () => {
    started(11);
    const first = result<{ message_id: number }>(await api('sendMessage', { chat_id: 11, text: 'one' }));
    const second = result<{ message_id: number }>(await api('sendMessage', { chat_id: 11, text: 'two' }));
    const inStorage = (id: number) => emu.server.storage.botMessages.some((m) => m.messageId === id);
    expect(inStorage(first.message_id)).toBe(true);

    expect((await api('deleteMessage', { chat_id: 11, message_id: first.message_id })).body).toEqual({
      ok: true,
      result: true,
    });
    expect(inStorage(first.message_id)).toBe(false); // gone from the emulator's own storage
    expect(emu.messages(11).map((m) => [m.text, m.deleted])).toEqual([
      ['one', true],
      ['two', false],
    ]);
    for (const id of [first.message_id, 9999]) {
      expect((await api('deleteMessage', { chat_id: 11, message_id: id })).body.description).toBe(
        'Bad Request: message to delete not found',
      );
    }
    expect(
      (await api('editMessageText', { chat_id: 11, message_id: first.message_id, text: 'x' })).body,
    ).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: message to edit not found',
    });
    expect((await api('editMessageReplyMarkup', { chat_id: 11, message_id: 9999 })).body.description).toBe(
      'Bad Request: message to edit not found',
    );

    emu.advanceTime(48 * 3600 * 1000 + 1);
    expect(
      (await api('deleteMessage', { chat_id: 11, message_id: second.message_id })).body.description,
    ).toBe("Bad Request: message can't be deleted");
    expect(emu.messages(11)[1]?.deleted).toBe(false);
  });

  it('edits like Telegram: returns the message, refuses no-op edits, drops an omitted keyboard', async () => {
    const alice = started(11);
    const keyboard = { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] };
    const sent = result<{ message_id: number }>(
      await api('sendMessage', { chat_id: 11, text: 'Q?', reply_markup: keyboard, protect_content: true }),
    );
    const id = sent.message_id;
    const same = await api('editMessageText', {
      chat_id: 11,
      message_id: id,
      text: 'Q?',
      reply_markup: keyboard,
    });
    expect(same.body.description).toBe(
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message',
    );
    const edited = await api('editMessageText', {
      chat_id: 11,
      message_id: id,
      text: '<b>Q</b> answered',
      parse_mode: 'HTML',
    });
    expect(result(edited)).toMatchObject({ message_id: id, text: 'Q answered', has_protected_content: true });
    expect(result(edited)).not.toHaveProperty('reply_markup');
    const [message] = alice.messages();
    expect(message).toMatchObject({
      text: '<b>Q</b> answered',
      visibleText: 'Q answered',
      parse_mode: 'HTML',
      reply_markup: undefined,
      protect_content: true,
    });
    expect(message?.edits).toEqual([{ text: 'Q?', parse_mode: undefined, reply_markup: keyboard }]);
    // The keyboard is gone, so a user cannot press it any more.
    await expect(alice.pressButton(id, 'yes')).rejects.toThrow(/no button/);
    expect(
      (
        await api('editMessageReplyMarkup', {
          chat_id: 11,
          message_id: id,
          reply_markup: { inline_keyboard: [] },
        })
      ).body.description,
    ).toMatch(/message is not modified/);
    const { message_id: userMessage } = await alice.sendText('mine');
    expect(
      (await api('editMessageText', { chat_id: 11, message_id: userMessage, text: 'x' })).body.description,
    ).toBe("Bad Request: message can't be edited");
  });

  it('answers a callback query once, and only a real one', async () => {
    const alice = started(11);
    const sent = result<{ message_id: number }>(
      await api('sendMessage', {
        chat_id: 11,
        text: 'Q?',
        reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] },
      }),
    );
    const tooOld = 'Bad Request: query is too old and response timeout expired or query ID is invalid';
    expect((await api('answerCallbackQuery', { callback_query_id: '424242' })).body.description).toBe(tooOld);
    const press = await alice.pressButton(sent.message_id, 'yes');
    const updates = result<{ callback_query: Record<string, unknown> }[]>(await api('getUpdates'));
    expect(updates[0]?.callback_query).toMatchObject({
      id: press.callback_query_id,
      data: 'yes',
      from: { id: 11 },
      message: { message_id: sent.message_id, text: 'Q?', from: { is_bot: true } },
    });
    expect(typeof updates[0]?.callback_query.chat_instance).toBe('string');
    expect(
      (await api('answerCallbackQuery', { callback_query_id: press.callback_query_id, text: 'ok' })).status,
    ).toBe(200);
    expect(
      (await api('answerCallbackQuery', { callback_query_id: press.callback_query_id })).body.description,
    ).toBe(tooOld);
    expect(emu.callbackAnswers).toEqual([
      expect.objectContaining({
        callback_query_id: press.callback_query_id,
        data: 'yes',
        user_id: 11,
        text: 'ok',
      }),
    ]);
  });

  it('answers 429 on demand, 403 for blocked chats and users who never started the bot, 400 for unknown chats', async () => {
    started(11);
    emu.rateLimitNext(2, 7);
    for (let i = 0; i < 2; i++) {
      expect((await api('sendMessage', { chat_id: 11, text: 'hi' })).body).toEqual({
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      });
    }
    expect((await api('sendMessage', { chat_id: 11, text: 'hi' })).status).toBe(200);
    emu.block(11);
    expect((await api('sendMessage', { chat_id: 11, text: 'hi' })).body).toEqual({
      ok: false,
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
    emu.unblock(11);
    expect((await api('sendMessage', { chat_id: 11, text: 'hi' })).status).toBe(200);
    emu.user(12, { first_name: 'Bob' }); // registered, never wrote to the bot
    expect((await api('sendMessage', { chat_id: 12, text: 'hi' })).body.description).toBe(
      "Forbidden: bot can't initiate conversation with a user",
    );
    expect((await api('sendMessage', { chat_id: 999, text: 'hi' })).body.description).toBe(
      'Bad Request: chat not found',
    );
    expect(emu.rejected.map((r) => r.status)).toEqual([429, 429, 403, 403, 400]);
    expect(emu.rejected[0]?.retry_after).toBe(7);
  });

  it('long-polls getUpdates, wakes on an update, honours offset and allowed_updates', async () => {
    const alice = emu.user(11, { first_name: 'Alice' });
    let t0 = Date.now();
    const idle = await api('getUpdates', { timeout: 1 });
    const waited = Date.now() - t0;
    expect(result(idle)).toEqual([]);
    expect(waited).toBeGreaterThan(400);
    expect(waited).toBeLessThan(2500);

    t0 = Date.now();
    const polling = api('getUpdates', { timeout: 5 });
    await new Promise((r) => setTimeout(r, 150));
    const sent = await alice.sendText('hello');
    const woke = await polling;
    expect(Date.now() - t0).toBeLessThan(1500);
    const updates = result<{ update_id: number; message: { text: string } }[]>(woke);
    expect(updates.map((u) => u.message.text)).toEqual(['hello']);
    expect(updates[0]?.update_id).toBe(sent.update_id);

    // Not confirmed yet: delivered again; an offset past it confirms it.
    expect(result<unknown[]>(await api('getUpdates'))).toHaveLength(1);
    expect(result<unknown[]>(await api('getUpdates', { offset: sent.update_id + 1 }))).toEqual([]);
    expect(result<unknown[]>(await api('getUpdates'))).toEqual([]);

    // allowed_updates: only callback queries, so the text is skipped for good.
    const q = result<{ message_id: number }>(
      await api('sendMessage', {
        chat_id: 11,
        text: 'Q',
        reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] },
      }),
    );
    await alice.sendText('ignored');
    await alice.pressButton(q.message_id, 'a');
    const only = result<Record<string, unknown>[]>(
      await api('getUpdates', { allowed_updates: ['callback_query'] }),
    );
    expect(only.map((u) => Object.keys(u).filter((k) => k !== 'update_id'))).toEqual([['callback_query']]);

    // A second poller ends the first with 409, as on Telegram.
    const first = api('getUpdates', { timeout: 5, offset: 1000 });
    await new Promise((r) => setTimeout(r, 50));
    const second = api('getUpdates', { timeout: 0, offset: 1000 });
    expect((await first).body.error_code).toBe(409);
    expect((await second).status).toBe(200);
  });

  it('records commands and answers getMyCommands, getChatMember and getChatAdministrators', async () => {
    const commands = [
      { command: 'start', description: 'Start' },
      { command: 'checkin', description: 'Check in now' },
    ];
    const scope = { type: 'all_private_chats' };
    expect((await api('setMyCommands', { commands, scope })).status).toBe(200);
    expect(emu.commands).toEqual([{ commands, scope, language_code: '' }]);
    expect(result(await api('getMyCommands', { scope }))).toEqual(commands);
    expect(result(await api('getMyCommands'))).toEqual([]);
    expect(emu.currentCommands(scope)).toEqual(commands);
    expect(
      (await api('setMyCommands', { commands: [{ command: 'CheckIn', description: 'x' }] })).body.description,
    ).toBe('Bad Request: BOT_COMMAND_INVALID');
    expect((await api('deleteMyCommands', { scope })).status).toBe(200);
    expect(result(await api('getMyCommands', { scope }))).toEqual([]);

    const alice = started(11);
    const bob = started(12, 'Bob');
    const group = emu.group(-100, 'Us');
    group.setMember(alice, 'creator');
    group.setMember(bob, 'member');
    expect(result(await api('getChatMember', { chat_id: -100, user_id: 12 }))).toMatchObject({
      status: 'member',
      user: { id: 12 },
    });
    expect(result(await api('getChatMember', { chat_id: -100, user_id: emu.botId }))).toMatchObject({
      status: 'member',
      user: { is_bot: true },
    });
    expect(result(await api('getChatAdministrators', { chat_id: -100 }))).toEqual([
      expect.objectContaining({ status: 'creator', user: expect.objectContaining({ id: 11 }) }),
    ]);
    expect((await api('getChatAdministrators', { chat_id: 11 })).body.description).toBe(
      'Bad Request: there are no administrators in the private chat',
    );
    // The bot counts as a member; someone who left does not.
    expect(result(await api('getChatMemberCount', { chat_id: -100 }))).toBe(3);
    group.setMember(bob, 'left');
    expect(result(await api('getChatMemberCount', { chat_id: -100 }))).toBe(2);
    expect((await api('getChatMemberCount', { chat_id: -999 })).body.description).toBe(
      'Bad Request: chat not found',
    );
  });

  it('upgrades a group to a supergroup: the old id answers 400 with migrate_to_chat_id', async () => {
    const alice = started(11);
    const group = emu.group(-400, 'Practice');
    group.setMember(alice, 'administrator');
    const upgraded = group.migrateToSupergroup(-1_000_000_400);
    const old = await api('sendMessage', { chat_id: -400, text: 'hello' });
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: -1_000_000_400 },
    });
    expect((await api('sendMessage', { chat_id: -1_000_000_400, text: 'hello' })).status).toBe(200);
    expect(upgraded.chat).toMatchObject({ type: 'supergroup', title: 'Practice' });
    expect(result(await api('getChatMember', { chat_id: -1_000_000_400, user_id: 11 }))).toMatchObject({
      status: 'administrator',
    });
  });

  it('keeps group chatter from a bot in privacy mode, unless it is an administrator there', async () => {
    const alice = started(11);
    const group = emu.group(-300, 'Practice', { type: 'supergroup' });
    const texts = async () =>
      result<{ message: { text: string } }[]>(await api('getUpdates')).map((u) => u.message.text);
    expect((await group.sendTextAs(alice, 'just chatting')).update_id).toBe(-1);
    await group.sendCommandAs(alice, '/trends');
    await group.sendTextAs(alice, `hello @${emu.botUsername}`);
    expect(await texts()).toEqual(['/trends', `hello @${emu.botUsername}`]);
    group.setBotStatus('administrator');
    await group.sendTextAs(alice, 'admins hear everything');
    expect((await texts()).at(-1)).toBe('admins hear everything');
  });

  it('answers 404 to methods it lacks and 401 to malformed tokens; its own client API still works', async () => {
    expect((await api('sendPoll', { chat_id: 1 })).body).toEqual({
      ok: false,
      error_code: 404,
      description: 'Not Found',
    });
    expect((await api('getMe', {}, 'not-a-token')).body).toEqual({
      ok: false,
      error_code: 401,
      description: 'Unauthorized',
    });
    // telegram-test-api's own client routes fall through to its express app.
    const client = emu.server.getClient(emu.token, { userId: 5, chatId: 5, firstName: 'Eve' });
    await client.sendMessage(client.makeMessage('via the emulator client'));
    const updates = result<{ message: { text: string } }[]>(await api('getUpdates'));
    expect(updates.map((u) => u.message.text)).toEqual(['via the emulator client']);
    expect((await api('sendMessage', { chat_id: 5, text: 'hello Eve' })).status).toBe(200);
  });

  it('delivers to a webhook with its secret header, retrying until it answers 200', async () => {
    const received: { secret: string | undefined; body: Record<string, unknown> }[] = [];
    let failFirst = true;
    const hook = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false;
          res.writeHead(500).end();
          return;
        }
        received.push({
          secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      expect((await api('setWebhook', { url: 'http://example.org/hook' })).body.description).toBe(
        'Bad Request: bad webhook: An HTTPS URL must be provided for webhook',
      );
      expect((await api('setWebhook', { url, secret_token: 's3cret' })).body).toEqual({
        ok: true,
        result: true,
        description: 'Webhook was set',
      });
      expect((await api('getUpdates')).body.error_code).toBe(409);
      const alice = emu.user(11, { first_name: 'Alice' });
      await alice.sendText('one');
      await alice.sendText('two');
      await emu.waitFor(() => received.length === 2);
      expect(received.map((r) => [r.secret, (r.body.message as { text: string }).text])).toEqual([
        ['s3cret', 'one'],
        ['s3cret', 'two'],
      ]);
      // The hook records an update before it answers 200, and the emulator confirms it only
      // once it has read that answer: wait for the confirmation rather than racing it.
      await emu.waitFor(() => emu.pendingUpdates() === 0);
      expect(emu.pendingUpdates()).toBe(0);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });
});

describe('a real telegraf bot against the emulator', () => {
  it('receives a command, text and a button press by long polling; its replies land in messages()', async () => {
    const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.url } });
    const errors: unknown[] = [];
    bot.catch((error) => {
      errors.push(error);
    });
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    bot.start(async (ctx) => {
      await ctx.reply(`<b>Welcome</b>, ${esc(ctx.from.first_name)}! Code: <code>${esc(ctx.payload)}</code>`, {
        parse_mode: 'HTML',
        protect_content: true,
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Good', callback_data: 'mood:good' },
              { text: 'Hard', callback_data: 'mood:hard' },
            ],
          ],
        },
      });
    });
    bot.command('checkin', async (ctx) => {
      await ctx.reply(`Check-in for <b>${esc(ctx.chat.type === 'private' ? 'you' : 'the group')}</b>`, {
        parse_mode: 'HTML',
      });
    });
    bot.on('callback_query', async (ctx) => {
      const data = 'data' in ctx.callbackQuery ? ctx.callbackQuery.data : '';
      await ctx.answerCbQuery('Saved');
      await ctx.editMessageText(`You chose <i>${esc(data)}</i>`, { parse_mode: 'HTML' });
      await ctx.replyWithDocument(
        { source: Buffer.from('date,mood\n2024-01-01,good\n'), filename: 'export.csv' },
        { caption: 'Your <b>export</b>', parse_mode: 'HTML', protect_content: true },
      );
    });
    bot.on('text', async (ctx) => {
      await ctx.reply(`You said: ${esc(ctx.message.text)}`, { parse_mode: 'HTML' });
    });

    const alice = emu.user(11, { first_name: 'Alice <3', username: 'alice' });
    const bob = emu.user(12, { first_name: 'Bob' });
    const group = emu.group(-1001, 'Alice & Bob', { type: 'supergroup' });

    let launched!: () => void;
    const isLaunched = new Promise<void>((r) => {
      launched = r;
    });
    const running = bot.launch({ allowedUpdates: ['message', 'callback_query'] }, () => launched());
    await isLaunched;
    await bot.telegram.setMyCommands([{ command: 'checkin', description: 'Check in' }], {
      scope: { type: 'all_private_chats' },
    });
    try {
      await alice.sendCommand('/start', 'invite-123');
      const [welcome] = await alice.waitForMessages(1);
      expect(welcome).toMatchObject({
        text: '<b>Welcome</b>, Alice &lt;3! Code: <code>invite-123</code>',
        visibleText: 'Welcome, Alice <3! Code: invite-123',
        parse_mode: 'HTML',
        protect_content: true,
      });
      expect(welcome?.buttons.map((b) => b.callback_data)).toEqual(['mood:good', 'mood:hard']);

      await alice.pressButton(welcome!.message_id, 'mood:hard');
      await emu.waitFor(() => alice.documents().length === 1);
      const [edited, document] = alice.messages();
      expect(edited).toMatchObject({
        text: 'You chose <i>mood:hard</i>',
        reply_markup: undefined,
        deleted: false,
      });
      expect(edited?.edits).toHaveLength(1);
      expect(document).toMatchObject({
        kind: 'document',
        caption: 'Your <b>export</b>',
        protect_content: true,
      });
      const [file] = alice.documents();
      expect(file?.filename).toBe('export.csv');
      expect(file?.bytes.toString('utf8')).toBe('date,mood\n2024-01-01,good\n');
      expect(alice.callbackAnswers()).toEqual([
        expect.objectContaining({ data: 'mood:hard', text: 'Saved' }),
      ]);

      await alice.sendText('feeling <fine> & calm');
      const afterText = await alice.waitForMessages(3);
      expect(afterText[2]?.visibleText).toBe('You said: feeling <fine> & calm');

      await group.sendCommandAs(bob, '/checkin', undefined, { mention: true });
      const [inGroup] = await group.waitForMessages(1);
      expect(inGroup?.visibleText).toBe('Check-in for the group');
      expect(bob.messages()).toEqual([]);

      expect(emu.commands).toEqual([
        {
          commands: [{ command: 'checkin', description: 'Check in' }],
          scope: { type: 'all_private_chats' },
          language_code: '',
        },
      ]);
      expect(errors).toEqual([]);
      expect(emu.rejected).toEqual([]);
    } finally {
      bot.stop('test over');
      await running;
    }
    // telegraf confirmed everything it handled on the way out.
    expect(emu.pendingUpdates()).toBe(0);
  });

  it('surfaces the Bot API errors to telegraf as TelegramError', async () => {
    const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.url } });
    started(11);
    const error = await bot.telegram
      .sendMessage(11, 'a <b> c', { parse_mode: 'HTML' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramError);
    expect((error as TelegramError).code).toBe(400);
    expect((error as TelegramError).description).toBe(
      'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"',
    );
    emu.rateLimitNext(1, 3);
    const limited = (await bot.telegram.sendMessage(11, 'x').catch((e: unknown) => e)) as TelegramError;
    expect([limited.code, limited.parameters?.retry_after]).toEqual([429, 3]);
    const sent = await bot.telegram.sendMessage(11, 'x');
    expect(await bot.telegram.deleteMessage(11, sent.message_id)).toBe(true);
    const gone = (await bot.telegram
      .deleteMessage(11, sent.message_id)
      .catch((e: unknown) => e)) as TelegramError;
    expect(gone.description).toBe('Bad Request: message to delete not found');
    const tooLong = (await bot.telegram
      .sendMessage(11, 'p', {
        reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'd'.repeat(65) }]] },
      })
      .catch((e: unknown) => e)) as TelegramError;
    expect(tooLong.description).toBe('Bad Request: BUTTON_DATA_INVALID');
  });
});
