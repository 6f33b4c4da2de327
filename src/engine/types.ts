import type { Segment } from '../checkin/types.ts';

export type { Segment, SegmentStyle } from '../checkin/types.ts';

/**
 * The engine contract: what adapters hand in (Inbound) and what they render (Outbound).
 * Platform-neutral by design: no markup, no platform limits, no platform library types.
 */

export type Platform = 'telegram' | 'discord';

/** The person who did something, as their platform knows them. */
export interface Actor {
  platform: Platform;
  /** The platform's user id, as a string. */
  userId: string;
  /** As the platform reports it; user-controlled, never trusted as markup. */
  displayName: string;
  /** BCP 47 tag if the platform tells us (e.g. "en-GB"). */
  locale?: string;
}

/** Where something happened or should be shown. */
export interface ChatRef {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

interface InboundBase {
  actor: Actor;
  chat: ChatRef;
  /** Platform-unique id of this update (Telegram update_id, Discord interaction or message id). */
  dedupeKey: string;
}

/**
 * What an adapter found out about a group for a command that needs it (CHAT_INFO_COMMANDS):
 * platform facts the engine cannot look up itself.
 */
export interface ChatInfo {
  /** The group's or channel's name; user-controlled, never trusted as markup. */
  title: string;
  /** How many members it has, when the platform says. */
  memberCount: number | null;
  /** The actor may manage it: a Telegram group admin, a Discord member with Manage Channels. */
  actorCanManage: boolean;
  /** The bot can post there (on Discord: installed to the server, allowed to send). */
  botCanPost: boolean;
}

export type Inbound =
  | (InboundBase & { kind: 'command'; name: string; args: string; chatInfo?: ChatInfo })
  | (InboundBase & { kind: 'text'; text: string })
  | (InboundBase & {
      kind: 'choice';
      token: string;
      /** The platform message the button was on, so a reply can replace it. */
      messageId?: string;
    })
  | (InboundBase & { kind: 'form'; token: string; text: string });

export interface Button {
  label: string;
  /** Opaque, at most 64 bytes of [A-Za-z0-9_.:-]. */
  token: string;
}

/** What kind of message this is, for adapters that render some kinds differently. */
export type MessageKind = 'reply' | 'question' | 'prompt' | 'summary' | 'notice' | 'resources' | 'export';

export interface OutboundMessage {
  type: 'message';
  to: ChatRef;
  kind: MessageKind;
  /** Paragraphs, each a list of segments; adapters join paragraphs with a blank line. */
  paragraphs: Segment[][];
  /** Rows of buttons. The engine keeps rows short; adapters re-flow to their own limits. */
  buttons?: Button[][];
  /** The person is expected to type an answer next (Discord offers a form for it). */
  expectsText?: { maxLength: number; token: string; label: string };
  /** The platform message this one should replace (edit in place) when the platform allows. */
  replaces?: string;
  /** Visible to the actor only (ephemeral on Discord outside the bot's DM). */
  private: boolean;
  /** Ask the platform to prevent forwarding and saving (Telegram protect_content). */
  protect?: boolean;
  /**
   * Proactive and carrying someone's words: send the first paragraph (a neutral line) as a
   * message of its own, which may notify, and the rest without a notification, so no answer
   * can show on a lock screen or in a chat list preview.
   */
  openerAlone?: boolean;
  /** Round this message belongs to, so adapters can report its platform id for /clear. */
  roundId?: number;
  /** A file to attach (the /export). */
  attachment?: { filename: string; mimeType: string; data: string };
}

/** Ask the adapter to delete earlier bot messages, where the platform allows it. */
export interface OutboundDelete {
  type: 'delete';
  to: ChatRef;
  messageIds: string[];
}

export type Outbound = OutboundMessage | OutboundDelete;
