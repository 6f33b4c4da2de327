import { BUILTIN_RESOURCES, type ResourceTable } from './checkin/resources.ts';
import type { InviteLinkMaker } from './engine/context.ts';
import { Engine } from './engine/engine.ts';
import { Tokens } from './engine/tokens.ts';
import type { Logger } from './ops/log.ts';
import { Keyring } from './store/crypto.ts';
import { openStore, type Store } from './store/db.ts';
import { Repo } from './store/repo.ts';

/** The storage and the engine, without any queue: what every process and the demo start from. */
export interface Core {
  store: Store;
  keyring: Keyring;
  repo: Repo;
  engine: Engine;
}

export interface CoreOptions {
  databaseFile: string;
  dataKey: Buffer;
  log: Logger;
  clock?: () => number;
  resources?: ResourceTable | null;
  inviteLink?: InviteLinkMaker;
}

/** Opens (and migrates) the database and builds the engine over it. */
export function openCore(o: CoreOptions): Core {
  const store = openStore(o.databaseFile);
  const keyring = new Keyring(o.dataKey);
  const repo = new Repo(store, keyring);
  const engine = new Engine({
    repo,
    tokens: new Tokens(keyring),
    clock: o.clock ?? Date.now,
    log: o.log,
    resources: o.resources ?? BUILTIN_RESOURCES,
    ...(o.inviteLink ? { inviteLink: o.inviteLink } : {}),
  });
  return { store, keyring, repo, engine };
}
