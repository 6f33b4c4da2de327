import { type Job, Worker } from 'bullmq';
import type { Relay } from '../delivery/relay.ts';
import { INDEFINITE } from '../engine/couples.ts';
import type { Engine } from '../engine/engine.ts';
import { errorFields, type Logger } from '../ops/log.ts';
import type { Repo } from '../store/repo.ts';
import { ROUNDS, workerConnection } from './queues.ts';
import { occurrenceFor, type Scheduler, schedulerId, wantsScheduler } from './scheduler.ts';

const RECONCILE_EVERY = 3600_000;
/** A row still "sending" after this long was abandoned by a worker that died mid-send. */
const SENDING_TIMEOUT = 2 * 60_000;
/** Platforms stop redelivering updates long before this. */
const INBOUND_KEYS_KEPT = 14 * 24 * 3600_000;

export interface RoundsDeps {
  engine: Engine;
  repo: Repo;
  scheduler: Scheduler;
  relay: Relay;
  log: Logger;
  clock?: () => number;
}

/** What one reconciler run found and fixed, for logs and tests. */
export interface ReconcileReport {
  closed: number;
  schedulers: number;
  orphansRemoved: number;
  roundJobs: number;
  uncertain: number;
  requeued: number;
  nextMismatches: number;
}

/**
 * Brings Redis back in line with SQLite, the source of truth: closes rounds whose deadline passed
 * while the bot was down (no stale prompt is ever sent), upserts every active couple's scheduler
 * and removes orphans, re-creates reminder and deadline jobs of open rounds, marks abandoned
 * sends uncertain, re-enqueues unsent rows, and checks every scheduler's next run.
 */
export async function reconcile(d: RoundsDeps): Promise<ReconcileReport> {
  const now = (d.clock ?? Date.now)();
  const report: ReconcileReport = {
    closed: 0,
    schedulers: 0,
    orphansRemoved: 0,
    roundJobs: 0,
    uncertain: 0,
    requeued: 0,
    nextMismatches: 0,
  };
  for (const round of d.repo.overdueRounds(now)) if (d.engine.closeRound(round.id)) report.closed++;

  const wanted = new Set<string>();
  for (const couple of d.repo.activeCouples()) {
    if (!wantsScheduler(couple)) continue;
    wanted.add(schedulerId(couple.id));
    await d.scheduler.sync(couple.id);
    report.schedulers++;
    const next = await d.scheduler.nextRun(couple.id);
    const expected = d.scheduler.expectedNext(couple, now);
    // cron-parser and the pure occurrence function may differ by the DST rules; firings are
    // mapped to occurrences either way, so only a scheduler that would skip one is a problem.
    if (next === undefined || next <= now || (expected !== null && Math.abs(next - expected) > 3600_000)) {
      report.nextMismatches++;
      d.log.warn('scheduler-next-mismatch', { coupleId: couple.id, next: next ?? null, expected });
    }
  }
  for (const s of await d.scheduler.queues.rounds.getJobSchedulers(0, -1)) {
    const id = s.id ?? s.key;
    if (id.startsWith('couple-') && !wanted.has(id)) {
      await d.scheduler.queues.rounds.removeJobScheduler(id);
      report.orphansRemoved++;
    }
  }
  for (const round of d.repo.openRounds()) {
    await d.scheduler.roundJobs(round.id);
    report.roundJobs++;
  }
  report.uncertain = d.repo.markStaleSendingUncertain(now - SENDING_TIMEOUT, now);
  report.requeued = await d.relay.sweep();
  d.repo.pruneInbound(now - INBOUND_KEYS_KEPT);
  // A /link nobody redeemed in time leaves a group's name behind, and nothing else.
  d.repo.pruneUnredeemedLinks(now);
  d.log.info('reconciled', { ...report });
  return report;
}

/** Handles one job of the rounds queue. Job data holds ids only; handlers re-read the database. */
export async function handleRoundJob(d: RoundsDeps, job: Job): Promise<string> {
  switch (job.name) {
    case 'open': {
      const couple = d.repo.couple(Number(job.data.coupleId));
      if (!couple || couple.pausedUntil === INDEFINITE) return 'no-couple';
      const firedFor = job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0);
      const at = occurrenceFor(couple, firedFor);
      const opened = d.engine.openRound(couple.id, `s:${new Date(at).toISOString()}`, at);
      return opened ? (opened.created ? 'opened' : 'already-open') : 'refused';
    }
    case 'remind':
      return `reminded:${d.engine.remind(Number(job.data.roundId))}`;
    case 'deadline':
      return d.engine.closeRound(Number(job.data.roundId)) ? 'closed' : 'not-open';
    case 'reconcile':
      await reconcile(d);
      return 'reconciled';
    default:
      return 'unknown-job';
  }
}

/** The worker of the rounds queue (it connects, and reconnects, by itself). */
export function startRounds(d: RoundsDeps, redisUrl: string, prefix: string): Worker {
  const connection = workerConnection(redisUrl);
  const worker = new Worker(ROUNDS, (job) => handleRoundJob(d, job), {
    connection,
    prefix,
    concurrency: 4,
  });
  worker.on('error', (error) => d.log.warn('rounds-worker-error', errorFields(error)));
  worker.on('closed', () => connection.disconnect());
  worker.on('failed', (job, error) =>
    d.log.warn('round-job-failed', { job: job?.name ?? null, ...errorFields(error) }),
  );
  return worker;
}

/** Schedules the hourly reconciler, running once now. Again whenever Redis returns (maybe empty). */
export async function scheduleReconciler(d: RoundsDeps): Promise<void> {
  await d.scheduler.queues.rounds.upsertJobScheduler(
    'reconcile',
    // An every-scheduler's first run is immediate: at boot, and when Redis returns empty.
    { every: RECONCILE_EVERY },
    { name: 'reconcile', data: {} },
  );
}
