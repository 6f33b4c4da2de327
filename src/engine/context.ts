import { copy } from '../checkin/copy.ts';
import { type ResourceTable, resourcesFor } from '../checkin/resources.ts';
import type { Segment } from '../checkin/types.ts';
import type { Logger } from '../ops/log.ts';
import type { MemberRow, NewOutbox, Repo } from '../store/repo.ts';
import type { Tokens } from './tokens.ts';
import type { Button, ChatRef, MessageKind, Outbound, OutboundMessage, Platform } from './types.ts';

/** How an adapter turns an invite code into a link a partner can tap (e.g. a Telegram deep link). */
export type InviteLinkMaker = (platform: Platform, code: string) => string | null;

/** What the engine is built from; handed in by main.ts (or a test). */
export interface EngineDeps {
  repo: Repo;
  tokens: Tokens;
  clock: () => number;
  log: Logger;
  resources: ResourceTable;
  inviteLink?: InviteLinkMaker;
  /** Called after a transaction commits, with the outbox rows it created (the relay's cue). */
  onOutbox?: (ids: number[]) => void;
  /** Called after a transaction commits, with couples whose rhythm, pause or status changed (the scheduler's cue). */
  onCoupleChange?: (coupleIds: number[]) => void;
  /** Called after a transaction commits, with rounds it opened (their reminder and deadline need jobs). */
  onRoundOpened?: (roundIds: number[]) => void;
  /** Called right after a commit with the name of the point reached; the crash tests kill the process there. */
  crashPoint?: (name: string) => void;
}

/** Everything one unit of work needs: dependencies, the moment, and what it produced. */
export interface Work {
  deps: EngineDeps;
  repo: Repo;
  now: number;
  /** Outbox ids written inside this transaction. */
  queued: number[];
  /** Couples whose schedule, pause or status this transaction changed. */
  changed: Set<number>;
  /** Rounds this transaction opened. */
  opened: number[];
  /** The named point this transaction's commit reaches, for crash tests ("after-answer-commit"…). */
  crash?: string;
  /** Things to do after commit (forget keys, checkpoint the WAL). */
  after: (() => void)[];
}

/** A unit of work on behalf of a person who wrote to the bot. */
export interface Ctx extends Work {
  member: MemberRow;
  chat: ChatRef;
  /** Replies to the actor, rendered inline by the adapter. */
  out: Outbound[];
  /** The platform message a pressed button was on, so the reply can replace it. */
  origin?: string;
}

/** The private chat of a member: for DMs the chat id is the platform user id. */
export function privateChat(member: Pick<MemberRow, 'platform' | 'platformUserId'>): ChatRef {
  return { platform: member.platform, chatId: member.platformUserId, kind: 'private' };
}

/** A paragraph of plain text, or of the given segments. */
export function para(...parts: (string | Segment)[]): Segment[] {
  return parts.map((p) => (typeof p === 'string' ? { style: 'plain', text: p } : p));
}

export const bold = (text: string): Segment => ({ style: 'bold', text });
export const italic = (text: string): Segment => ({ style: 'italic', text });
export const code = (text: string): Segment => ({ style: 'code', text });

/** Options of a message besides its text. */
export interface SayOptions {
  kind?: MessageKind;
  buttons?: Button[][];
  expectsText?: OutboundMessage['expectsText'];
  roundId?: number;
  protect?: boolean;
  /** Replace the message the button was pressed on. */
  replace?: boolean;
  /** Proactive and naming something private: the neutral first line goes alone (see OutboundMessage). */
  openerAlone?: boolean;
  attachment?: OutboundMessage['attachment'];
}

/** Adds a reply to the actor. */
export function say(ctx: Ctx, paragraphs: Segment[][], o: SayOptions = {}): void {
  const msg: OutboundMessage = {
    type: 'message',
    to: ctx.chat,
    kind: o.kind ?? 'reply',
    paragraphs,
    private: true,
  };
  if (o.buttons?.length) msg.buttons = o.buttons;
  if (o.expectsText) msg.expectsText = o.expectsText;
  if (o.roundId !== undefined) msg.roundId = o.roundId;
  if (o.protect) msg.protect = true;
  if (o.attachment) msg.attachment = o.attachment;
  // Only the first reply replaces the pressed message; later ones are new messages.
  if (o.replace && ctx.origin && !ctx.out.some((m) => m.type === 'message' && m.replaces))
    msg.replaces = ctx.origin;
  ctx.out.push(msg);
}

/** Shorthand for a reply of plain paragraphs. */
export function sayText(ctx: Ctx, ...lines: string[]): void {
  say(
    ctx,
    lines.map((l) => para(l)),
  );
}

/** Writes an outbox row in the current transaction. */
export function queue(w: Work, o: NewOutbox): void {
  const id = w.repo.enqueue(o, w.now);
  if (id !== null) w.queued.push(id);
}

/** The support resources paragraphs for a member's time zone: resources first, then "not shared". */
export function resourceParagraphs(w: Work, member: Pick<MemberRow, 'timeZone'>): Segment[][] {
  const lines = copy.support.resources(resourcesFor(w.deps.resources, member.timeZone));
  return [...lines.map((l) => para(l)), para(copy.support.notShared)];
}

/** Rows of at most `perRow` buttons. */
export function rows(buttons: Button[], perRow: number): Button[][] {
  const out: Button[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) out.push(buttons.slice(i, i + perRow));
  return out;
}
