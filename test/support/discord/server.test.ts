import { once } from 'node:events';
import {
  ActionRowBuilder,
  ButtonBuilder,
  type ButtonInteraction,
  ButtonStyle,
  type ChatInputCommandInteraction,
  Client,
  ComponentType,
  DiscordAPIError,
  type DMChannel,
  Events,
  GatewayIntentBits,
  type Interaction,
  LabelBuilder,
  type Message,
  MessageFlags,
  ModalBuilder,
  type ModalSubmitInteraction,
  Partials,
  Routes,
  type StringSelectMenuInteraction,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DiscordServer, type DiscordUser, startDiscordServer } from './server.ts';
import { snowflakeTime } from './snowflake.ts';

// ---------------------------------------------------------------------------------------------
// Raw HTTP and WebSocket helpers, to see exactly what the fake answers.

async function api(
  server: DiscordServer,
  method: string,
  path: string,
  body?: unknown,
  auth = true,
): Promise<{
  status: number;
  body: { code?: number; message?: string; errors?: unknown } & Record<string, unknown>;
}> {
  const res = await fetch(`${server.apiUrl}/v10${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: `Bot ${server.token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

interface RawGateway {
  ws: WebSocket;
  next(): Promise<{ op: number; d: unknown; s: number | null; t: string | null }>;
  closed: Promise<number>;
  send(payload: unknown): void;
}

async function rawGateway(server: DiscordServer, query = '?v=10&encoding=json'): Promise<RawGateway> {
  const ws = new WebSocket(`${server.gatewayUrl}/${query}`);
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    closed,
    send: (payload) => ws.send(JSON.stringify(payload)),
    next: () =>
      new Promise((resolve) => {
        if (queue.length > 0) resolve(queue.shift() as never);
        else waiters.push(resolve as never);
      }),
  };
}

const identify = (token: string, intents = GatewayIntentBits.DirectMessages) => ({
  op: 2,
  d: { token, intents, properties: { os: 'linux', browser: 'test', device: 'test' } },
});

const button = (custom_id: string, label = 'OK') => ({
  type: ComponentType.Button,
  style: ButtonStyle.Primary,
  custom_id,
  label,
});
const row = (...components: unknown[]) => ({ type: ComponentType.ActionRow, components });

// ---------------------------------------------------------------------------------------------

describe('REST: routes, auth and Discord limits over plain HTTP', () => {
  let server: DiscordServer;
  let dm: string;

  beforeAll(async () => {
    server = await startDiscordServer();
    const alice = server.user('alice');
    const res = await api(server, 'POST', '/users/@me/channels', { recipient_id: alice.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 1, recipients: [{ id: alice.id }] });
    dm = res.body.id as string;
    expect(server.dmChannelOf(alice.id)).toBe(dm);
  });
  afterAll(() => server.close());

  it('serves /gateway/bot, wants the bot token, 404s unknown routes, sends rate-limit headers', async () => {
    const gw = await api(server, 'GET', '/gateway/bot');
    expect(gw.body).toMatchObject({
      url: server.gatewayUrl,
      shards: 1,
      session_start_limit: { max_concurrency: 1 },
    });
    expect((await api(server, 'GET', '/gateway/bot', undefined, false)).status).toBe(401);
    expect(await api(server, 'GET', '/guilds/1/emojis')).toEqual({
      status: 404,
      body: { message: '404: Not Found', code: 0 },
    });
    expect((await api(server, 'PUT', '/users/@me')).status).toBe(405);
    const res = await fetch(`${server.apiUrl}/v10/channels/${dm}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hi' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe('5');
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
    const msg = (await res.json()) as { id: string; author: { id: string }; channel_id: string };
    expect(msg.author.id).toBe(server.bot.id);
    expect(msg.channel_id).toBe(dm);
    expect(Math.abs(snowflakeTime(msg.id) - Date.now())).toBeLessThan(5000);
    expect(server.rejected.map((c) => c.status)).toEqual([401, 404, 405]);
  });

  it('answers 400 Invalid Form Body (50035) to everything over Discord limits', async () => {
    const cases: [string, unknown, string][] = [
      ['content over 2000', { content: 'x'.repeat(2001) }, 'content'],
      [
        '6 action rows',
        { components: Array.from({ length: 6 }, (_, i) => row(button(`b${i}`))) },
        'components',
      ],
      [
        '6 buttons in a row',
        { components: [row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)))] },
        '0',
      ],
      ['an empty row', { content: 'x', components: [row()] }, '0'],
      ['custom_id over 100', { components: [row(button('c'.repeat(101)))] }, '0'],
      ['label over 80', { components: [row(button('a', 'l'.repeat(81)))] }, '0'],
      ['duplicate custom_id', { components: [row(button('same')), row(button('same'))] }, '1'],
      [
        'a select next to a button',
        {
          components: [row(button('a'), { type: 3, custom_id: 's', options: [{ label: 'x', value: 'x' }] })],
        },
        '0',
      ],
      ['11 embeds', { embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, 'embeds'],
      ['embed description over 4096', { embeds: [{ description: 'd'.repeat(4097) }] }, 'embeds'],
      ['embed title over 256', { embeds: [{ title: 't'.repeat(257) }] }, 'embeds'],
      ['field value over 1024', { embeds: [{ fields: [{ name: 'n', value: 'v'.repeat(1025) }] }] }, 'embeds'],
      [
        'embeds over 6000 in total',
        { embeds: [{ description: 'a'.repeat(4000) }, { description: 'b'.repeat(2001) }] },
        'embeds',
      ],
    ];
    for (const [name, body] of cases) {
      const res = await api(server, 'POST', `/channels/${dm}/messages`, body);
      expect({ name, status: res.status, code: res.body.code, message: res.body.message }).toEqual({
        name,
        status: 400,
        code: 50035,
        message: 'Invalid Form Body',
      });
    }
    const rows = await api(server, 'POST', `/channels/${dm}/messages`, {
      components: [row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)))],
    });
    expect(rows.body.errors).toEqual({
      components: {
        0: {
          components: {
            _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 5 in length.' }],
          },
        },
      },
    });
    const total = await api(server, 'POST', `/channels/${dm}/messages`, {
      embeds: [{ description: 'a'.repeat(4000) }, { description: 'b'.repeat(2001) }],
    });
    expect(total.body.errors).toEqual({
      embeds: {
        _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }],
      },
    });
    // Exactly at the limits is fine; characters are code points, not UTF-16 units.
    const ok = await api(server, 'POST', `/channels/${dm}/messages`, {
      content: '🙂'.repeat(2000),
      components: Array.from({ length: 5 }, (_, r) =>
        row(...Array.from({ length: 5 }, (_, i) => button(`${r}-${i}`.padEnd(100, 'x'), 'l'.repeat(80)))),
      ),
      embeds: [
        {
          title: 't'.repeat(256),
          description: 'd'.repeat(4096),
          fields: [{ name: 'n', value: 'v'.repeat(1024) }],
        },
      ],
    });
    expect(ok.status).toBe(200);
  });

  it('refuses an empty message (50006), unknown channels (10003) and unknown messages (10008)', async () => {
    expect((await api(server, 'POST', `/channels/${dm}/messages`, { content: '  ' })).body).toEqual({
      message: 'Cannot send an empty message',
      code: 50006,
    });
    expect((await api(server, 'POST', `/channels/${dm}/messages`, { components: [] })).body.code).toBe(50006);
    expect((await api(server, 'POST', '/channels/123/messages', { content: 'x' })).body.code).toBe(10003);
    expect((await api(server, 'DELETE', `/channels/${dm}/messages/123`)).body).toEqual({
      message: 'Unknown Message',
      code: 10008,
    });
    expect((await api(server, 'PATCH', `/channels/${dm}/messages/123`, { content: 'x' })).status).toBe(404);
  });

  it('applies edits and deletes to the record and keeps only current messages', async () => {
    const sent = await api(server, 'POST', `/channels/${dm}/messages`, {
      content: 'v1',
      components: [row(button('go'))],
    });
    const id = sent.body.id as string;
    const edited = await api(server, 'PATCH', `/channels/${dm}/messages/${id}`, { content: 'v2' });
    expect(edited.body).toMatchObject({
      content: 'v2',
      components: [{ type: 1, components: [{ custom_id: 'go' }] }],
    });
    expect(
      (await api(server, 'PATCH', `/channels/${dm}/messages/${id}`, { content: null, components: [] })).body
        .code,
    ).toBe(50006);
    const m = server.messages(dm).find((x) => x.id === id)!;
    expect(m).toMatchObject({ content: 'v2', edits: 1 });
    expect(m.versions.map((v) => v.content)).toEqual(['v1', 'v2']);
    expect(m.edited_timestamp).not.toBeNull();
    expect((await api(server, 'DELETE', `/channels/${dm}/messages/${id}`)).status).toBe(204);
    expect(server.messages(dm).some((x) => x.id === id)).toBe(false);
    expect((await api(server, 'DELETE', `/channels/${dm}/messages/${id}`)).body.code).toBe(10008);
  });

  it('validates and records application command sets', async () => {
    const bad = await api(server, 'PUT', `/applications/${server.applicationId}/commands`, [
      { name: 'Check In', description: 'x' },
      { name: 'ok', description: '' },
      { name: 'dup', description: 'x' },
      { name: 'dup', description: 'y' },
    ]);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors as object)).toEqual(['0', '1', '3']);
    const put = await api(server, 'PUT', `/applications/${server.applicationId}/commands`, [
      { name: 'checkin', description: 'Start a check-in', contexts: [1], integration_types: [0] },
    ]);
    expect(put.status).toBe(200);
    expect(server.commands).toEqual([
      expect.objectContaining({ name: 'checkin', type: 1, contexts: [1], integration_types: [0] }),
    ]);
    expect((await api(server, 'GET', `/applications/${server.applicationId}/commands`)).body).toEqual(
      server.commands,
    );
    expect((await api(server, 'PUT', '/applications/1/commands', [])).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------

describe('gateway: handshake and close codes over a raw WebSocket', () => {
  let server: DiscordServer;
  beforeAll(async () => {
    server = await startDiscordServer({ heartbeatIntervalMs: 1000 });
  });
  afterAll(() => server.close());

  it('says HELLO, answers IDENTIFY with READY and heartbeats with ACKs', async () => {
    const gw = await rawGateway(server);
    expect(await gw.next()).toEqual({
      op: 10,
      d: expect.objectContaining({ heartbeat_interval: 1000 }),
      s: null,
      t: null,
    });
    gw.send({ op: 1, d: null });
    expect((await gw.next()).op).toBe(11);
    gw.send(identify(server.token));
    const ready = await gw.next();
    expect(ready).toMatchObject({
      op: 0,
      t: 'READY',
      s: 1,
      d: {
        v: 10,
        user: { id: server.bot.id, bot: true },
        guilds: [],
        resume_gateway_url: server.gatewayUrl,
        application: { id: server.applicationId },
      },
    });
    expect(server.dispatch('TYPING_START', { channel_id: '1' })).toBe(2);
    expect(await gw.next()).toMatchObject({ op: 0, t: 'TYPING_START', s: 2 });
    gw.send(identify(server.token));
    expect(await gw.closed).toBe(4005);
  });

  it.each([
    ['a wrong token', identify('nope'), 4004],
    ['privileged intents the app lacks', identify('', GatewayIntentBits.MessageContent), 4014],
    ['undefined intent bits', identify('', 1 << 30), 4013],
    ['an unknown opcode', { op: 99, d: null }, 4001],
    ['a presence update before identifying', { op: 3, d: {} }, 4003],
  ])('closes on %s', async (_name, payload, code) => {
    const gw = await rawGateway(server);
    await gw.next();
    const p = payload as { op: number; d: { token?: string } };
    if (p.op === 2 && p.d.token === '') p.d.token = server.token;
    gw.send(p);
    expect(await gw.closed).toBe(code);
  });

  it('closes on a wrong API version or encoding', async () => {
    expect(await (await rawGateway(server, '?v=9&encoding=json')).closed).toBe(4012);
    expect(await (await rawGateway(server, '?v=10&encoding=etf')).closed).toBe(4002);
  });

  it('resumes a session and replays what was missed, or invalidates it', async () => {
    const gw = await rawGateway(server);
    await gw.next();
    gw.send(identify(server.token));
    const ready = (await gw.next()) as { d: { session_id: string }; s: number };
    gw.ws.terminate();
    await gw.closed;
    server.dispatch('TYPING_START', { channel_id: '7' });
    const again = await rawGateway(server);
    await again.next();
    again.send({ op: 6, d: { token: server.token, session_id: ready.d.session_id, seq: ready.s } });
    expect(await again.next()).toMatchObject({ t: 'TYPING_START', s: ready.s + 1, d: { channel_id: '7' } });
    expect(await again.next()).toMatchObject({ t: 'RESUMED' });
    const bogus = await rawGateway(server);
    await bogus.next();
    bogus.send({ op: 6, d: { token: server.token, session_id: 'nope', seq: 1 } });
    expect(await bogus.next()).toEqual({ op: 9, d: false, s: null, t: null });
    again.ws.close(1000);
    bogus.ws.close(1000);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the real discord.js against the fake', () => {
  let server: DiscordServer;
  let client: Client;
  let alice: DiscordUser;
  let aliceDm: DMChannel;

  const next = <T>(event: string) => once(client, event).then(([v]) => v as T);
  const nextInteraction = <T extends Interaction>() => next<T>(Events.InteractionCreate);
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e instanceof DiscordAPIError ? e.code : `not a DiscordAPIError: ${String(e)}`),
    );

  beforeAll(async () => {
    server = await startDiscordServer({ heartbeatIntervalMs: 1000 });
    alice = server.user('alice');
    client = new Client({
      intents: [GatewayIntentBits.DirectMessages],
      partials: [Partials.Channel],
      rest: { api: server.apiUrl },
    });
    const ready = next(Events.ClientReady);
    await client.login(server.token);
    await ready;
    await client.application!.commands.set([
      { name: 'checkin', description: 'Start a check-in', contexts: [1], integrationTypes: [0] },
    ]);
    aliceDm = await client.users.createDM(alice.id);
  });
  afterAll(async () => {
    await client?.destroy();
    await server?.close();
  });

  it('logs in: GET /gateway/bot, IDENTIFY with the intents, READY, heartbeats acknowledged', async () => {
    expect(client.isReady()).toBe(true);
    expect(client.user?.id).toBe(server.bot.id);
    expect(client.application?.id).toBe(server.applicationId);
    expect(server.calls[0]).toMatchObject({ method: 'GET', path: '/gateway/bot', status: 200 });
    expect(server.identifies).toEqual([
      expect.objectContaining({
        intents: GatewayIntentBits.DirectMessages,
        shard: [0, 1],
        closedWith: null,
        properties: expect.objectContaining({ browser: expect.stringContaining('@discordjs/ws') }),
      }),
    ]);
    await server.waitFor(() => server.heartbeats >= 1 && client.ws.ping >= 0, 3000);
    expect(server.commands.map((c) => [c.name, c.contexts, c.integration_types])).toEqual([
      ['checkin', [1], [0]],
    ]);
    expect(aliceDm.id).toBe(server.dmChannelOf(alice.id));
  });

  it('delivers a DM as messageCreate and records the reply', async () => {
    const got = next<Message>(Events.MessageCreate);
    const sent = server.dmMessage(alice, 'hello bot');
    const message = await got;
    expect(message.content).toBe('hello bot');
    expect(message.author.id).toBe(alice.id);
    expect(message.channel.isDMBased()).toBe(true);
    await message.reply('hello alice');
    expect(server.messages(aliceDm.id).at(-1)).toMatchObject({
      content: 'hello alice',
      message_reference: { message_id: sent.id },
    });
  });

  it('records files sent as multipart attachments', async () => {
    await aliceDm.send({
      content: 'your export',
      files: [{ attachment: Buffer.from('a,b\n1,2\n'), name: 'export.csv' }],
    });
    const m = server.messages(aliceDm.id).at(-1)!;
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ filename: 'export.csv', size: 8 });
    expect(m.attachments[0]!.bytes.toString()).toBe('a,b\n1,2\n');
    const res = await fetch(m.attachments[0]!.url);
    expect(await res.text()).toBe('a,b\n1,2\n');
  });

  it('replies to a slash command (callback type 4), ephemeral when asked', async () => {
    const got = nextInteraction<ChatInputCommandInteraction>();
    const sent = server.slashCommand(alice, 'checkin');
    const interaction = await got;
    expect(interaction.isChatInputCommand()).toBe(true);
    expect(interaction.commandName).toBe('checkin');
    expect(interaction.user.id).toBe(alice.id);
    expect(interaction.context).toBe(1);
    await interaction.reply({ content: 'How are you?', flags: MessageFlags.Ephemeral });
    const r = server.interactionResponses(sent.id);
    expect(r.callback).toMatchObject({ type: 4, data: { content: 'How are you?', flags: 64 } });
    expect(r.original).toMatchObject({ content: 'How are you?', ephemeral: true, channel_id: aliceDm.id });
    expect(() => server.slashCommand(alice, 'nope')).toThrow(/not registered/);
    expect(() => server.slashCommand(alice, 'checkin', undefined, { guildId: '1' })).toThrow(/contexts/);
  });

  it('updates the message on a button press (type 7)', async () => {
    const sent = await aliceDm.send({
      content: 'Share this answer?',
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder().setCustomId('share:yes').setLabel('Share').setStyle(ButtonStyle.Primary),
          new ButtonBuilder()
            .setCustomId('share:no')
            .setLabel('Keep private')
            .setStyle(ButtonStyle.Secondary),
        ),
      ],
    });
    expect(() => server.buttonPress(alice, sent.id, 'share:maybe')).toThrow(/no component/);
    const got = nextInteraction<ButtonInteraction>();
    const press = server.buttonPress(alice, sent.id, 'share:no');
    const interaction = await got;
    expect(interaction.isButton()).toBe(true);
    expect(interaction.customId).toBe('share:no');
    expect(interaction.message.id).toBe(sent.id);
    await interaction.update({ content: 'Kept private.', components: [] });
    expect(server.interactionResponses(press.id).callback?.type).toBe(7);
    expect(server.messages(aliceDm.id).find((m) => m.id === sent.id)).toMatchObject({
      content: 'Kept private.',
      components: [],
      edits: 1,
    });
    expect(() => server.buttonPress(alice, sent.id, 'share:no')).toThrow(/no component/);
  });

  it('shows a modal (type 9) and receives its submit', async () => {
    const got = nextInteraction<ChatInputCommandInteraction>();
    const cmd = server.slashCommand(alice, 'checkin');
    const interaction = await got;
    await interaction.showModal(
      new ModalBuilder()
        .setCustomId('answer:1')
        .setTitle('Check-in')
        .addLabelComponents(
          new LabelBuilder()
            .setLabel('How was today?')
            .setTextInputComponent(
              new TextInputBuilder()
                .setCustomId('text')
                .setStyle(TextInputStyle.Paragraph)
                .setMaxLength(4000),
            ),
        ),
    );
    expect(server.interactionResponses(cmd.id)).toMatchObject({
      callback: { type: 9 },
      modal: { custom_id: 'answer:1', components: [{ type: 18, component: { custom_id: 'text' } }] },
    });
    expect(() => server.modalSubmit(alice, 'answer:1', { other: 'x' })).toThrow(/required|no input/);
    const submitted = nextInteraction<ModalSubmitInteraction>();
    const submit = server.modalSubmit(alice, 'answer:1', { text: 'A good day' });
    const modal = await submitted;
    expect(modal.isModalSubmit()).toBe(true);
    expect(modal.fields.getTextInputValue('text')).toBe('A good day');
    await modal.reply({ content: 'Saved.', flags: MessageFlags.Ephemeral });
    expect(server.interactionResponses(submit.id).callback?.type).toBe(4);
    expect(() => server.modalSubmit(alice, 'answer:1', { text: 'again' })).toThrow(/no open modal/);
  });

  it('rejects modals over Discord limits (rows, max_length)', async () => {
    const input = (id: string, max = 100) => ({
      type: 1,
      components: [{ type: 4, custom_id: id, style: 1, label: 'L', max_length: max }],
    });
    for (const components of [Array.from({ length: 6 }, (_, i) => input(`t${i}`)), [input('t', 4001)]]) {
      const got = nextInteraction<ChatInputCommandInteraction>();
      server.slashCommand(alice, 'checkin');
      const interaction = await got;
      expect(await code(interaction.showModal({ custom_id: 'm', title: 'T', components } as never))).toBe(
        50035,
      );
    }
    const [rows, maxLength] = server.rejected
      .slice(-2)
      .map((c) => (c.response as { errors: unknown }).errors);
    expect(rows).toEqual({
      data: {
        components: {
          _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 5 in length.' }],
        },
      },
    });
    expect(maxLength).toEqual({
      data: {
        components: {
          0: {
            components: {
              0: {
                max_length: {
                  _errors: [
                    { code: 'NUMBER_TYPE_MAX', message: 'int value should be less than or equal to 4000.' },
                  ],
                },
              },
            },
          },
        },
      },
    });
  });

  it('answers a select menu, and a guild command with member data', async () => {
    const sent = await aliceDm.send({
      content: 'Mood?',
      components: [
        row({
          type: ComponentType.StringSelect,
          custom_id: 'mood',
          options: [
            { label: 'Good', value: 'good' },
            { label: 'Low', value: 'low' },
          ],
        }),
      ] as never,
    });
    expect(() => server.selectMenu(alice, sent.id, 'mood', ['meh'])).toThrow(/no option/);
    const got = nextInteraction<StringSelectMenuInteraction>();
    const pick = server.selectMenu(alice, sent.id, 'mood', ['low']);
    const select = await got;
    expect(select.values).toEqual(['low']);
    await select.deferUpdate();
    await select.editReply({ content: 'Noted: low.', components: [] });
    expect(server.interactionResponses(pick.id)).toMatchObject({
      callback: { type: 6 },
      original: { id: sent.id, content: 'Noted: low.', components: [] },
    });

    const guildId = '1100000000000000000';
    await client.application!.commands.set([{ name: 'pair', description: 'Pair up' }], guildId);
    expect(server.guildCommands(guildId).map((c) => c.name)).toEqual(['pair']);
    const gotCmd = nextInteraction<ChatInputCommandInteraction>();
    const cmd = server.slashCommand(alice, 'pair', undefined, { guildId });
    const interaction = await gotCmd;
    expect(interaction.inRawGuild()).toBe(true);
    expect(interaction.guildId).toBe(guildId);
    expect(interaction.user.id).toBe(alice.id);
    await interaction.reply('Paired.');
    expect(server.messages(interaction.channelId)).toEqual([
      expect.objectContaining({ content: 'Paired.', interaction_id: cmd.id }),
    ]);
  });

  it('models servers: names and sizes, member and app permissions, installs, hidden commands', async () => {
    const guildId = '1200000000000000000';
    server.guild(guildId, { name: 'Rivera practice', memberCount: 4 });
    const channelId = server.guildChannel(guildId, 'couples');
    const got = await api(server, 'GET', `/guilds/${guildId}?with_counts=true`);
    expect(got.body).toMatchObject({ id: guildId, name: 'Rivera practice', approximate_member_count: 4 });
    expect((await api(server, 'GET', `/guilds/${guildId}`)).body.approximate_member_count).toBeUndefined();
    expect((await api(server, 'GET', '/guilds/1299999999999999999')).body.code).toBe(10004);

    await client.application!.commands.set(
      [
        {
          name: 'link',
          description: 'Link',
          defaultMemberPermissions: 1n << 4n,
          contexts: [0],
          integrationTypes: [0],
        },
      ],
      guildId,
    );
    // Discord hides a command from a member without its default permissions.
    expect(() => server.slashCommand(alice, 'link', undefined, { guildId, channelId })).toThrow(/hidden/);
    server.setMemberPermissions(guildId, alice.id, (1n << 4n) | (1n << 10n) | (1n << 11n));
    const gotCmd = nextInteraction<ChatInputCommandInteraction>();
    server.slashCommand(alice, 'link', undefined, { guildId, channelId });
    const interaction = await gotCmd;
    expect(interaction.memberPermissions?.has(1n << 4n)).toBe(true);
    expect(interaction.authorizingIntegrationOwners.guildId).toBe(guildId);
    expect(interaction.appPermissions.has(1n << 11n)).toBe(true);
    // Without the Guilds intent discord.js keeps no guild channel; its name is a REST call away.
    expect((await api(server, 'GET', `/channels/${channelId}`)).body.name).toBe('couples');
    await interaction.reply({ content: 'ok', flags: MessageFlags.Ephemeral });

    // A bot that may not send in the channel gets 50013; one not in the server sees nothing of it.
    expect((await api(server, 'POST', `/channels/${channelId}/messages`, { content: 'hi' })).status).toBe(
      200,
    );
    server.setAppPermissions(channelId, 1n << 10n);
    expect((await api(server, 'POST', `/channels/${channelId}/messages`, { content: 'hi' })).body.code).toBe(
      50013,
    );
    server.guild(guildId, { installed: false });
    expect((await api(server, 'POST', `/channels/${channelId}/messages`, { content: 'hi' })).body.code).toBe(
      50001,
    );
    expect((await api(server, 'GET', `/guilds/${guildId}`)).body.code).toBe(50001);
    expect(() => server.slashCommand(alice, 'link', undefined, { guildId, channelId })).toThrow(/installed/);
  });

  it('deferReply then editReply edits @original; the first follow-up keeps the deferred ephemerality', async () => {
    let got = nextInteraction<ChatInputCommandInteraction>();
    const a = server.slashCommand(alice, 'checkin');
    let interaction = await got;
    await interaction.deferReply();
    expect(server.interactionResponses(a.id).original?.flags).toBe(128);
    await interaction.editReply('Done thinking.');
    expect(server.interactionResponses(a.id)).toMatchObject({
      callback: { type: 5 },
      original: { content: 'Done thinking.', flags: 0 },
      originalEdits: [expect.objectContaining({ content: 'Done thinking.' })],
    });

    got = nextInteraction<ChatInputCommandInteraction>();
    const b = server.slashCommand(alice, 'checkin');
    interaction = await got;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await interaction.followUp({ content: 'first' });
    await interaction.followUp({ content: 'second' });
    const r = server.interactionResponses(b.id);
    expect(r.original).toMatchObject({ content: 'first', ephemeral: true });
    expect(r.followUps.map((m) => [m.content, m.ephemeral])).toEqual([
      ['first', true],
      ['second', false],
    ]);
  });

  it('answers 10062 to an acknowledgement after the window', async () => {
    server.ackWindowMs = 150;
    try {
      const got = nextInteraction<ChatInputCommandInteraction>();
      const sent = server.slashCommand(alice, 'checkin');
      const interaction = await got;
      await new Promise((r) => setTimeout(r, 250));
      expect(await code(interaction.reply('too late'))).toBe(10062);
      expect(server.interactionResponses(sent.id).attempts).toEqual([
        expect.objectContaining({ status: 404, code: 10062 }),
      ]);
      expect(server.rejected.at(-1)?.response).toEqual({ message: 'Unknown interaction', code: 10062 });
    } finally {
      server.ackWindowMs = 3000;
    }
  });

  it('answers 40060 to a second acknowledgement and 10015 to a follow-up before any', async () => {
    let got = nextInteraction<ChatInputCommandInteraction>();
    const sent = server.slashCommand(alice, 'checkin');
    let interaction = await got;
    await interaction.reply('once');
    // discord.js refuses a second reply itself; another process (or raw REST) reaches Discord:
    await expect(interaction.reply('twice')).rejects.toThrow(/already been sent or deferred/);
    const second = client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      body: { type: 4, data: { content: 'twice' } },
      auth: false,
    });
    expect(await code(second)).toBe(40060);
    expect(server.interactionResponses(sent.id).attempts.map((x) => x.status)).toEqual([204, 400]);

    got = nextInteraction<ChatInputCommandInteraction>();
    server.slashCommand(alice, 'checkin');
    interaction = await got;
    expect(await code(interaction.webhook.send('early'))).toBe(10015);
    expect(await code(interaction.webhook.editMessage('@original', 'early'))).toBe(10015);
    await interaction.reply('now');
  });

  it('surfaces Discord limits as DiscordAPIError 50035 through channel.send', async () => {
    const raw = (body: object) => code(aliceDm.send(body as never));
    expect(
      await raw({ content: 'x', components: Array.from({ length: 6 }, (_, i) => row(button(`r${i}`))) }),
    ).toBe(50035);
    expect(await raw({ components: [row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)))] })).toBe(
      50035,
    );
    expect(await raw({ components: [row(button('c'.repeat(101)))] })).toBe(50035);
    expect(await raw({ content: 'x'.repeat(2001) })).toBe(50035);
    const error = await aliceDm.send('x'.repeat(2001)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).message).toContain(
      'content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.',
    );
  });

  it('answers 50007 to a DM to a user who closed DMs', async () => {
    const bob = server.user('bob');
    server.blockDms(bob.id);
    expect(await code(client.users.send(bob.id, 'hello'))).toBe(50007);
    server.unblockDms(bob.id);
    await client.users.send(bob.id, 'hello');
    expect(server.messages(server.dmChannelOf(bob.id)!).map((m) => m.content)).toEqual(['hello']);
  });

  it('lets @discordjs/rest wait out a 429 and retry, so the message arrives once', async () => {
    server.rateLimitNext(1, 1);
    const before = server.messages(aliceDm.id).length;
    const started = Date.now();
    await aliceDm.send('after the rate limit');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(950);
    const posts = server.calls.filter(
      (c) => c.method === 'POST' && c.path === `/channels/${aliceDm.id}/messages`,
    );
    expect(posts.slice(-2).map((c) => c.status)).toEqual([429, 200]);
    expect(server.messages(aliceDm.id).length).toBe(before + 1);
    expect(server.messages(aliceDm.id).filter((m) => m.content === 'after the rate limit')).toHaveLength(1);
  });

  it('resumes after the gateway asks to reconnect and replays events missed while away', async () => {
    server.requestReconnect();
    await server.waitFor(() => server.resumes.some((r) => r.resumed), 5000);
    server.disconnect();
    const got = next<Message>(Events.MessageCreate);
    server.dmMessage(alice, 'sent while the bot was away');
    expect((await got).content).toBe('sent while the bot was away');
    expect(server.resumes.filter((r) => r.resumed).map((r) => r.replayed)).toEqual([0, 1]);
    expect(server.identifies).toHaveLength(1);
  });
});

describe('discord.js login failures', () => {
  it('rejects a wrong token (401 on /gateway/bot) and disallowed intents (4014)', async () => {
    const server = await startDiscordServer();
    try {
      const wrong = new Client({ intents: [GatewayIntentBits.DirectMessages], rest: { api: server.apiUrl } });
      await expect(wrong.login('not-the-token')).rejects.toThrow(/invalid token/i);
      await wrong.destroy();
      const greedy = new Client({
        intents: [GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
        rest: { api: server.apiUrl },
      });
      await expect(greedy.login(server.token)).rejects.toThrow(/disallowed intents/i);
      await greedy.destroy();
      expect(server.identifies.at(-1)?.closedWith).toBe(4014);
    } finally {
      await server.close();
    }
  });
});
