import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openStore } from '../../src/store/db.ts';
import { tempDirs } from '../support/tmp.ts';

const ROOT = join(MIGRATIONS_DIR, '..');
const tempDir = tempDirs('checkin-mig');

describe('migrations', () => {
  it('are in step with the schema: drizzle-kit generate has nothing new to write', () => {
    const out = join(tempDir(), 'migrations');
    cpSync(MIGRATIONS_DIR, out, { recursive: true });
    const before = readdirSync(out).sort();
    // drizzle-kit resolves --out relative to the working directory.
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/drizzle-kit/bin.cjs'),
        'generate',
        '--dialect',
        'sqlite',
        '--schema',
        './src/store/schema.ts',
        '--out',
        relative(ROOT, out),
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
    expect(readdirSync(out).sort(), 'schema.ts changed without `npm run db:generate`').toEqual(before);
  });

  it('create every table, with WAL, secure_delete and foreign keys on', () => {
    const store = openStore(join(tempDir(), 'db.sqlite'));
    const tables = store.sqlite
      .prepare("select name from sqlite_master where type='table' and name not like 'sqlite_%'")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(
      expect.arrayContaining(['members', 'couples', 'rounds', 'answers', 'outbox', 'audit']),
    );
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.sqlite.pragma('secure_delete', { simple: true })).toBe(1);
    expect(store.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(Number(store.sqlite.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    store.close();
  });

  it('are applied once: reopening the same file changes nothing and keeps the data', () => {
    const file = join(tempDir(), 'db.sqlite');
    const a = openStore(file);
    a.sqlite.prepare("insert into processed_inbound (key, processed_at) values ('k', 1)").run();
    a.close();
    const b = openStore(file);
    expect(b.sqlite.prepare('select count(*) n from processed_inbound').get()).toEqual({ n: 1 });
    expect(b.sqlite.prepare('select count(*) n from __drizzle_migrations').get()).toEqual({
      n: readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length,
    });
    b.close();
  });

  it('run with foreign keys off, so a table rebuild does not cascade-delete children', () => {
    // A later migration that rebuilds `members` the way drizzle-kit does (create, copy, drop,
    // rename). With foreign keys on, the DROP would delete every answer by cascade.
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
    const file = join(dir, 'db.sqlite');
    const first = openStore(file, { migrationsDir: migrations });
    const s = first.sqlite;
    s.prepare(
      "insert into members (id, platform, platform_user_id, wrapped_key) values (1, 'telegram', 'u', x'00')",
    ).run();
    s.prepare("insert into couples (id, kind, member_a, time_zone) values (1, 'solo', 1, 'UTC')").run();
    s.prepare(
      "insert into rounds (id, couple_id, occurrence_key, template, sequence, opened_at, deadline_at) values (1, 1, 'k', 'fanos', 1, 0, 1)",
    ).run();
    s.prepare(
      "insert into answers (round_id, member_id, question_id, value, shared, updated_at) values (1, 1, 'q', x'01', 1, 0)",
    ).run();
    first.close();

    const journal = JSON.parse(readFileSync(join(migrations, 'meta/_journal.json'), 'utf8')) as {
      entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
    };
    const tag = '9999_rebuild_members';
    const raw = new Database(file);
    const cols = raw
      .prepare('select name from pragma_table_info(?)')
      .all('members')
      .map((r) => `\`${(r as { name: string }).name}\``)
      .join(', ');
    const create = (
      raw.prepare("select sql from sqlite_master where name='members'").get() as { sql: string }
    ).sql.replace('CREATE TABLE `members`', 'CREATE TABLE `__new_members`');
    raw.close();
    writeFileSync(
      join(migrations, `${tag}.sql`),
      [
        create,
        `INSERT INTO \`__new_members\`(${cols}) SELECT ${cols} FROM \`members\``,
        'DROP TABLE `members`',
        'ALTER TABLE `__new_members` RENAME TO `members`',
      ].join(';\n--> statement-breakpoint\n'),
    );
    journal.entries.push({
      idx: journal.entries.length,
      version: '6',
      when: Date.now(),
      tag,
      breakpoints: true,
    });
    writeFileSync(join(migrations, 'meta/_journal.json'), JSON.stringify(journal));

    const second = openStore(file, { migrationsDir: migrations });
    expect(second.sqlite.prepare('select count(*) n from answers').get()).toEqual({ n: 1 });
    expect(second.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    second.close();
  });
});
