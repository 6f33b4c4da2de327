import type { ChatRef, OutboundDelete, OutboundMessage, Platform } from '../engine/types.ts';

/** How fast a platform lets a bot send; the send worker keeps under these. */
export interface TransportLimits {
  /** Messages per second across all chats. */
  perSecond: number;
  /** Minimum milliseconds between two messages to the same chat (0: no per-chat limit). */
  perChatIntervalMs: number;
  /** The longest retry_after we honour; a platform asking for more is treated as a fault. */
  maxRetryAfterMs: number;
}

/** Why a send failed, as the worker needs to know it. Never carries message content. */
export type SendFailure =
  /** Slow down: try again after this long (the platform's retry_after). */
  | { kind: 'rate-limited'; retryAfterMs: number }
  /** The person blocked the bot or never started it: stop trying. */
  | { kind: 'unreachable' }
  /** The platform certainly did not take it (connection refused, a 5xx): try again later with backoff. */
  | { kind: 'transient' }
  /** It may or may not have arrived (a timeout, a reset): never sent again, so at most once. */
  | { kind: 'uncertain' }
  /** The platform rejected the request itself (a 400): retrying cannot help. */
  | { kind: 'rejected' }
  /** The group now lives under another id (a Telegram group upgraded to a supergroup): send there. */
  | { kind: 'moved'; chatId: string };

/** A send failure classified by the transport; its message holds a code, never content. */
export class TransportError extends Error {
  constructor(
    readonly failure: SendFailure,
    code: string,
  ) {
    super(`${failure.kind}: ${code}`);
    this.name = 'TransportError';
  }
}

/**
 * What the delivery worker needs from a platform adapter. Each adapter implements it and
 * declares its limits; errors are thrown as TransportError.
 */
export interface Transport {
  platform: Platform;
  limits: TransportLimits;
  /** Renders and sends one message; returns the platform ids of what was sent (long texts may be split). */
  send(message: OutboundMessage): Promise<{ messageIds: string[] }>;
  /** Deletes earlier bot messages where the platform allows; silently skips what it cannot. */
  delete(request: OutboundDelete): Promise<void>;
}

/** The chat a message goes to, as a key for per-chat rate limiting. */
export function chatKey(to: ChatRef): string {
  return `${to.platform}:${to.chatId}`;
}
