import { DiscordAdapter } from '../adapters/discord/adapter.ts';
import { TelegramAdapter } from '../adapters/telegram/adapter.ts';
import { type Adapter, type App, startApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { openCore } from './core.ts';
import { createLogger, errorFields, type Logger } from './ops/log.ts';
import { redisReachable } from './schedule/queues.ts';

// The composition root: config -> store -> engine -> queues -> adapters. The Telegram and
// Discord adapters plug in here as they are built (issues 4 and 5): each brings an ingress
// (receiving updates, for ROLE=all|bot) and a Transport (sending, for ROLE=all|worker).

const NO_TOKEN = `No chat platform is configured, so there is nothing to connect to yet.

To run the real bot, set at least one of:
  TELEGRAM_BOT_TOKEN       the token @BotFather gives you (looks like 123456:ABC-DEF...)
  DISCORD_TOKEN            your Discord bot token, together with
  DISCORD_APPLICATION_ID   the application id from the Discord developer portal

To see the whole product first, with no accounts at all:
  npm run demo
`;

/** The adapters of the platforms configured for this process. */
function adaptersFor(config: Config, log: Logger): Adapter[] {
  const adapters: Adapter[] = [];
  if (config.telegram) adapters.push(new TelegramAdapter({ ...config.telegram, log }));
  if (config.discord) adapters.push(new DiscordAdapter({ ...config.discord, log }));
  return adapters;
}

function warnAboutKey(config: Config): void {
  if (config.dataKeySource === 'env') return;
  const how =
    config.dataKeySource === 'generated'
      ? 'a new master key was generated and stored in'
      : 'the master key is read from';
  console.warn(
    `WARNING: no DATA_KEY was set, so ${how} ${config.dataDir}/dev-data-key.\n` +
      'Anyone with that file and the database can read everything. For real use, set DATA_KEY and keep a copy of it\n' +
      'somewhere other than the data directory: without the key, the data cannot be read.',
  );
}

/** Host and port of a Redis URL, never its password. */
function redisHost(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.hostname}:${u.port || 6379}`;
}

async function run(config: Config, log: Logger): Promise<number> {
  const adapters = adaptersFor(config, log);
  const core = openCore({
    databaseFile: config.databaseFile,
    dataKey: config.dataKey,
    log,
    resources: config.resources,
  });
  if (!(await redisReachable(config.redisUrl))) {
    console.error(
      `Redis is not reachable at ${redisHost(config.redisUrl)}: start it (redis-server, or docker compose up -d redis) or set REDIS_URL. ` +
        'Answers are still saved meanwhile, and messages go out as soon as Redis answers.',
    );
  }
  const app: App = await startApp({
    engine: core.engine,
    repo: core.repo,
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    role: config.role,
    transports: adapters.map((a) => a.transport),
    log,
  });
  if (config.role !== 'worker') for (const a of adapters) await a.start(core.engine);
  log.info('started', { role: config.role, adapters: adapters.length });

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Stop taking updates first, then let jobs in flight finish, then close the database.
  log.info('stopping');
  await Promise.allSettled(adapters.map((a) => a.stop()));
  await app.stop(10_000);
  core.store.close();
  log.info('stopped');
  return 0;
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration problem: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  // A library promise that rejects with nobody listening (BullMQ's connection check when Redis
  // drops at that moment) must not take the bot down with it: log its kind and carry on.
  process.on('unhandledRejection', (error) => log.warn('unhandled-rejection', errorFields(error)));
  warnAboutKey(config);
  if (!config.telegram && !config.discord) {
    console.error(NO_TOKEN);
    return 1;
  }
  try {
    return await run(config, log);
  } catch (error) {
    log.error('start-failed', errorFields(error));
    return 1;
  }
}

process.exitCode = await main();
