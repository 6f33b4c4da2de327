import { cronPattern, nextOccurrence, occurrences } from '../checkin/schedule.ts';
import { INDEFINITE, isPaused, scheduleOf } from '../engine/couples.ts';
import { errorFields, type Logger } from '../ops/log.ts';
import type { CoupleRow, Repo } from '../store/repo.ts';
import type { Queues } from './queues.ts';

const HOUR = 3600_000;

/** The BullMQ Job Scheduler id of a couple's rhythm. */
export const schedulerId = (coupleId: number): string => `couple-${coupleId}`;

/** Whether a couple should have a Job Scheduler at all: active, with days, not paused indefinitely. */
export function wantsScheduler(couple: CoupleRow | undefined): couple is CoupleRow {
  return couple?.status === 'active' && couple.weekdays.length > 0 && couple.pausedUntil !== INDEFINITE;
}

/**
 * The occurrence a scheduler firing stands for. cron-parser and our `occurrences` may disagree
 * around daylight-saving changes; mapping each firing to the nearest occurrence of the pure
 * function keeps one round per occurrence whatever the cron library did.
 */
export function occurrenceFor(couple: CoupleRow, firedFor: number): number {
  const near = occurrences(scheduleOf(couple), firedFor - 6 * HOUR, firedFor + 6 * HOUR);
  if (near.length === 0) return firedFor;
  return near.reduce((best, o) => (Math.abs(o - firedFor) < Math.abs(best - firedFor) ? o : best));
}

/** Keeps BullMQ's Job Schedulers and round jobs in step with the database. */
export class Scheduler {
  constructor(
    readonly queues: Queues,
    readonly repo: Repo,
    readonly log: Logger,
    readonly clock: () => number = Date.now,
  ) {}

  /** Upserts or removes the couple's Job Scheduler to match its row. Safe to call any time. */
  async sync(coupleId: number): Promise<void> {
    const couple = this.repo.couple(coupleId);
    if (!wantsScheduler(couple)) {
      await this.queues.rounds.removeJobScheduler(schedulerId(coupleId));
      return;
    }
    const s = scheduleOf(couple);
    // A dated pause keeps the scheduler but starts it after the pause; the engine refuses to
    // open a round during a pause as well.
    const startDate = isPaused(couple, this.clock()) ? couple.pausedUntil! : undefined;
    await this.queues.rounds.upsertJobScheduler(
      schedulerId(coupleId),
      { pattern: cronPattern(s), tz: s.timeZone, ...(startDate ? { startDate } : {}) },
      { name: 'open', data: { coupleId } },
    );
  }

  /** Follows changed couples; failures are logged and left to the reconciler. */
  follow(coupleIds: number[]): void {
    for (const id of coupleIds) {
      this.sync(id).catch((error) =>
        this.log.warn('scheduler-sync-failed', { coupleId: id, ...errorFields(error) }),
      );
    }
  }

  /** The reminder and deadline of a round, as delayed jobs with ids derived from the round. */
  async roundJobs(roundId: number): Promise<void> {
    const round = this.repo.round(roundId);
    if (round?.status !== 'open') return;
    const now = this.clock();
    if (round.remindAt !== null) {
      await this.queues.rounds.add(
        'remind',
        { roundId },
        { jobId: `remind-${roundId}`, delay: Math.max(0, round.remindAt - now) },
      );
    }
    await this.queues.rounds.add(
      'deadline',
      { roundId },
      { jobId: `deadline-${roundId}`, delay: Math.max(0, round.deadlineAt - now) },
    );
  }

  /** Adds round jobs for new rounds; failures are left to the reconciler. */
  followRounds(roundIds: number[]): void {
    for (const id of roundIds) {
      this.roundJobs(id).catch((error) =>
        this.log.warn('round-jobs-failed', { roundId: id, ...errorFields(error) }),
      );
    }
  }

  /** When the scheduler will next fire for a couple, as BullMQ has it (undefined: none). */
  async nextRun(coupleId: number): Promise<number | undefined> {
    return (await this.queues.rounds.getJobScheduler(schedulerId(coupleId)))?.next;
  }

  /** When it should next fire, by the pure occurrence function. */
  expectedNext(couple: CoupleRow, now: number): number | null {
    return nextOccurrence(scheduleOf(couple), Math.max(now, couple.pausedUntil ?? 0) - 1);
  }
}
