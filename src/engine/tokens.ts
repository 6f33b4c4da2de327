import { timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../store/crypto.ts';

// A button token is "<action>.<arg>.<arg>…~<mac>". The MAC covers the payload and the id of
// the one member who may press it, so a forwarded, foreign or forged button fails to verify
// without any lookup. Telegram allows 64 bytes of callback_data, so payloads stay short.

export const MAX_TOKEN_BYTES = 64;
const SAFE = /^[A-Za-z0-9_:-]+$/;

/** Mints and checks button tokens for one keyring. */
export class Tokens {
  constructor(private readonly keyring: Keyring) {}

  /** A token only `memberId` can use. */
  mint(memberId: number, action: string, ...args: (string | number)[]): string {
    const parts = [action, ...args.map(String)];
    for (const p of parts) if (!SAFE.test(p)) throw new Error(`unsafe token part: ${p.length} chars`);
    const payload = parts.join('.');
    const token = `${payload}~${this.keyring.tokenMac(memberId, payload)}`;
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) throw new Error(`token too long: ${token.length}`);
    return token;
  }

  /** The action and arguments of a token `memberId` may use, or null (forged, foreign, garbled). */
  verify(memberId: number, token: string): { action: string; args: string[] } | null {
    if (typeof token !== 'string' || Buffer.byteLength(token) > MAX_TOKEN_BYTES) return null;
    const cut = token.lastIndexOf('~');
    if (cut <= 0) return null;
    const payload = token.slice(0, cut);
    const mac = Buffer.from(token.slice(cut + 1));
    const expected = Buffer.from(this.keyring.tokenMac(memberId, payload));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    const [action, ...args] = payload.split('.');
    return { action: action!, args };
  }
}
