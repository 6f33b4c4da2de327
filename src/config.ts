import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type ResourceTable, resourceTableSchema } from './checkin/resources.ts';

// The only module that reads process.env. Everything else receives a Config.

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATA_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
      message: 'must be 32 bytes, base64-encoded (generate one with: openssl rand -base64 32)',
    }),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL, like redis://127.0.0.1:6379' })
    .default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
    .default('checkin'),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]+$/, 'looks like 123456:ABC-DEF... (from @BotFather)')
    .optional(),
  TELEGRAM_WEBHOOK_URL: z
    .url({ protocol: /^https$/, error: 'must be an https:// URL that Telegram can reach' })
    .optional(),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -')
    .optional(),
  TELEGRAM_WEBHOOK_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, like https://api.telegram.org' })
    .default('https://api.telegram.org'),
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_APPLICATION_ID: z
    .string()
    .regex(/^\d+$/, 'the numeric application id from the Discord developer portal')
    .optional(),
  DISCORD_API_ROOT: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, like https://discord.com/api' })
    .default('https://discord.com/api'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SUPPORT_RESOURCES: z.string().min(1).optional(),
  ROLE: z.enum(['all', 'bot', 'worker']).default('all'),
  CRASH_AT: z
    .string()
    .regex(/^[a-z-]+$/)
    .optional(),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  env: 'development' | 'production' | 'test';
  dataDir: string;
  databaseFile: string;
  /** 32-byte master key. */
  dataKey: Buffer;
  /** Where the key came from, so start-up can warn about a generated one. */
  dataKeySource: 'env' | 'generated' | 'file';
  redisUrl: string;
  queuePrefix: string;
  telegram: {
    token: string;
    apiRoot: string;
    /** Webhook mode when set; long polling otherwise. */
    webhook: { url: string; secret: string; port: number } | null;
  } | null;
  discord: { token: string; applicationId: string; apiRoot: string } | null;
  logLevel: LogLevel;
  /** Support resources overriding the built-in ones, when SUPPORT_RESOURCES names a file. */
  resources: ResourceTable | null;
  /** What this process runs: receiving updates ("bot"), the queue workers ("worker"), or both. */
  role: 'all' | 'bot' | 'worker';
  /** Crash tests only: the named point at which to kill this process (never in production). */
  crashAt: string | null;
}

/** A configuration problem, with a message meant for the person deploying the bot. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Throws ConfigError naming the variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const { key, source } = resolveDataKey(e.DATA_KEY, e.NODE_ENV, dataDir);
  if (e.TELEGRAM_WEBHOOK_URL && !e.TELEGRAM_WEBHOOK_SECRET) {
    throw new ConfigError(
      'TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_WEBHOOK_URL, so that only Telegram can post updates (openssl rand -hex 32)',
    );
  }
  if (e.DISCORD_TOKEN && !e.DISCORD_APPLICATION_ID) {
    throw new ConfigError('DISCORD_APPLICATION_ID: required when DISCORD_TOKEN is set');
  }
  return {
    env: e.NODE_ENV,
    dataDir,
    databaseFile: join(dataDir, 'checkin.sqlite'),
    dataKey: key,
    dataKeySource: source,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    telegram: e.TELEGRAM_BOT_TOKEN
      ? {
          token: e.TELEGRAM_BOT_TOKEN,
          apiRoot: e.TELEGRAM_API_ROOT,
          webhook: e.TELEGRAM_WEBHOOK_URL
            ? {
                url: e.TELEGRAM_WEBHOOK_URL,
                secret: e.TELEGRAM_WEBHOOK_SECRET!,
                port: e.TELEGRAM_WEBHOOK_PORT,
              }
            : null,
        }
      : null,
    discord:
      e.DISCORD_TOKEN && e.DISCORD_APPLICATION_ID
        ? { token: e.DISCORD_TOKEN, applicationId: e.DISCORD_APPLICATION_ID, apiRoot: e.DISCORD_API_ROOT }
        : null,
    logLevel: e.LOG_LEVEL,
    resources: e.SUPPORT_RESOURCES ? readResources(e.SUPPORT_RESOURCES) : null,
    role: e.ROLE,
    crashAt: e.CRASH_AT && e.NODE_ENV !== 'production' ? e.CRASH_AT : null,
  };
}

// `FOO=` in a .env file or compose file means "not set", not "set to nothing".
function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function resolveDataKey(
  fromEnv: string | undefined,
  nodeEnv: string,
  dataDir: string,
): { key: Buffer; source: Config['dataKeySource'] } {
  if (fromEnv) return { key: Buffer.from(fromEnv, 'base64'), source: 'env' };
  if (nodeEnv === 'production') {
    throw new ConfigError(
      'DATA_KEY: required in production. Generate one with `openssl rand -base64 32` and keep a copy ' +
        'somewhere other than the data volume: without it the data cannot be read.',
    );
  }
  const file = join(dataDir, 'dev-data-key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ConfigError(`DATA_KEY: the development key in ${file} is not 32 bytes`);
    return { key, source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, source: 'generated' };
}

function readResources(file: string): ResourceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`SUPPORT_RESOURCES: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const parsed = resourceTableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`SUPPORT_RESOURCES: ${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  return parsed.data;
}
