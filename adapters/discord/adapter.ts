import {
  ChannelType,
  type ChatInputCommandInteraction,
  Client,
  DiscordAPIError,
  GatewayIntentBits,
  HTTPError,
  type Interaction,
  InteractionContextType,
  type Message,
  Partials,
  PermissionFlagsBits,
  RateLimitError,
  REST,
  Routes,
} from 'discord.js';
import type { Adapter } from '../../src/app.ts';
import { copy } from '../../src/checkin/copy.ts';
import { TransportError, type TransportLimits } from '../../src/delivery/transport.ts';
import {
  CHAT_INFO_COMMANDS,
  COMMAND_LIST,
  type Engine,
  GROUP_COMMAND_LIST,
} from '../../src/engine/engine.ts';
import type {
  Actor,
  ChatInfo,
  ChatRef,
  Inbound,
  OutboundDelete,
  OutboundMessage,
} from '../../src/engine/types.ts';
import { errorFields, type Logger } from '../../src/ops/log.ts';
import { FORM_PREFIX, toPayloads } from './render.ts';

export interface DiscordOptions {
  token: string;
  applicationId: string;
  apiRoot: string;
  log: Logger;
}

/** @discordjs/rest keeps Discord's per-route buckets; this is a modest limiter on top. */
export const DISCORD_LIMITS: TransportLimits = {
  perSecond: 5,
  perChatIntervalMs: 1000,
  maxRetryAfterMs: 120_000,
};

/** How long /link waits for the server's name and size before answering without them. */
const GUILD_LOOKUP_MS = 1200;

/**
 * Discord codes that mean "this person or channel cannot be reached": stop trying. 50013: the
 * bot lost the permission to post in a therapist's channel.
 */
const UNREACHABLE = new Set([50007, 50001, 50013, 10013, 10003]);

const OPTION_OF: Record<string, { name: string; description: string; required?: boolean }> = {
  start: { name: 'code', description: copy.help.options.code },
  join: { name: 'code', description: copy.help.options.code, required: true },
  therapist: { name: 'code', description: copy.help.options.channelCode },
  pause: { name: 'until', description: copy.help.options.until },
  schedule: { name: 'when', description: copy.help.options.when },
};

/** Only members who may manage a channel see /link (server admins can change that; the adapter still checks). */
const MANAGE_ONLY: Record<string, string> = { link: String(PermissionFlagsBits.ManageChannels) };

/**
 * The application commands. Check-in commands: usable in servers (where they point to the DM),
 * the bot's DMs and private channels, for both install types. A therapist's commands (/link,
 * /trends): in server channels only, where the app is installed to the server.
 */
export function commandDefinitions() {
  const defined = (
    c: { name: string; description: string },
    where: { integration_types: number[]; contexts: number[] },
  ) => {
    const option = OPTION_OF[c.name];
    return {
      name: c.name,
      description: c.description.slice(0, 100),
      type: 1,
      ...where,
      ...(MANAGE_ONLY[c.name] ? { default_member_permissions: MANAGE_ONLY[c.name] } : {}),
      ...(option ? { options: [{ type: 3, ...option, required: option.required ?? false }] } : {}),
    };
  };
  return [
    ...COMMAND_LIST.map((c) => defined(c, { integration_types: [0, 1], contexts: [0, 1, 2] })),
    ...GROUP_COMMAND_LIST.map((c) => defined(c, { integration_types: [0], contexts: [0] })),
  ];
}

/** Registers the commands when the registered set differs; returns whether it changed them. */
export async function registerCommands(rest: REST, applicationId: string, force = false): Promise<boolean> {
  const wanted = commandDefinitions();
  if (!force) {
    const current = (await rest.get(Routes.applicationCommands(applicationId))) as Record<string, unknown>[];
    // Everything that decides where and how a command can be used, not only its name.
    const shape = (c: Record<string, unknown>) =>
      JSON.stringify([
        c.name,
        c.description,
        c.contexts ?? null,
        c.integration_types ?? null,
        c.default_member_permissions ?? null,
        ((c.options as Record<string, unknown>[] | undefined) ?? []).map((o) => [
          o.name,
          o.type,
          o.required ?? false,
        ]),
      ]);
    const have = new Set(current.map(shape));
    if (current.length === wanted.length && wanted.every((w) => have.has(shape(w)))) return false;
  }
  await rest.put(Routes.applicationCommands(applicationId), { body: wanted });
  return true;
}

/** A Discord failure as the delivery worker needs it; never carries message content. */
export function classify(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  if (error instanceof RateLimitError) {
    return new TransportError({ kind: 'rate-limited', retryAfterMs: error.retryAfter }, 'discord-429');
  }
  if (error instanceof DiscordAPIError) {
    const code = `discord-${error.status}-${error.code}`;
    if (UNREACHABLE.has(Number(error.code))) return new TransportError({ kind: 'unreachable' }, code);
    if (error.status >= 500) return new TransportError({ kind: 'transient' }, code);
    return new TransportError({ kind: 'rejected' }, code);
  }
  if (error instanceof HTTPError) {
    return new TransportError(
      { kind: error.status >= 500 ? 'transient' : 'rejected' },
      `discord-${error.status}`,
    );
  }
  const net = (error as { code?: unknown }).code;
  if (net === 'ECONNREFUSED') return new TransportError({ kind: 'transient' }, 'econnrefused');
  return new TransportError({ kind: 'uncertain' }, typeof net === 'string' ? net.toLowerCase() : 'network');
}

function actorOf(user: { id: string; username: string; globalName?: string | null }, locale?: string): Actor {
  return {
    platform: 'discord',
    userId: user.id,
    displayName: user.globalName ?? user.username,
    ...(locale ? { locale } : {}),
  };
}

/** Discord for the bot: slash commands, buttons, forms and DMs in; DMs out through REST. */
export class DiscordAdapter implements Adapter {
  readonly client: Client;
  readonly rest: REST;
  readonly transport;
  readonly #dmChannels = new Map<string, string>();

  constructor(readonly o: DiscordOptions) {
    // No silent re-POSTs: after a timeout or a 5xx the message may have arrived, and the
    // sender's at-most-once bookkeeping must see that instead of a second copy going out.
    this.rest = new REST({ api: o.apiRoot, version: '10', retries: 0 }).setToken(o.token);
    // No privileged intents: DMs and interactions are all the bot needs.
    this.client = new Client({
      intents: [GatewayIntentBits.DirectMessages],
      partials: [Partials.Channel],
      rest: { api: o.apiRoot },
    });
    this.transport = {
      platform: 'discord' as const,
      limits: DISCORD_LIMITS,
      send: async (message: OutboundMessage) => {
        try {
          return { messageIds: await this.#sendDm(message) };
        } catch (error) {
          throw classify(error);
        }
      },
      delete: async (request: OutboundDelete) => {
        try {
          await this.#deleteDm(request);
        } catch (error) {
          throw classify(error);
        }
      },
    };
  }

  /** Registers commands if they changed, connects to the gateway and starts handling updates. */
  async start(engine: Engine): Promise<void> {
    await registerCommands(this.rest, this.o.applicationId).catch((error) =>
      this.o.log.warn('discord-commands-failed', errorFields(error)),
    );
    this.client.on('interactionCreate', (i) => {
      this.#interaction(engine, i).catch((error) =>
        this.o.log.error('discord-interaction-failed', { interactionId: i.id, ...errorFields(error) }),
      );
    });
    this.client.on('messageCreate', (m) => {
      this.#message(engine, m).catch((error) =>
        this.o.log.error('discord-message-failed', { messageId: m.id, ...errorFields(error) }),
      );
    });
    this.client.on('error', (error) => this.o.log.warn('discord-client-error', errorFields(error)));
    const ready = new Promise<void>((resolve) => this.client.once('clientReady', () => resolve()));
    await this.client.login(this.o.token);
    await ready;
    this.o.log.info('discord-started');
  }

  /** Disconnects from the gateway. */
  async stop(): Promise<void> {
    await this.client.destroy();
  }

  async #message(engine: Engine, m: Message): Promise<void> {
    // Only DMs to the bot; servers are answered through interactions, never by reading chatter.
    if (m.author.bot || m.channel.type !== ChannelType.DM) return;
    this.#dmChannels.set(m.author.id, m.channelId);
    const chat: ChatRef = { platform: 'discord', chatId: m.author.id, kind: 'private' };
    const out = engine.handle({
      kind: 'text',
      text: m.content,
      actor: actorOf(m.author),
      chat,
      dedupeKey: m.id,
    });
    for (const o of out) {
      if (o.type === 'delete') await this.#deleteDm(o).catch(() => {});
      else await this.#sendDm(o).then((ids) => this.#note(engine, o, ids));
    }
  }

  async #interaction(engine: Engine, i: Interaction): Promise<void> {
    if (!(i.isChatInputCommand() || i.isButton() || i.isModalSubmit())) return;
    // In the bot's own DM replies are ordinary messages; anywhere else only the actor sees them.
    // Only the bot's own DM is private. A user-installed app used in a DM between two people
    // (context "private channel") is a DM-typed channel too, and a friend can read it.
    const inDm =
      i.context === InteractionContextType.BotDM ||
      (i.context == null && !i.guildId && i.channel?.type === ChannelType.DM);
    const chat: ChatRef = inDm
      ? { platform: 'discord', chatId: i.user.id, kind: 'private' }
      : { platform: 'discord', chatId: i.channelId ?? i.id, kind: 'group' };
    const base = { actor: actorOf(i.user, i.locale), chat, dedupeKey: i.id };

    if (i.isButton() && i.customId.startsWith(FORM_PREFIX)) {
      // A form is shown as the acknowledgement itself: at once, never deferred.
      const [max, ...rest] = i.customId.slice(FORM_PREFIX.length).split(':');
      await i.showModal({
        custom_id: rest.join(':'),
        title: copy.help.formTitle,
        components: [
          {
            type: 1,
            components: [
              {
                type: 4,
                custom_id: 'answer',
                style: 2,
                label: copy.help.formTitle,
                max_length: Math.min(4000, Number(max) || 4000),
                required: true,
              },
            ],
          },
        ],
      });
      return;
    }
    let inbound: Inbound;
    if (i.isChatInputCommand()) {
      const args = i.options.data.map((o) => String(o.value ?? '')).join(' ');
      inbound = { ...base, kind: 'command', name: i.commandName, args };
      if (chat.kind === 'group' && CHAT_INFO_COMMANDS.has(i.commandName))
        inbound.chatInfo = await this.#chatInfo(i);
    } else if (i.isButton()) {
      inbound = { ...base, kind: 'choice', token: i.customId, messageId: i.message.id };
    } else {
      inbound = { ...base, kind: 'form', token: i.customId, text: i.fields.getTextInputValue('answer') };
    }
    const out = engine.handle(inbound);
    const messages = out.filter((o): o is OutboundMessage => o.type === 'message');
    // Deletes (/clear) come after the acknowledgement: several of them can take over 3 seconds.
    const deletes = () =>
      Promise.all(out.map((o) => (o.type === 'delete' ? this.#deleteDm(o).catch(() => {}) : undefined)));
    if (messages.length === 0) {
      // Nothing to say (a duplicate): still acknowledge within Discord's three seconds.
      if (i.isChatInputCommand()) await i.reply({ content: copy.cancelled, flags: 64 });
      else await i.deferUpdate();
      await deletes();
      return;
    }
    let first = true;
    if (i.isButton() && messages[0]!.replaces !== i.message.id) {
      // The pressed message keeps its text but loses its buttons, so it cannot be pressed twice;
      // what the engine said follows as new messages.
      await i.update({ components: [] });
      first = false;
    }
    for (const message of messages) {
      const payloads = toPayloads(message, !inDm, copy.help.formButton);
      for (const [n, payload] of payloads.entries()) {
        const a = n === payloads.length - 1 ? message.attachment : undefined;
        const body = a
          ? { ...payload, files: [{ attachment: Buffer.from(a.data, 'utf8'), name: a.filename }] }
          : payload;
        if (first && i.isButton() && message.replaces === i.message.id && !message.protect) {
          // An update keeps whatever it does not name: say every field, so old buttons go.
          await i.update({ content: '', embeds: [], components: [], ...body });
          this.#note(engine, message, [i.message.id]);
        } else if (first) {
          const sent = await i.reply({ ...body, withResponse: true });
          const id = sent.resource?.message?.id;
          if (id) this.#note(engine, message, [id]);
        } else {
          const sent = await i.followUp(body);
          this.#note(engine, message, [sent.id]);
        }
        first = false;
      }
    }
    await deletes();
  }

  // Who may link a channel and whether the bot may post there come with the interaction. Its
  // name and the server's name and size take REST calls (without the Guilds intent discord.js
  // caches no guild channel), bounded so the 3-second acknowledgement holds.
  async #chatInfo(i: ChatInputCommandInteraction): Promise<ChatInfo> {
    const installed = i.guildId !== null && i.authorizingIntegrationOwners.guildId === i.guildId;
    const info: ChatInfo = {
      title: '#channel',
      memberCount: null,
      actorCanManage: i.memberPermissions?.has(PermissionFlagsBits.ManageChannels) ?? false,
      botCanPost:
        installed &&
        i.appPermissions.has([
          PermissionFlagsBits.ViewChannel,
          PermissionFlagsBits.SendMessages,
          PermissionFlagsBits.EmbedLinks,
        ]),
    };
    if (!installed || !i.guildId) return info;
    try {
      const signal = AbortSignal.timeout(GUILD_LOOKUP_MS);
      const [guild, channel] = (await Promise.all([
        this.rest.get(Routes.guild(i.guildId), {
          query: new URLSearchParams({ with_counts: 'true' }),
          signal,
        }),
        this.rest.get(Routes.channel(i.channelId), { signal }),
      ])) as [{ name?: string; approximate_member_count?: number }, { name?: string }];
      const name = channel.name ? `#${channel.name}` : info.title;
      info.title = guild.name ? `${guild.name} ${name}` : name;
      info.memberCount = guild.approximate_member_count ?? null;
    } catch (error) {
      this.o.log.warn('discord-guild-lookup-failed', errorFields(error));
    }
    return info;
  }

  #note(engine: Engine, message: OutboundMessage, ids: string[]): void {
    if (message.roundId === undefined || message.to.kind !== 'private') return;
    for (const id of ids) engine.noteSent(message.to, id, message.roundId);
  }

  async #dmChannel(userId: string): Promise<string> {
    let id = this.#dmChannels.get(userId);
    if (!id) {
      const channel = (await this.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as {
        id: string;
      };
      id = channel.id;
      this.#dmChannels.set(userId, id);
    }
    return id;
  }

  async #sendDm(message: OutboundMessage): Promise<string[]> {
    // A private chat is a person (their DM is opened on demand); a group is a channel already.
    const channel =
      message.to.kind === 'group' ? message.to.chatId : await this.#dmChannel(message.to.chatId);
    const ids: string[] = [];
    try {
      for (const payload of toPayloads(message, false, copy.help.formButton)) {
        const sent = (await this.rest.post(Routes.channelMessages(channel), { body: payload })) as {
          id: string;
        };
        ids.push(sent.id);
      }
      if (message.attachment) {
        const a = message.attachment;
        const sent = (await this.rest.post(Routes.channelMessages(channel), {
          body: { attachments: [{ id: 0, filename: a.filename }] },
          files: [{ name: a.filename, data: Buffer.from(a.data, 'utf8'), contentType: a.mimeType }],
        })) as { id: string };
        ids.push(sent.id);
      }
    } catch (error) {
      // Part of a split message arrived: sending it all again would repeat that part.
      if (ids.length > 0) throw new TransportError({ kind: 'uncertain' }, 'partial-send');
      throw error;
    }
    return ids;
  }

  async #deleteDm(request: OutboundDelete): Promise<void> {
    const channel = await this.#dmChannel(request.to.chatId);
    for (const id of request.messageIds) {
      try {
        await this.rest.delete(Routes.channelMessage(channel, id));
      } catch (error) {
        // Already gone: nothing to do.
        if (!(error instanceof DiscordAPIError && error.status === 404)) throw error;
      }
    }
  }
}
