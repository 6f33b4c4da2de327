import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './support/tmp.ts';

// `npm start` as a deployer meets it: the real entry point in a child process with a clean
// environment, checking exit codes and what it says on stderr.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const tempDir = tempDirs('checkin-main');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  dataDir: string;
}

/** Runs src/main.ts with only PATH, HOME, DATA_DIR and the given variables set. */
function start(extra: Record<string, string> = {}): Run {
  const dataDir = tempDir();
  const env: Record<string, string> = { DATA_DIR: dataDir, ...extra };
  if (process.env.PATH) env.PATH = process.env.PATH;
  if (process.env.HOME) env.HOME = process.env.HOME;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, dataDir };
}

describe('npm start (src/main.ts)', () => {
  it('with no platform token exits 1 and says what to set, and how to see the demo', () => {
    const r = start();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('TELEGRAM_BOT_TOKEN');
    expect(r.stderr).toContain('DISCORD_TOKEN');
    expect(r.stderr).toContain('npm run demo');
  });

  it('with a bad REDIS_URL exits 1 with one line naming REDIS_URL', () => {
    const r = start({ REDIS_URL: 'http://127.0.0.1:6379', DATA_KEY: randomBytes(32).toString('base64') });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('REDIS_URL');
    expect(lines[0]).toMatch(/redis:\/\/ or rediss:\/\//);
    expect(r.stdout).toBe('');
  });

  it('in production without DATA_KEY exits 1 naming DATA_KEY, and leaves no key file behind', () => {
    const r = start({ NODE_ENV: 'production', TELEGRAM_BOT_TOKEN: '123456:ABC-DEF' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DATA_KEY');
    expect(existsSync(join(r.dataDir, 'dev-data-key'))).toBe(false);
    expect(existsSync(join(r.dataDir, 'checkin.sqlite'))).toBe(false);
  });
});
