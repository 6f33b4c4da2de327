import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './support/tmp.ts';

// The Docker files, checked without Docker (none runs here): docker-compose.yml through a strict
// reader of the plain YAML it is written in, the Dockerfile and .dockerignore line by line, and
// the container's start command run locally with the environment compose would give it.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const tempDir = tempDirs('checkin-deploy');

// ---------------------------------------------------------------------------------------------
// docker-compose.yml: a reader for the plain subset of YAML it is written in (block mappings,
// block lists of scalars, quoted or plain scalars, comments). Anything else throws, so the file
// stays in a style these checks can read.

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };
type YamlMap = { [key: string]: Yaml };

interface Line {
  no: number;
  indent: number;
  text: string;
}

function scalar(raw: string, no: number): string {
  const quoted = /^(["'])(.*)\1$/.exec(raw);
  if (quoted) {
    if (quoted[1] === '"' && quoted[2]!.includes('\\'))
      throw new Error(`line ${no}: escapes are not supported`);
    return quoted[2]!;
  }
  if (/^[[{&*!|>%@`"']/.test(raw)) throw new Error(`line ${no}: only plain or quoted scalars: ${raw}`);
  return raw.replace(/\s+#.*$/, '');
}

function parseYaml(text: string): Yaml {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tab`);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    lines.push({ no: i + 1, indent: raw.length - raw.trimStart().length, text: trimmed });
  });
  let at = 0;
  const block = (indent: number): Yaml => {
    if (lines[at]!.text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (at < lines.length && lines[at]!.indent === indent && lines[at]!.text.startsWith('- ')) {
        const line = lines[at++]!;
        const item = line.text.slice(2).trim();
        if (/^[\w.-]+:(\s|$)/.test(item)) throw new Error(`line ${line.no}: lists hold scalars only`);
        list.push(scalar(item, line.no));
      }
      return list;
    }
    const map: YamlMap = {};
    while (at < lines.length && lines[at]!.indent === indent) {
      const line = lines[at++]!;
      const m = /^([\w.-]+):(?:\s+(.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.no}: expected "key: value", got ${line.text}`);
      const key = m[1]!;
      if (key in map) throw new Error(`line ${line.no}: duplicate key ${key}`);
      if (m[2] !== undefined) map[key] = scalar(m[2], line.no);
      else if (at < lines.length && lines[at]!.indent > indent) map[key] = block(lines[at]!.indent);
      else map[key] = null;
    }
    if (at < lines.length && lines[at]!.indent > indent) {
      throw new Error(`line ${lines[at]!.no}: unexpected indentation`);
    }
    return map;
  };
  const doc = block(0);
  if (at !== lines.length) throw new Error(`line ${lines[at]!.no}: unexpected indentation`);
  return doc;
}

function asMap(v: Yaml | undefined, what: string): YamlMap {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`${what} is not a mapping`);
  }
  return v;
}

function asList(v: Yaml | undefined, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what} is not a list`);
  return v as string[];
}

/** Compose interpolation for the forms this file uses: ${VAR}, ${VAR:-default}, ${VAR:?error}. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      const v = env[name] ?? '';
      if (v !== '') return v;
      if (op === ':?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
      return op === ':-' ? (arg ?? '') : '';
    },
  );
}

const compose = asMap(parseYaml(read('docker-compose.yml')), 'docker-compose.yml');
const services = asMap(compose.services, 'services');
const redis = asMap(services.redis, 'services.redis');
const bot = asMap(services.bot, 'services.bot');
const botEnv = asMap(bot.environment, 'services.bot.environment') as Record<string, string>;

/** The environment compose would hand the bot container, for the given shell / .env values. */
function composeEnv(shell: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(botEnv).map(([k, v]) => [k, interpolate(v ?? '', shell)]));
}

// ---------------------------------------------------------------------------------------------
// Dockerfile: instructions with continuation lines joined and comments dropped, split into stages.

interface Instruction {
  op: string;
  args: string;
}

function dockerfile(): Instruction[][] {
  const joined = read('Dockerfile')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.trim().replace(/\s+/g, ' ') };
    if (ins.op === 'FROM') stages.push([]);
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${ins.op} before FROM`);
    stage.push(ins);
  }
  return stages;
}

const stages = dockerfile();
const finalStage = stages.at(-1)!;
const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);

/** `ENV A=1 B=2` instructions of a stage, as one record. */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of all(stage, 'ENV')) {
    for (const pair of args.split(' ')) {
      const [k, ...v] = pair.split('=');
      env[k!] = v.join('=');
    }
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore with Docker's rules: the last pattern matching a path or any folder above it wins.

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const ignoreRules = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const negated = l.startsWith('!');
    const pattern = (negated ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
    return { negated, re: globToRegExp(pattern) };
  });

/** Whether a path (relative to the repository, with "/") reaches the image's build context. */
function inContext(path: string): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const rule of ignoreRules) {
    if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negated;
  }
  return !excluded;
}

function filesUnder(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(join(ROOT, f)).isFile())
    .map((f) => f.split(sep).join('/'));
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('uses the Compose specification (no version key) with exactly redis and bot', () => {
    expect(compose).not.toHaveProperty('version');
    expect(Object.keys(services).sort()).toEqual(['bot', 'redis']);
  });

  it('runs Redis 7 with an append-only file, fsync every second and noeviction (BullMQ needs it)', () => {
    expect(redis.image).toBe('redis:7-alpine');
    const command = ` ${String(redis.command)} `;
    expect(command).toContain(' --appendonly yes ');
    expect(command).toContain(' --appendfsync everysec ');
    expect(command).toContain(' --maxmemory-policy noeviction ');
    expect(asList(redis.volumes, 'redis.volumes')).toContain('redis-data:/data');
    expect(
      asList(asMap(redis.healthcheck, 'redis.healthcheck').test, 'healthcheck.test').join(' '),
    ).toContain('redis-cli ping');
    expect(redis).not.toHaveProperty('ports');
  });

  it('builds the bot from this repository, restarts it, and gives it time to stop gracefully', () => {
    expect(bot.build).toBe('.');
    expect(bot.restart).toBe('unless-stopped');
    expect(bot.stop_grace_period).toBe('30s');
    expect(bot.init).toBe('true');
    expect(asMap(asMap(bot.depends_on, 'depends_on').redis, 'depends_on.redis').condition).toBe(
      'service_healthy',
    );
    expect(bot).not.toHaveProperty('ports');
  });

  it('sets production, requires DATA_KEY with :? and points REDIS_URL at the redis service', () => {
    expect(botEnv.NODE_ENV).toBe('production');
    expect(botEnv.DATA_KEY).toMatch(/^\$\{DATA_KEY:\?[^}]*openssl rand -base64 32[^}]*\}$/);
    const url = new URL(botEnv.REDIS_URL!);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe('redis');
    expect(url.hostname in services).toBe(true);
    for (const name of ['TELEGRAM_BOT_TOKEN', 'DISCORD_TOKEN', 'DISCORD_APPLICATION_ID']) {
      expect(botEnv[name]).toBe(`\${${name}:-}`);
    }
    expect(botEnv.LOG_LEVEL).toMatch(/^\$\{LOG_LEVEL(:-\w*)?\}$/);
  });

  it('passes only variables that src/config.ts reads', () => {
    const known = new Set(
      [...read('src/config.ts').matchAll(/^ {2}([A-Z][A-Z0-9_]*): z/gm)].map((m) => m[1]),
    );
    expect(known.has('DATA_KEY')).toBe(true);
    for (const name of Object.keys(botEnv)) expect(known, name).toContain(name);
  });

  it('keeps the database on a named volume at the DATA_DIR the image uses', () => {
    const dataDir = envOf(finalStage).DATA_DIR;
    expect(dataDir).toBe('/data');
    expect(botEnv.DATA_DIR ?? dataDir).toBe(dataDir);
    expect(asList(bot.volumes, 'bot.volumes')).toContain(`bot-data:${dataDir}`);
    const volumes = asMap(compose.volumes, 'volumes');
    expect(Object.keys(volumes).sort()).toEqual(['bot-data', 'redis-data']);
  });

  it('refuses to start without DATA_KEY, as `docker compose up` does, before any container runs', () => {
    expect(() => composeEnv({})).toThrow(/DATA_KEY.*openssl rand -base64 32/);
    expect(() => composeEnv({ DATA_KEY: '' })).toThrow(/DATA_KEY/);
    const key = randomBytes(32).toString('base64');
    expect(composeEnv({ DATA_KEY: key, TELEGRAM_BOT_TOKEN: '1:a' })).toMatchObject({
      DATA_KEY: key,
      TELEGRAM_BOT_TOKEN: '1:a',
      DISCORD_TOKEN: '',
      LOG_LEVEL: expect.any(String),
    });
  });
});

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, both on node:20-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]!.args).toMatch(/^node:20-bookworm-slim( AS \w+)?$/i);
    expect(stages[0]![0]!.args).toMatch(/ AS build$/i);
    expect(all(finalStage, 'COPY').some((a) => a.startsWith('--from=build '))).toBe(true);
    // Node 20 satisfies package.json "engines".
    expect(JSON.parse(read('package.json')).engines.node).toMatch(/>=20\.\d+ <21/);
  });

  it('builds better-sqlite3 with python3, make and g++, whichever npm runs the install', () => {
    const build = stages[0]!;
    const run = all(build, 'RUN').join(' && ');
    const packages = (/apt-get install ([^&]*)/.exec(run)?.[1] ?? '').split(' ');
    expect(packages).toEqual(expect.arrayContaining(['python3', 'make', 'g++']));
    const ci = /npm ci [^&]*/.exec(run)?.[0] ?? '';
    expect(ci).toContain('--omit=dev');
    // npm 10 (in the image) ignores "allowScripts": scripts are skipped and the allowed ones run.
    if (ci.includes('--ignore-scripts')) {
      const allowed = Object.entries(JSON.parse(read('package.json')).allowScripts as Record<string, boolean>)
        .filter(([, on]) => on)
        .map(([name]) => name);
      const rebuild = /npm rebuild ([^&]*)/.exec(run)?.[1]?.trim().split(' ') ?? [];
      expect(rebuild.sort()).toEqual(allowed.sort());
    }
    expect(run).toContain("require('better-sqlite3')");
  });

  it('keeps tsx a runtime dependency, since the image installs without devDependencies', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.dependencies).toHaveProperty('tsx');
    expect(pkg.devDependencies ?? {}).not.toHaveProperty('tsx');
  });

  it('imports at run time only packages that --omit=dev installs', () => {
    const deps = new Set(Object.keys(JSON.parse(read('package.json')).dependencies));
    const files = [...filesUnder('src'), ...filesUnder('adapters')].filter((f) => /\.[cm]?ts$/.test(f));
    expect(files).toContain('src/main.ts');
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const specs = [
        ...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\bfrom\s+'([^']+)'/gm),
        ...text.matchAll(/^import\s+'([^']+)'/gm),
        ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const spec of specs) {
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        const name = spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/');
        if (!deps.has(name)) missing.push(`${file}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs as the unprivileged node user with NODE_ENV=production and DATA_DIR=/data owned by it', () => {
    expect(all(finalStage, 'USER').at(-1)).toBe('node');
    expect(envOf(finalStage)).toMatchObject({ NODE_ENV: 'production', DATA_DIR: '/data' });
    expect(all(finalStage, 'WORKDIR').at(-1)).toBe('/app');
    expect(all(finalStage, 'VOLUME')).toContain('/data');
    expect(all(finalStage, 'RUN').join(' ')).toMatch(/chown node:node \/data/);
    // README's backup command runs the sqlite3 shell inside the container.
    expect(all(finalStage, 'RUN').join(' ')).toMatch(/apt-get install [^&]*\bsqlite3\b/);
    // USER comes after the last RUN, so nothing later runs as root.
    const ops = finalStage.map((i) => i.op);
    expect(ops.lastIndexOf('USER')).toBeGreaterThan(ops.lastIndexOf('RUN'));
  });

  it('copies only paths that exist in the repository', () => {
    for (const stage of stages) {
      for (const args of all(stage, 'COPY')) {
        if (args.startsWith('--from=')) continue;
        const parts = args.split(' ').filter((p) => !p.startsWith('--'));
        for (const src of parts.slice(0, -1)) {
          expect(existsSync(join(ROOT, src)), src).toBe(true);
          expect(inContext(src) || src === '.', `${src} is left out by .dockerignore`).toBe(true);
        }
      }
    }
  });

  it('starts node --import tsx on an entry file that exists and reaches the image', () => {
    const cmd = JSON.parse(all(finalStage, 'CMD').at(-1)!) as string[];
    expect(cmd.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    const entry = cmd[3]!;
    expect(existsSync(join(ROOT, entry))).toBe(true);
    expect(inContext(entry)).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('lets in what the bot runs from: package files, src/, adapters/, migrations/', () => {
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'adapters/telegram/bot.ts']) {
      expect(inContext(path), path).toBe(true);
    }
    const needed = [...filesUnder('src'), ...filesUnder('migrations')];
    expect(needed).toContain('migrations/meta/_journal.json');
    expect(needed.filter((f) => !inContext(f))).toEqual([]);
  });

  it('keeps out dependencies, data, keys, secrets, git, tests and their output', () => {
    for (const path of [
      'node_modules/zod/package.json',
      'data/checkin.sqlite',
      'data/dev-data-key',
      '.env',
      '.env.production',
      'src/.env',
      '.git/HEAD',
      'coverage/index.html',
      'test/main.test.ts',
      'npm-debug.log',
      'src/debug.log',
      'backup.sqlite',
      'src/checkin.sqlite-wal',
    ]) {
      expect(inContext(path), path).toBe(false);
    }
  });
});

describe('the container start command, run here', () => {
  /** Runs the Dockerfile's CMD in this checkout (its WORKDIR /app) with only the given environment. */
  function container(env: Record<string, string>) {
    const cmd = JSON.parse(all(finalStage, 'CMD').at(-1)!) as string[];
    const dataDir = tempDir();
    const full: Record<string, string> = { ...envOf(finalStage), ...env, DATA_DIR: dataDir };
    if (process.env.PATH) full.PATH = process.env.PATH;
    if (process.env.HOME) full.HOME = process.env.HOME;
    const r = spawnSync(process.execPath, cmd.slice(1), {
      cwd: ROOT,
      env: full,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
      killSignal: 'SIGKILL',
    });
    if (r.error) throw r.error;
    return { status: r.status, stderr: r.stderr, dataDir };
  }

  it('without DATA_KEY (docker run, bypassing compose) exits 1 naming DATA_KEY and writes nothing', () => {
    const r = container({ NODE_ENV: 'production', TELEGRAM_BOT_TOKEN: '123456:ABC-DEF' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DATA_KEY');
    expect(readdirSync(r.dataDir)).toEqual([]);
  });

  it('with the environment compose gives it and no token, exits 1 naming TELEGRAM_BOT_TOKEN', () => {
    // Compose passes the unset tokens as empty strings, which must count as unset.
    const env = composeEnv({ DATA_KEY: randomBytes(32).toString('base64') });
    expect(env.TELEGRAM_BOT_TOKEN).toBe('');
    const r = container(env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('TELEGRAM_BOT_TOKEN');
    expect(r.stderr).not.toContain('Configuration problem');
    expect(r.stderr).not.toContain('WARNING');
  });
});
