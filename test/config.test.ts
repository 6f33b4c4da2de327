import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { tempDirs } from './support/tmp.ts';

// loadConfig is always given an explicit env object: the real process.env never leaks in.

const tempDir = tempDirs('checkin-config');

const KEY = randomBytes(32).toString('base64');

/** An environment that is valid on its own; tests override one variable at a time. */
function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { DATA_DIR: tempDir(), DATA_KEY: KEY, ...overrides };
}

/** The ConfigError loadConfig throws for this env (fails the test when it does not throw one). */
function configError(e: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(e);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig: defaults', () => {
  it('resolves DATA_DIR to ./data, absolute, when unset', () => {
    const config = loadConfig({ DATA_KEY: KEY });
    expect(isAbsolute(config.dataDir)).toBe(true);
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.databaseFile).toBe(join(resolve('./data'), 'checkin.sqlite'));
  });

  it('fills in every other default', () => {
    const dir = tempDir();
    const config = loadConfig({ DATA_DIR: dir, DATA_KEY: KEY });
    expect(config).toMatchObject({
      env: 'development',
      dataDir: dir,
      dataKeySource: 'env',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'checkin',
      telegram: null,
      discord: null,
      logLevel: 'info',
      resources: null,
    });
    expect(config.dataKey.equals(Buffer.from(KEY, 'base64'))).toBe(true);
  });

  it('resolves a relative DATA_DIR to an absolute path', () => {
    const config = loadConfig({ DATA_DIR: 'some/relative/dir', DATA_KEY: KEY });
    expect(config.dataDir).toBe(resolve('some/relative/dir'));
  });

  it('treats empty strings as unset', () => {
    const dir = tempDir();
    const config = loadConfig({
      DATA_DIR: dir,
      DATA_KEY: KEY,
      NODE_ENV: '',
      REDIS_URL: '',
      QUEUE_PREFIX: '',
      TELEGRAM_BOT_TOKEN: '',
      TELEGRAM_API_ROOT: '',
      DISCORD_TOKEN: '',
      DISCORD_APPLICATION_ID: '',
      DISCORD_API_ROOT: '',
      LOG_LEVEL: '',
      SUPPORT_RESOURCES: '',
    });
    expect(config).toMatchObject({
      env: 'development',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'checkin',
      telegram: null,
      discord: null,
      logLevel: 'info',
      resources: null,
    });
  });

  it('treats an empty DATA_DIR as unset (./data)', () => {
    expect(loadConfig({ DATA_DIR: '', DATA_KEY: KEY }).dataDir).toBe(resolve('./data'));
  });

  it('treats an empty DATA_KEY as unset: production refuses', () => {
    expect(configError(env({ NODE_ENV: 'production', DATA_KEY: '' })).message).toMatch(/DATA_KEY/);
  });

  it('accepts valid platform settings', () => {
    const config = loadConfig(
      env({
        TELEGRAM_BOT_TOKEN: '123456:ABC-DEF_ghi',
        TELEGRAM_API_ROOT: 'http://127.0.0.1:9000',
        DISCORD_TOKEN: 'discord-token',
        DISCORD_APPLICATION_ID: '1234567890',
        DISCORD_API_ROOT: 'http://127.0.0.1:9001/api',
        REDIS_URL: 'rediss://cache.example:6380/2',
        QUEUE_PREFIX: 'test_1-a',
        LOG_LEVEL: 'debug',
        NODE_ENV: 'test',
      }),
    );
    expect(config).toMatchObject({
      env: 'test',
      redisUrl: 'rediss://cache.example:6380/2',
      queuePrefix: 'test_1-a',
      logLevel: 'debug',
      telegram: { token: '123456:ABC-DEF_ghi', apiRoot: 'http://127.0.0.1:9000' },
      discord: { token: 'discord-token', applicationId: '1234567890', apiRoot: 'http://127.0.0.1:9001/api' },
    });
  });
});

describe('loadConfig: each invalid variable is named', () => {
  it('DATA_KEY of the wrong length', () => {
    const short = randomBytes(16).toString('base64');
    expect(configError(env({ DATA_KEY: short })).message).toMatch(/^DATA_KEY: .*32 bytes/);
  });

  it.each([
    ['not a url', 'nope'],
    ['wrong scheme', 'http://127.0.0.1:6379'],
  ])('REDIS_URL: %s', (_, value) => {
    const message = configError(env({ REDIS_URL: value })).message;
    expect(message).toMatch(/^REDIS_URL: /);
    expect(message).toMatch(/redis:\/\/ or rediss:\/\//);
  });

  it.each([
    ['TELEGRAM_API_ROOT', 'ftp://api.telegram.org'],
    ['DISCORD_API_ROOT', 'not a url'],
  ])('%s', (name, value) => {
    const message = configError(env({ [name]: value })).message;
    expect(message).toMatch(new RegExp(`^${name}: `));
    expect(message).toMatch(/http:\/\/ or https:\/\//);
  });

  it('TELEGRAM_BOT_TOKEN that does not look like a token, without echoing it', () => {
    const message = configError(env({ TELEGRAM_BOT_TOKEN: 'secret-looking-thing' })).message;
    expect(message).toMatch(/^TELEGRAM_BOT_TOKEN: /);
    expect(message).not.toContain('secret-looking-thing');
  });

  it('DISCORD_TOKEN without DISCORD_APPLICATION_ID', () => {
    const message = configError(env({ DISCORD_TOKEN: 'discord-token' })).message;
    expect(message).toMatch(/^DISCORD_APPLICATION_ID: /);
    expect(message).toContain('DISCORD_TOKEN');
  });

  it('DISCORD_APPLICATION_ID that is not numeric', () => {
    const message = configError(env({ DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: 'abc' })).message;
    expect(message).toMatch(/^DISCORD_APPLICATION_ID: /);
  });

  it('LOG_LEVEL outside the known levels', () => {
    expect(configError(env({ LOG_LEVEL: 'loud' })).message).toMatch(/^LOG_LEVEL: /);
  });

  it('QUEUE_PREFIX with characters Redis keys should not carry', () => {
    expect(configError(env({ QUEUE_PREFIX: 'a b:c' })).message).toMatch(/^QUEUE_PREFIX: /);
  });

  it('NODE_ENV outside development, production and test', () => {
    expect(configError(env({ NODE_ENV: 'staging' })).message).toMatch(/^NODE_ENV: /);
  });

  it('SUPPORT_RESOURCES naming a missing file', () => {
    const missing = join(tempDir(), 'nope.json');
    const message = configError(env({ SUPPORT_RESOURCES: missing })).message;
    expect(message).toMatch(/^SUPPORT_RESOURCES: /);
    expect(message).toContain(missing);
  });

  it('SUPPORT_RESOURCES naming a file that is not JSON', () => {
    const file = join(tempDir(), 'resources.json');
    writeFileSync(file, '{ countries: ');
    expect(configError(env({ SUPPORT_RESOURCES: file })).message).toMatch(/^SUPPORT_RESOURCES: /);
  });

  it('SUPPORT_RESOURCES naming JSON of the wrong shape, with the path at fault', () => {
    const file = join(tempDir(), 'resources.json');
    writeFileSync(
      file,
      JSON.stringify({
        countries: { US: { emergency: '911', talk: [], abuses: [] } },
        fallback: { emergency: 'your local emergency number', talk: [], abuse: [] },
      }),
    );
    const message = configError(env({ SUPPORT_RESOURCES: file })).message;
    expect(message).toMatch(/^SUPPORT_RESOURCES: /);
    expect(message).toMatch(/countries\.US/);
  });

  it('SUPPORT_RESOURCES with a valid file is loaded', () => {
    const file = join(tempDir(), 'resources.json');
    const table = {
      countries: { NZ: { emergency: '111', talk: ['call or text 1737'], abuse: [] } },
      fallback: { emergency: 'your local emergency number', talk: [], abuse: [] },
    };
    writeFileSync(file, JSON.stringify(table));
    expect(loadConfig(env({ SUPPORT_RESOURCES: file })).resources).toEqual(table);
  });
});

describe('loadConfig: the master key', () => {
  it('production without DATA_KEY refuses, naming DATA_KEY, and writes no key file', () => {
    const dir = tempDir();
    const message = configError({ NODE_ENV: 'production', DATA_DIR: dir }).message;
    expect(message).toMatch(/^DATA_KEY: /);
    expect(message).toMatch(/production/);
    expect(existsSync(join(dir, 'dev-data-key'))).toBe(false);
  });

  it('production with DATA_KEY starts', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir(), DATA_KEY: KEY });
    expect(config.env).toBe('production');
    expect(config.dataKeySource).toBe('env');
  });

  it('development without DATA_KEY generates a 0600 key file in DATA_DIR and reuses it', () => {
    const dir = join(tempDir(), 'not-yet-created');
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.dataKeySource).toBe('generated');
    expect(first.dataKey.length).toBe(32);

    const file = join(dir, 'dev-data-key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first.dataKey)).toBe(true);

    const second = loadConfig({ DATA_DIR: dir, NODE_ENV: '' });
    expect(second.dataKeySource).toBe('file');
    expect(second.dataKey.equals(first.dataKey)).toBe(true);
  });

  it('an explicit DATA_KEY wins over a stored development key', () => {
    const dir = tempDir();
    loadConfig({ DATA_DIR: dir });
    const config = loadConfig({ DATA_DIR: dir, DATA_KEY: KEY });
    expect(config.dataKeySource).toBe('env');
    expect(config.dataKey.equals(Buffer.from(KEY, 'base64'))).toBe(true);
  });

  it('a damaged development key file is refused, naming DATA_KEY', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'dev-data-key'), 'c2hvcnQ=\n', { mode: 0o600 });
    expect(configError({ DATA_DIR: dir }).message).toMatch(/^DATA_KEY: /);
  });
});
