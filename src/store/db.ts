import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.ts';

export type Db = BetterSQLite3Database<typeof schema>;

/** An open database: the drizzle handle plus the raw connection for pragmas. */
export interface Store {
  db: Db;
  sqlite: Database.Database;
  file: string;
  close(): void;
}

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** Opens (creating if needed) the database file, sets the pragmas and applies migrations. */
export function openStore(file: string, options: { migrationsDir?: string } = {}): Store {
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  // Freed pages are zeroed, so deleted rows (wrapped keys, sealed values) leave no copy behind.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(sqlite, { schema });
  withMigrationLock(file, () => runMigrations(sqlite, db, options.migrationsDir ?? MIGRATIONS_DIR));
  sqlite.pragma('foreign_keys = ON');
  return { db, sqlite, file, close: () => sqlite.close() };
}

function runMigrations(sqlite: Database.Database, db: Db, migrationsFolder: string): void {
  // drizzle-kit rebuilds tables to alter them; with foreign keys on, dropping the old table
  // would cascade-delete every child row. So: off around the migrations, checked after.
  sqlite.pragma('foreign_keys = OFF');
  migrate(db, { migrationsFolder });
  const violations = sqlite.pragma('foreign_key_check') as unknown[];
  if (violations.length > 0) {
    throw new Error(`migrations left ${violations.length} foreign key violations; refusing to start`);
  }
}

// Several processes may start at once; exactly one applies migrations while the others wait.
function withMigrationLock(file: string, fn: () => void): void {
  const lock = `${file}.migrate.lock`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than a minute was left by a process that died mid-way.
      if (Date.now() - lockAge(lock) > 60_000) {
        unlinkQuietly(lock);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the migration lock ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    fn();
  } finally {
    unlinkQuietly(lock);
  }
}

function lockAge(lock: string): number {
  try {
    return statSync(lock).mtimeMs;
  } catch {
    return Date.now();
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
