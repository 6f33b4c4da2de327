import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

// Envelope encryption: each member has a random 32-byte data key, stored wrapped by the master
// key. Deleting the wrapped key makes every value sealed under it unreadable (crypto-shredding).
// Layout of a sealed value: version (1) | iv (12) | tag (16) | ciphertext.

const VERSION = 1;
const IV = 12;
const TAG = 16;

/** Thrown when a sealed value cannot be opened (wrong key, tampering, shredded key). */
export class SealError extends Error {
  constructor() {
    super('sealed value cannot be opened');
    this.name = 'SealError';
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV + TAG || sealed[0] !== VERSION) throw new SealError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(sealed.subarray(1 + IV, 1 + IV + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV + TAG)), decipher.final()]);
  } catch {
    throw new SealError();
  }
}

/** Seals and opens member data; the only holder of the master key. */
export class Keyring {
  readonly #master: Buffer;
  readonly #tokenKey: Buffer;
  readonly #channelKey: Buffer;
  // Unwrapping is cheap, but a check-in touches the same two keys many times in a row.
  readonly #cache = new Map<number, Buffer>();

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.#master = Buffer.from(masterKey);
    this.#tokenKey = Buffer.from(hkdfSync('sha256', this.#master, Buffer.alloc(0), 'button-tokens', 32));
    this.#channelKey = Buffer.from(hkdfSync('sha256', this.#master, Buffer.alloc(0), 'channel-data', 32));
  }

  /** A fresh data key for a new member, wrapped for storage. */
  newWrappedKey(): Buffer {
    return seal(this.#master, randomBytes(32), 'member-key');
  }

  /** Seals a member's text; `field` binds the value to where it is stored. */
  seal(memberId: number, wrappedKey: Buffer, field: string, value: string): Buffer {
    return seal(this.#key(memberId, wrappedKey), Buffer.from(value, 'utf8'), `${memberId}:${field}`);
  }

  /** Opens a member's sealed text; throws SealError if it cannot. */
  open(memberId: number, wrappedKey: Buffer, field: string, sealed: Buffer): string {
    return open(this.#key(memberId, wrappedKey), sealed, `${memberId}:${field}`).toString('utf8');
  }

  /**
   * Seals what a therapist's group is called. A group belongs to no member, so its key is
   * derived from the master key; the value is wiped when the channel's link ends.
   */
  sealChannel(channelId: number, field: string, value: string): Buffer {
    return seal(this.#channelKey, Buffer.from(value, 'utf8'), `channel:${channelId}:${field}`);
  }

  /** Opens a value sealed with sealChannel; throws SealError if it cannot. */
  openChannel(channelId: number, field: string, sealed: Buffer): string {
    return open(this.#channelKey, sealed, `channel:${channelId}:${field}`).toString('utf8');
  }

  /** Drops a member's cached key (on deletion). */
  forget(memberId: number): void {
    this.#cache.get(memberId)?.fill(0);
    this.#cache.delete(memberId);
  }

  /** A MAC for button tokens, bound to the member who may press the button. */
  tokenMac(memberId: number, payload: string): string {
    return createHmac('sha256', this.#tokenKey)
      .update(`${memberId}|${payload}`)
      .digest()
      .subarray(0, 12)
      .toString('base64url');
  }

  #key(memberId: number, wrappedKey: Buffer): Buffer {
    let key = this.#cache.get(memberId);
    if (!key) {
      key = open(this.#master, wrappedKey, 'member-key');
      if (this.#cache.size > 1000) this.#cache.clear();
      this.#cache.set(memberId, key);
    }
    return key;
  }
}

/** SHA-256 of a one-time code, hex; the only form in which codes are stored. */
export function hashCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** A one-time code: 16 random bytes (128 bits), base64url, 22 characters of [A-Za-z0-9_-]. */
export function newCode(): string {
  return randomBytes(16).toString('base64url');
}
