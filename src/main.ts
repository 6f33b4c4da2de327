import { BUILTIN_RESOURCES } from './checkin/resources.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { Engine } from './engine/engine.ts';
import { Tokens } from './engine/tokens.ts';
import { createLogger, errorFields, type Logger } from './ops/log.ts';
import { Keyring } from './store/crypto.ts';
import { openStore } from './store/db.ts';
import { Repo } from './store/repo.ts';

// The composition root: config -> store -> engine -> adapters. The platform adapters and the
// BullMQ scheduler plug in here as they are built (issues 3-5).

const NO_TOKEN = `No chat platform is configured, so there is nothing to connect to yet.

To run the real bot, set at least one of:
  TELEGRAM_BOT_TOKEN       the token @BotFather gives you (looks like 123456:ABC-DEF...)
  DISCORD_TOKEN            your Discord bot token, together with
  DISCORD_APPLICATION_ID   the application id from the Discord developer portal

To see the whole product first, with no accounts at all:
  npm run demo
`;

/** Builds the service from configuration; returns what main needs to run and stop it. */
export function compose(config: Config, log: Logger): { engine: Engine; close(): void } {
  const store = openStore(config.databaseFile);
  const keyring = new Keyring(config.dataKey);
  const repo = new Repo(store, keyring);
  const engine = new Engine({
    repo,
    tokens: new Tokens(keyring),
    clock: Date.now,
    log,
    resources: config.resources ?? BUILTIN_RESOURCES,
  });
  return { engine, close: () => store.close() };
}

function main(): number {
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
  if (config.dataKeySource !== 'env') {
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
  if (!config.telegram && !config.discord) {
    console.error(NO_TOKEN);
    return 1;
  }
  try {
    const service = compose(config, log);
    log.info('store-ready', { telegram: config.telegram !== null, discord: config.discord !== null });
    // The Telegram and Discord adapters are not part of this build yet.
    console.error('The chat adapters are not built yet; the engine, storage and demo are. See README.md.');
    service.close();
    return 1;
  } catch (error) {
    log.error('start-failed', errorFields(error));
    return 1;
  }
}

process.exitCode = main();
