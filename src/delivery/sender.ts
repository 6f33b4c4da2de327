import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Engine } from '../engine/engine.ts';
import { errorFields, type Logger } from '../ops/log.ts';
import { type SendJobData, sendQueueName, workerConnection } from '../schedule/queues.ts';
import type { OutboxRow, Repo } from '../store/repo.ts';
import { chatKey, type Transport, TransportError } from './transport.ts';

/** What happened to one send job, for tests and metrics. */
export type SendOutcome = 'sent' | 'cancelled' | 'skipped' | 'unreachable' | 'rejected' | 'uncertain';

export interface SenderDeps {
  transport: Transport;
  engine: Engine;
  repo: Repo;
  /** A non-blocking connection for the per-chat gate. */
  redis: Redis;
  redisUrl: string;
  prefix: string;
  log: Logger;
  clock?: () => number;
  /** Called with the name of a point reached; the crash tests kill the process there. */
  crashPoint?: (name: string) => void;
  concurrency?: number;
  /** Pauses the whole queue (set by createSender): a 429 is about the bot, not one message. */
  pauseAll?: (ms: number) => Promise<void>;
}

/**
 * Sends one outbox row, at most once. The row moves to "sending" in a committed write before
 * the platform call and to "sent" after it; a crash in between leaves it "sending", which the
 * reconciler marks "uncertain" rather than sending it again. The text is rendered now, so a
 * deletion, revoke or pause since the row was written is respected.
 */
export async function sendOne(d: SenderDeps, job: Job<SendJobData>, token?: string): Promise<SendOutcome> {
  const now = d.clock ?? Date.now;
  const id = job.data.outboxId;
  const row = d.repo.outboxRow(id);
  if (row?.state !== 'pending') return 'skipped';
  const rendered = d.engine.renderOutbox(id);
  if ('cancel' in rendered) {
    d.repo.moveOutbox(id, ['pending'], 'cancelled', now());
    return 'cancelled';
  }
  const member = row.memberId === null ? undefined : d.repo.member(row.memberId);
  if (member?.unreachableAt) {
    // They blocked the bot: no retry storm. Writing to the bot again clears the mark.
    d.repo.moveOutbox(id, ['pending'], 'failed', now());
    return 'unreachable';
  }
  const message = rendered.send;
  const interval = d.transport.limits.perChatIntervalMs;
  if (interval > 0) {
    // Per-chat pacing across every worker process (BullMQ's group limits are a Pro feature).
    const gate = `${d.prefix}:gate:${chatKey(message.to)}`;
    if ((await d.redis.set(gate, '1', 'PX', interval, 'NX')) === null) {
      const wait = Math.max(10, await d.redis.pttl(gate));
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
  }
  if (!d.repo.moveOutbox(id, ['pending'], 'sending', now())) return 'skipped';
  d.crashPoint?.('after-sending-mark');
  let messageIds: string[];
  try {
    ({ messageIds } = await d.transport.send(message));
  } catch (error) {
    return failed(d, job, token, row, error);
  }
  d.crashPoint?.('after-platform-send');
  if (interval > 0) {
    // Leave the gap after the platform took it, so latency variance cannot shrink it.
    await d.redis.set(`${d.prefix}:gate:${chatKey(message.to)}`, '1', 'PX', interval).catch(() => {});
  }
  d.repo.moveOutbox(id, ['sending'], 'sent', now());
  if (message.roundId !== undefined) {
    for (const messageId of messageIds) d.engine.noteSent(message.to, messageId, message.roundId);
  }
  return 'sent';
}

async function failed(
  d: SenderDeps,
  job: Job<SendJobData>,
  token: string | undefined,
  row: OutboxRow,
  error: unknown,
): Promise<SendOutcome> {
  const now = (d.clock ?? Date.now)();
  const { id, memberId, channelId } = row;
  // Anything but a classified failure leaves us unable to know whether the platform got it.
  const f = error instanceof TransportError ? error.failure : ({ kind: 'uncertain' } as const);
  switch (f.kind) {
    case 'uncertain':
      // At most once: a message that may have arrived is never sent again. /history keeps it.
      d.repo.moveOutbox(id, ['sending'], 'uncertain', now);
      d.log.warn('send-uncertain', { outboxId: id, ...errorFields(error) });
      return 'uncertain';
    case 'rate-limited': {
      d.repo.moveOutbox(id, ['sending'], 'pending', now);
      d.log.warn('send-rate-limited', { outboxId: id, retryAfterMs: f.retryAfterMs });
      if (d.pauseAll) {
        await d.pauseAll(f.retryAfterMs);
        throw Worker.RateLimitError();
      }
      await job.moveToDelayed(Date.now() + f.retryAfterMs, token);
      throw new DelayedError();
    }
    case 'unreachable':
      d.repo.moveOutbox(id, ['sending'], 'failed', now);
      if (memberId !== null) d.repo.updateMember(memberId, { unreachableAt: now });
      // Removed from a therapist's group: that link ends, and the couple is told neutrally.
      else if (channelId !== null) d.engine.channelUnreachable(channelId);
      d.log.info('send-unreachable', { outboxId: id });
      return 'unreachable';
    case 'rejected':
      d.repo.moveOutbox(id, ['sending'], 'failed', now);
      d.log.error('send-rejected', { outboxId: id, ...errorFields(error) });
      return 'rejected';
    case 'moved':
      // The group was upgraded (same people, same consent): follow it, then send again there.
      if (channelId !== null && d.engine.channelMoved(channelId, f.chatId)) {
        d.repo.moveOutbox(id, ['sending'], 'pending', now);
        d.log.info('send-chat-moved', { outboxId: id });
        throw error;
      }
      d.repo.moveOutbox(id, ['sending'], 'failed', now);
      // Its new chat is linked on its own already: this link cannot go on.
      if (channelId !== null) d.engine.channelUnreachable(channelId);
      d.log.warn('send-chat-moved-away', { outboxId: id });
      return 'unreachable';
    case 'transient':
      // Certainly not delivered (the transport says so): back to pending and let BullMQ back off.
      d.repo.moveOutbox(id, ['sending'], 'pending', now);
      throw error;
  }
}

/** A BullMQ worker sending one platform's outbox rows within that platform's limits. */
export function createSender(d: SenderDeps): Worker<SendJobData, SendOutcome> {
  const deps: SenderDeps = { ...d, pauseAll: (ms) => worker.rateLimit(ms) };
  const connection = workerConnection(d.redisUrl);
  const worker: Worker<SendJobData, SendOutcome> = new Worker<SendJobData, SendOutcome>(
    sendQueueName(d.transport.platform),
    (job, token) => sendOne(deps, job, token),
    {
      connection,
      prefix: d.prefix,
      concurrency: d.concurrency ?? Math.max(1, d.transport.limits.perSecond),
      // An even pace: BullMQ's limiter is a fixed window, so max N per 1000 ms can let 2N through in a rolling second.
      limiter: { max: 1, duration: Math.ceil(1000 / d.transport.limits.perSecond) },
    },
  );
  worker.on('error', (error) => d.log.warn('send-worker-error', errorFields(error)));
  worker.on('closed', () => connection.disconnect());
  return worker;
}
