import type { Platform } from '../engine/types.ts';
import { errorFields, type Logger } from '../ops/log.ts';
import type { Queues } from '../schedule/queues.ts';
import type { Repo } from '../store/repo.ts';

/**
 * Moves committed outbox rows into the per-platform send queues (job id = row id). Called right
 * after each transaction, at boot, when Redis comes back and by the reconciler. Losing a call is
 * harmless: the row stays pending in SQLite until the next sweep.
 */
export class Relay {
  constructor(
    readonly queues: Queues,
    readonly repo: Repo,
    readonly log: Logger,
    /** Platforms with a transport configured; rows for others wait. */
    readonly platforms: Platform[],
  ) {}

  /** Enqueues these rows now, without waiting; a failure leaves them for the next sweep. */
  enqueue(ids: number[]): void {
    this.#add(ids).catch((error) =>
      this.log.warn('relay-enqueue-failed', { rows: ids.length, ...errorFields(error) }),
    );
  }

  /** Enqueues every pending row; returns how many were handed to a queue. */
  async sweep(): Promise<number> {
    let total = 0;
    let after = 0;
    for (;;) {
      const batch = this.repo.pendingOutbox(1000, after);
      if (batch.length === 0) return total;
      total += await this.#add(batch.map((r) => r.id));
      after = batch.at(-1)!.id;
    }
  }

  async #add(ids: number[]): Promise<number> {
    const byPlatform = new Map<Platform, number[]>();
    for (const { id, platform } of this.repo.outboxPlatforms(ids)) {
      if (!this.platforms.includes(platform)) continue;
      byPlatform.set(platform, [...(byPlatform.get(platform) ?? []), id]);
    }
    let n = 0;
    for (const [platform, rows] of byPlatform) {
      await this.queues.send[platform].addBulk(
        rows.map((outboxId) => ({
          name: 'send',
          data: { outboxId },
          // Transient failures back off; after the last attempt the row stays pending for the reconciler.
          opts: { jobId: `o-${outboxId}`, attempts: 8, backoff: { type: 'exponential', delay: 1000 } },
        })),
      );
      n += rows.length;
    }
    return n;
  }
}
