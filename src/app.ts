import type { Worker } from 'bullmq';
import { Relay } from './delivery/relay.ts';
import { createSender } from './delivery/sender.ts';
import type { Transport } from './delivery/transport.ts';
import type { Engine } from './engine/engine.ts';
import { errorFields, type Logger } from './ops/log.ts';
import { createQueues, type Queues } from './schedule/queues.ts';
import { reconcile, scheduleReconciler, startRounds } from './schedule/rounds.ts';
import { Scheduler } from './schedule/scheduler.ts';
import type { Repo } from './store/repo.ts';

/** A platform's two halves: receiving updates for the engine, and a Transport for sending. */
export interface Adapter {
  transport: Transport;
  /** Starts receiving updates and handing them to the engine. */
  start(engine: Engine): Promise<void>;
  /** Stops receiving updates (the first step of a graceful shutdown). */
  stop(): Promise<void>;
}

/** Which parts a process runs: receiving updates, working the queues, or both. */
export type Role = 'all' | 'bot' | 'worker';

export interface AppOptions {
  engine: Engine;
  repo: Repo;
  redisUrl: string;
  prefix: string;
  role: Role;
  /** One per configured platform; workers send through them. */
  transports: Transport[];
  log: Logger;
  clock?: () => number;
  crashPoint?: (name: string) => void;
}

/** The running scheduling and delivery machinery around an engine. */
export interface App {
  queues: Queues;
  scheduler: Scheduler;
  relay: Relay;
  workers: Worker[];
  /** Runs the reconciler once now (tests; the hourly one runs by itself). */
  reconcile(): ReturnType<typeof reconcile>;
  /** Closes workers (waiting up to `timeoutMs` for jobs in flight), then the queues. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Wires the engine's after-commit cues to the relay and the scheduler, and starts the workers
 * this process's role calls for. Redis may be away: nothing here waits for it, and the relay
 * sweeps whatever is pending whenever the connection becomes ready.
 */
export async function startApp(o: AppOptions): Promise<App> {
  const queues = createQueues(o.redisUrl, o.prefix, o.log);
  const scheduler = new Scheduler(queues, o.repo, o.log, o.clock);
  const relay = new Relay(
    queues,
    o.repo,
    o.log,
    o.transports.map((t) => t.platform),
  );
  const deps = o.engine.deps;
  deps.onOutbox = (ids) => relay.enqueue(ids);
  deps.onCoupleChange = (ids) => scheduler.follow(ids);
  deps.onRoundOpened = (ids) => scheduler.followRounds(ids);
  if (o.crashPoint) deps.crashPoint = o.crashPoint;

  // Work started from connection events; stop() lets it finish before closing the connection.
  const inflight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const sweep = () => {
    track(relay.sweep().catch((error) => o.log.warn('relay-sweep-failed', errorFields(error))));
  };
  const roundsDeps = { engine: o.engine, repo: o.repo, scheduler, relay, log: o.log, clock: o.clock };
  // The hourly reconciler is a Job Scheduler (so exactly one runs). Upserting it runs it at once;
  // that happens at boot and whenever Redis answers again, since it may have come back empty
  // or been away when this process started.
  const scheduleReconcilerNow = () =>
    scheduleReconciler(roundsDeps).catch((error) =>
      o.log.warn('reconcile-schedule-failed', errorFields(error)),
    );
  let booted = false;
  queues.producer.on('ready', () => {
    sweep();
    if (o.role === 'bot') return;
    track(scheduleReconcilerNow());
    if (!booted) {
      booted = true;
      // An unchanged scheduler does not fire on upsert: run one reconcile for this boot.
      track(
        queues.rounds
          .add('reconcile', {}, { jobId: `reconcile-boot-${Date.now()}` })
          .catch((error) => o.log.warn('reconcile-boot-failed', errorFields(error))),
      );
    }
  });

  const workers: Worker[] = [];
  if (o.role !== 'bot') {
    for (const transport of o.transports) {
      workers.push(
        createSender({
          transport,
          engine: o.engine,
          repo: o.repo,
          redis: queues.producer,
          redisUrl: o.redisUrl,
          prefix: o.prefix,
          log: o.log,
          clock: o.clock,
          crashPoint: o.crashPoint,
        }),
      );
    }
    workers.push(startRounds(roundsDeps, o.redisUrl, o.prefix));
  }

  return {
    queues,
    scheduler,
    relay,
    workers,
    reconcile: () => reconcile(roundsDeps),
    async stop(timeoutMs = 10_000) {
      deps.onOutbox = undefined;
      deps.onCoupleChange = undefined;
      deps.onRoundOpened = undefined;
      await Promise.race([
        Promise.allSettled(workers.map((w) => w.close())),
        new Promise((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
      await Promise.allSettled(workers.map((w) => w.close(true)));
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
      await queues.close();
    },
  };
}
