import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_RESOURCES, type ResourceTable } from '../checkin/resources.ts';
import type { Segment } from '../checkin/types.ts';
import { openCore } from '../core.ts';
import { CHAT_INFO_COMMANDS } from '../engine/channels.ts';
import type { InviteLinkMaker } from '../engine/context.ts';
import type { Engine } from '../engine/engine.ts';
import type {
  Actor,
  Button,
  ChatRef,
  Inbound,
  Outbound,
  OutboundMessage,
  Platform,
} from '../engine/types.ts';
import { createLogger } from '../ops/log.ts';
import type { Keyring } from '../store/crypto.ts';
import type { Store } from '../store/db.ts';
import type { Repo } from '../store/repo.ts';

// An in-process stand-in for a chat platform: simulated people talk to the real engine over a
// real SQLite file, and outbox rows are rendered and "delivered" to their inboxes. The demo
// uses it to show the product; tests use it to drive whole conversations.

/** A message as one person received it, with who it went to. */
export interface Received {
  to: SimPerson;
  message: OutboundMessage;
  /** "reply" when it answered something the person did; "outbox" when it was sent to them. */
  via: 'reply' | 'outbox';
  outboxId?: number;
}

export interface SimulationOptions {
  /** Start of the simulated clock (epoch ms). */
  start?: number;
  /** Follow the real clock instead (for tests with BullMQ, whose timers are real). */
  realTime?: boolean;
  resources?: ResourceTable;
  inviteLink?: InviteLinkMaker;
  /** Keep the database directory (for inspection) instead of removing it on close. */
  keep?: boolean;
  /** The master key (a random one by default); give one to reopen the database elsewhere. */
  dataKey?: Buffer;
  dir?: string;
}

/** A message a group or channel received (a therapist's), with the group it went to. */
export interface GroupReceived {
  to: SimGroup;
  message: OutboundMessage;
  via: 'reply' | 'outbox';
  outboxId?: number;
}

/** A whole local world: a database, the engine, a clock, people, groups and a log. */
export class Simulation {
  readonly dir: string;
  readonly store: Store;
  readonly repo: Repo;
  readonly engine: Engine;
  readonly keyring: Keyring;
  readonly logLines: string[] = [];
  /** Every message anyone received, in order. */
  readonly delivered: Received[] = [];
  readonly people: SimPerson[] = [];
  readonly groups: SimGroup[] = [];
  /** Every message any group received, in order. */
  readonly groupDelivered: GroupReceived[] = [];
  now: number;
  #nextUpdate = 1;
  #keep: boolean;

  constructor(o: SimulationOptions = {}) {
    this.dir = o.dir ?? mkdtempSync(join(tmpdir(), 'checkin-sim-'));
    this.#keep = o.keep ?? false;
    this.now = o.start ?? Date.UTC(2026, 10, 24, 18, 0);
    const core = openCore({
      databaseFile: join(this.dir, 'checkin.sqlite'),
      dataKey: o.dataKey ?? randomBytes(32),
      log: createLogger('debug', (line) => this.logLines.push(line)),
      clock: o.realTime ? () => (this.now = Date.now()) : () => this.now,
      resources: o.resources ?? BUILTIN_RESOURCES,
      inviteLink:
        o.inviteLink ??
        ((platform, code) => (platform === 'telegram' ? `https://t.me/checkin_bot?start=${code}` : null)),
    });
    this.store = core.store;
    this.keyring = core.keyring;
    this.repo = core.repo;
    this.engine = core.engine;
  }

  /** A new person on a platform. */
  person(name: string, platform: Platform = 'telegram'): SimPerson {
    const p = new SimPerson(this, { platform, userId: String(1000 + this.people.length), displayName: name });
    this.people.push(p);
    return p;
  }

  /** A new group or server channel (a therapist's), on a platform. */
  group(title: string, platform: Platform = 'telegram', memberCount = 3): SimGroup {
    const g = new SimGroup(this, platform, String(-5000 - this.groups.length), title, memberCount);
    this.groups.push(g);
    return g;
  }

  /** Moves the simulated clock forward. */
  advance(ms: number): void {
    this.now += ms;
  }

  nextUpdateId(): string {
    return String(this.#nextUpdate++);
  }

  /** Hands an inbound update to the engine and files the replies in the actor's inbox. */
  send(from: SimPerson, inbound: Inbound): OutboundMessage[] {
    const replies = this.engine.handle(inbound);
    return this.file(from, replies);
  }

  file(to: SimPerson, out: Outbound[]): OutboundMessage[] {
    const messages = out.filter((o): o is OutboundMessage => o.type === 'message');
    for (const message of messages) this.#receive({ to, message, via: 'reply' });
    return messages;
  }

  // What an adapter does with every message it sends: show it, and report check-in messages for /clear.
  #receive(r: Received): void {
    r.to.inbox.push(r);
    this.delivered.push(r);
    if (r.message.roundId !== undefined) {
      this.engine.noteSent(r.message.to, `m${this.delivered.length}`, r.message.roundId);
    }
  }

  /** Delivers every pending outbox row, rendered now, as a send worker would. */
  deliverOutbox(): Received[] {
    const out: Received[] = [];
    for (const row of this.engine.pendingOutbox()) {
      const rendered = this.engine.renderOutbox(row.id);
      if ('cancel' in rendered) {
        this.repo.moveOutbox(row.id, ['pending'], 'cancelled', this.now);
        continue;
      }
      this.repo.moveOutbox(row.id, ['pending'], 'sending', this.now);
      if (rendered.send.to.kind === 'group') {
        this.repo.moveOutbox(row.id, ['sending'], 'sent', this.now);
        const group = this.groups.find(
          (g) => g.chat.platform === rendered.send.to.platform && g.chat.chatId === rendered.send.to.chatId,
        );
        if (group) group.receive({ to: group, message: rendered.send, via: 'outbox', outboxId: row.id });
        continue;
      }
      const to = this.people.find(
        (p) => p.actor.platform === rendered.send.to.platform && p.actor.userId === rendered.send.to.chatId,
      );
      this.repo.moveOutbox(row.id, ['sending'], 'sent', this.now);
      if (!to) continue;
      const r: Received = { to, message: rendered.send, via: 'outbox', outboxId: row.id };
      this.#receive(r);
      out.push(r);
    }
    return out;
  }

  close(): void {
    this.store.close();
    if (!this.#keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One simulated person with a private chat and an inbox. */
export class SimPerson {
  readonly inbox: Received[] = [];

  constructor(
    readonly sim: Simulation,
    readonly actor: Actor,
  ) {}

  get name(): string {
    return this.actor.displayName;
  }

  #base() {
    return {
      actor: this.actor,
      chat: { platform: this.actor.platform, chatId: this.actor.userId, kind: 'private' as const },
      dedupeKey: this.sim.nextUpdateId(),
    };
  }

  /** Types a message: "/cmd args" is a command, anything else text. */
  say(text: string): OutboundMessage[] {
    const m = /^\/([A-Za-z_]+)(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text);
    const inbound: Inbound = m
      ? { ...this.#base(), kind: 'command', name: m[1]!, args: (m[2] ?? '').trim() }
      : { ...this.#base(), kind: 'text', text };
    return this.sim.send(this, inbound);
  }

  /** Presses the newest button whose label matches. Throws when there is none. */
  press(label: string | RegExp): OutboundMessage[] {
    const b = this.findButton(label);
    if (!b) throw new Error(`${this.name} sees no button ${String(label)}`);
    return this.sim.send(this, {
      ...this.#base(),
      kind: 'choice',
      token: b.token,
      messageId: `m-${b.token.slice(0, 8)}`,
    });
  }

  /** Submits a form (Discord's modal) for the newest message expecting text. */
  submitForm(text: string): OutboundMessage[] {
    const m = [...this.inbox].reverse().find((r) => r.message.expectsText)?.message;
    if (!m?.expectsText) throw new Error(`${this.name} has no form to fill`);
    return this.sim.send(this, { ...this.#base(), kind: 'form', token: m.expectsText.token, text });
  }

  /** Presses a raw token (a forged, stale or someone else's button). */
  pressToken(token: string): OutboundMessage[] {
    return this.sim.send(this, { ...this.#base(), kind: 'choice', token });
  }

  /** Replays an update with an earlier dedupe key (a platform redelivery). */
  redeliver(inbound: Inbound): OutboundMessage[] {
    return this.sim.send(this, inbound);
  }

  findButton(label: string | RegExp): Button | undefined {
    for (let i = this.inbox.length - 1; i >= 0; i--) {
      for (const row of this.inbox[i]!.message.buttons ?? []) {
        for (const b of row)
          if (typeof label === 'string' ? b.label === label : label.test(b.label)) return b;
      }
    }
    return undefined;
  }

  /** Everything this person was shown, as plain text. */
  transcript(): string {
    return this.inbox.map((r) => plainText(r.message)).join('\n\n');
  }

  /** The newest message, as plain text. */
  last(): string {
    const m = this.inbox.at(-1);
    return m ? plainText(m.message) : '';
  }
}

/** One simulated group or server channel: people (or anyone) type commands there; the bot posts. */
export class SimGroup {
  readonly inbox: GroupReceived[] = [];
  readonly chat: ChatRef;
  /** Who may manage it (a Telegram admin, a Discord member with Manage Channels). */
  readonly managers = new Set<SimPerson>();
  /** False as if the bot had no permission to post here (or, on Discord, were not installed). */
  botCanPost = true;

  constructor(
    readonly sim: Simulation,
    platform: Platform,
    chatId: string,
    public title: string,
    public memberCount: number,
  ) {
    this.chat = { platform, chatId, kind: 'group' };
  }

  /** A command typed in the group by `by`, with what the adapter would learn about the group. */
  command(by: SimPerson, text: string): OutboundMessage[] {
    const m = /^\/([A-Za-z_]+)(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text);
    if (!m) throw new Error(`not a command: ${text}`);
    const name = m[1]!.toLowerCase();
    const inbound: Inbound = {
      kind: 'command',
      name,
      args: (m[2] ?? '').trim(),
      actor: by.actor,
      chat: this.chat,
      dedupeKey: this.sim.nextUpdateId(),
      ...(CHAT_INFO_COMMANDS.has(name)
        ? {
            chatInfo: {
              title: this.title,
              memberCount: this.memberCount,
              actorCanManage: this.managers.has(by),
              botCanPost: this.botCanPost,
            },
          }
        : {}),
    };
    return this.#replies(this.sim.engine.handle(inbound));
  }

  /** Ordinary chatter in the group. */
  chatter(by: SimPerson, text: string): OutboundMessage[] {
    const inbound: Inbound = {
      kind: 'text',
      text,
      actor: by.actor,
      chat: this.chat,
      dedupeKey: this.sim.nextUpdateId(),
    };
    return this.#replies(this.sim.engine.handle(inbound));
  }

  #replies(out: Outbound[]): OutboundMessage[] {
    const messages = out.filter((o): o is OutboundMessage => o.type === 'message');
    for (const message of messages) this.receive({ to: this, message, via: 'reply' });
    return messages;
  }

  receive(r: GroupReceived): void {
    this.inbox.push(r);
    this.sim.groupDelivered.push(r);
  }

  /** Everything posted here, as plain text. */
  transcript(): string {
    return this.inbox.map((r) => plainText(r.message)).join('\n\n');
  }

  last(): string {
    const m = this.inbox.at(-1);
    return m ? plainText(m.message) : '';
  }
}

/** Renders a message as plain text, the way a terminal shows it. */
export function plainText(m: OutboundMessage): string {
  const body = m.paragraphs.map((p) => p.map(segmentText).join('')).join('\n\n');
  const buttons = (m.buttons ?? []).map((row) => row.map((b) => `[${b.label}]`).join(' ')).join('\n');
  const file = m.attachment ? `\n(attached: ${m.attachment.filename})` : '';
  return [body, buttons].filter(Boolean).join('\n') + file;
}

function segmentText(s: Segment): string {
  if (s.style === 'bold') return s.text;
  if (s.style === 'quote') return `“${s.text}”`;
  if (s.style === 'code') return s.text;
  return s.text;
}
