import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Platform } from '../engine/types.ts';
import { errorFields, type Logger } from '../ops/log.ts';

// Job data is ids only: BullMQ keeps it in Redis in clear text.

/** Round lifecycle jobs: scheduled openings, reminders, deadlines and the reconciler. */
export const ROUNDS = 'rounds';
/** One send queue per platform, so each platform's limits apply to its own traffic only. */
export const sendQueueName = (platform: Platform): string => `send-${platform}`;

export interface SendJobData {
  outboxId: number;
}

/** The queues a process produces into, over one connection that fails fast while Redis is away. */
export interface Queues {
  prefix: string;
  redisUrl: string;
  /** The producers' connection; commands fail at once while Redis is unreachable. */
  producer: Redis;
  rounds: Queue;
  send: Record<Platform, Queue>;
  close(): Promise<void>;
}

/** Opens the producer connection and the queues. Nothing waits for Redis: callers cope with its absence. */
export function createQueues(redisUrl: string, prefix: string, log: Logger): Queues {
  // enableOfflineQueue off: while Redis is down, an add fails at once instead of stalling the
  // person's answer behind it; the outbox row waits in SQLite and the relay sends it later.
  const producer = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
  });
  let down = false;
  producer.on('error', (error) => {
    if (!down) log.warn('redis-unreachable', errorFields(error));
    down = true;
  });
  producer.on('ready', () => {
    if (down) log.info('redis-back');
    down = false;
  });
  const make = (name: string) => {
    const q = new Queue(name, {
      connection: producer,
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    q.on('error', () => {
      // Reported once through the connection's own error handler above.
    });
    return q;
  };
  const queues: Queues = {
    prefix,
    redisUrl,
    producer,
    rounds: make(ROUNDS),
    send: { telegram: make(sendQueueName('telegram')), discord: make(sendQueueName('discord')) },
    async close() {
      await Promise.allSettled([
        queues.rounds.close(),
        queues.send.telegram.close(),
        queues.send.discord.close(),
      ]);
      producer.disconnect();
    },
  };
  return queues;
}

/** A connection for a worker: BullMQ's blocking commands need maxRetriesPerRequest null. */
export function workerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
  });
}

/** Resolves when Redis answers a PING within `timeoutMs`, false otherwise. */
export async function redisReachable(redisUrl: string, timeoutMs = 2000): Promise<boolean> {
  const probe = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs)),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
