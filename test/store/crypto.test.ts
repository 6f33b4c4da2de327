import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Tokens } from '../../src/engine/tokens.ts';
import { hashCode, Keyring, newCode, SealError } from '../../src/store/crypto.ts';

const member = (keyring: Keyring, id: number) => ({ id, wrappedKey: keyring.newWrappedKey() });

describe('sealing', () => {
  const keyring = new Keyring(randomBytes(32));
  const a = member(keyring, 1);
  const b = member(keyring, 2);

  it('opens what it sealed, and the sealed bytes do not contain the text', () => {
    const sealed = keyring.seal(a.id, a.wrappedKey, 'answer:1:hear', 'I am still here ✨');
    expect(sealed.includes(Buffer.from('still here'))).toBe(false);
    expect(keyring.open(a.id, a.wrappedKey, 'answer:1:hear', sealed)).toBe('I am still here ✨');
  });

  it('refuses a value moved to another field or another member', () => {
    const sealed = keyring.seal(a.id, a.wrappedKey, 'answer:1:hear', 'x');
    expect(() => keyring.open(a.id, a.wrappedKey, 'answer:1:safety', sealed)).toThrow(SealError);
    expect(() => keyring.open(b.id, b.wrappedKey, 'answer:1:hear', sealed)).toThrow(SealError);
  });

  it('refuses tampered bytes', () => {
    const sealed = keyring.seal(a.id, a.wrappedKey, 'f', 'hello');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => keyring.open(a.id, a.wrappedKey, 'f', sealed)).toThrow(SealError);
  });

  it('cannot open anything under a different master key', () => {
    const sealed = keyring.seal(a.id, a.wrappedKey, 'f', 'hello');
    const other = new Keyring(randomBytes(32));
    expect(() => other.open(a.id, a.wrappedKey, 'f', sealed)).toThrow(SealError);
  });

  it('rejects a master key that is not 32 bytes', () => {
    expect(() => new Keyring(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('one-time codes', () => {
  it('are 128 bits from the CSPRNG, fit a Telegram deep link, and are stored only as a hash', () => {
    const codes = new Set(Array.from({ length: 1000 }, newCode));
    expect(codes.size).toBe(1000);
    for (const c of codes) {
      expect(c).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(c, 'base64url').length).toBe(16);
    }
    const c = [...codes][0]!;
    expect(hashCode(c)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashCode(c)).not.toContain(c);
  });
});

describe('button tokens', () => {
  const keyring = new Keyring(randomBytes(32));
  const tokens = new Tokens(keyring);

  it('verify for their owner only', () => {
    const t = tokens.mint(7, 'ans', 12, 'consistency', 7);
    expect(tokens.verify(7, t)).toEqual({ action: 'ans', args: ['12', 'consistency', '7'] });
    expect(tokens.verify(8, t)).toBeNull();
  });

  it('reject edits to the payload, garbage, and oversize input', () => {
    const t = tokens.mint(7, 'ans', 12, 'consistency', 7);
    expect(tokens.verify(7, t.replace('.7~', '.9~'))).toBeNull();
    expect(tokens.verify(7, '')).toBeNull();
    expect(tokens.verify(7, '~')).toBeNull();
    expect(tokens.verify(7, 'x'.repeat(65))).toBeNull();
  });

  it('fit in 64 bytes even for the longest question id and a ten-digit round id', () => {
    const t = tokens.mint(2_000_000_000, 'share2', 9_999_999_999, 'sobriety-or-struggles');
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(64);
    const scale = tokens.mint(2_000_000_000, 'ans', 9_999_999_999, 'sobriety-or-struggles', 10);
    expect(Buffer.byteLength(scale)).toBeLessThanOrEqual(64);
  });
});
