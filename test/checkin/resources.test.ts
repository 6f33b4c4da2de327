import { describe, expect, it } from 'vitest';
import {
  BUILTIN_RESOURCES,
  type CountryResources,
  countryOfZone,
  type ResourceTable,
  resourcesFor,
  resourceTableSchema,
} from '../../src/checkin/resources.ts';

// What a person would actually read: every number and phrase of their country's resources.
function allText(resources: CountryResources): string {
  return [resources.emergency, ...resources.talk, ...resources.abuse].join(' | ');
}

describe('resourcesFor with the built-in table', () => {
  it('gives someone in Chicago 911, 988, the Crisis Text Line and the domestic violence hotline', () => {
    const us = resourcesFor(BUILTIN_RESOURCES, 'America/Chicago');
    expect(us.emergency).toBe('911');
    const text = allText(us);
    for (const number of ['988', 'HOME to 741741', '1-800-799-7233', 'START to 88788']) {
      expect(text).toContain(number);
    }
  });

  it('gives someone in Toronto 911 and the 988 Suicide Crisis Helpline', () => {
    const ca = resourcesFor(BUILTIN_RESOURCES, 'America/Toronto');
    expect(ca.emergency).toBe('911');
    expect(allText(ca)).toContain('988');
  });

  it('gives someone in London 999, Samaritans and the National Domestic Abuse Helpline', () => {
    const gb = resourcesFor(BUILTIN_RESOURCES, 'Europe/London');
    expect(gb.emergency).toBe('999');
    expect(allText(gb)).toContain('116 123');
    expect(allText(gb)).toContain('0808 2000 247');
  });

  it('gives someone in Sydney 000, Lifeline and 1800RESPECT', () => {
    const au = resourcesFor(BUILTIN_RESOURCES, 'Australia/Sydney');
    expect(au.emergency).toBe('000');
    expect(allText(au)).toContain('13 11 14');
    expect(allText(au)).toContain('1800 737 732');
  });

  it.each([['Europe/Berlin'], [null], [undefined], [''], ['Not/AZone'], ['UTC']])(
    'falls back to "your local emergency number" for %s',
    (zone) => {
      const fallback = resourcesFor(BUILTIN_RESOURCES, zone);
      expect(fallback.emergency).toContain('local emergency number');
      expect(fallback).toEqual(BUILTIN_RESOURCES.fallback);
    },
  );

  it('reads naturally after "You can talk to someone any time: " and names the service', () => {
    for (const resources of Object.values(BUILTIN_RESOURCES.countries)) {
      for (const line of [...resources.talk, ...resources.abuse]) {
        expect(line).toMatch(/^(call|text)\b/);
        expect(line).toMatch(/\d/);
        expect(line).toMatch(/[A-Z]/);
      }
    }
  });

  it('cannot be changed by a careless caller', () => {
    const us = resourcesFor(BUILTIN_RESOURCES, 'America/Chicago');
    expect(() => us.talk.push('call 555')).toThrow();
    expect(resourcesFor(BUILTIN_RESOURCES, 'America/Chicago').talk).not.toContain('call 555');
  });
});

describe('countryOfZone', () => {
  it.each([
    ['America/New_York', 'US'],
    ['America/Indiana/Tell_City', 'US'],
    ['America/Kentucky/Monticello', 'US'],
    ['America/North_Dakota/Beulah', 'US'],
    ['America/Adak', 'US'],
    ['Pacific/Honolulu', 'US'],
    ['US/Arizona', 'US'],
    ['America/St_Johns', 'CA'],
    ['America/Blanc-Sablon', 'CA'],
    ['America/Thunder_Bay', 'CA'],
    ['Canada/Saskatchewan', 'CA'],
    ['Europe/Belfast', 'GB'],
    ['GB', 'GB'],
    ['Australia/Lord_Howe', 'AU'],
    ['Australia/ACT', 'AU'],
    ['Australia/Tasmania', 'AU'],
    ['europe/london', 'GB'],
    [' America/Chicago ', 'US'],
  ])('knows %s is in %s', (zone, country) => {
    expect(countryOfZone(zone)).toBe(country);
  });

  it('knows every Australian zone this Node version ships', () => {
    const australian = Intl.supportedValuesOf('timeZone').filter((zone) => zone.startsWith('Australia/'));
    expect(australian.length).toBeGreaterThan(0);
    for (const zone of australian) expect(countryOfZone(zone)).toBe('AU');
  });

  it.each([
    ['America/Mexico_City'],
    ['Europe/Dublin'],
    ['Europe/Berlin'],
    ['Etc/UTC'],
    ['Not/AZone'],
    ['toString'],
    ['__proto__'],
  ])('returns null for %s, so callers fall back', (zone) => {
    expect(countryOfZone(zone)).toBeNull();
  });
});

describe('resourceTableSchema (operator override files)', () => {
  it('accepts the built-in table', () => {
    expect(resourceTableSchema.safeParse(BUILTIN_RESOURCES).success).toBe(true);
  });

  it('rejects a lower-case country key', () => {
    const file = { countries: { us: BUILTIN_RESOURCES.countries.US }, fallback: BUILTIN_RESOURCES.fallback };
    expect(resourceTableSchema.safeParse(file).success).toBe(false);
  });

  it('rejects an empty emergency number', () => {
    const file = {
      countries: { NZ: { emergency: '', talk: [], abuse: [] } },
      fallback: BUILTIN_RESOURCES.fallback,
    };
    expect(resourceTableSchema.safeParse(file).success).toBe(false);
  });

  it('rejects a blank phrase and a misspelled field', () => {
    const blank = { countries: {}, fallback: { emergency: '112', talk: ['  '], abuse: [] } };
    const typo = { countries: {}, fallback: { emergency: '112', talk: [], abuses: [] } };
    expect(resourceTableSchema.safeParse(blank).success).toBe(false);
    expect(resourceTableSchema.safeParse(typo).success).toBe(false);
  });

  it('lets an override replace a country', () => {
    const parsed = resourceTableSchema.parse({
      countries: {
        ...BUILTIN_RESOURCES.countries,
        GB: { emergency: '999', talk: ['text SHOUT to 85258 (Shout)'], abuse: [] },
      },
      fallback: BUILTIN_RESOURCES.fallback,
    });
    const table: ResourceTable = parsed;
    const gb = resourcesFor(table, 'Europe/London');
    expect(gb.talk).toEqual(['text SHOUT to 85258 (Shout)']);
    expect(allText(gb)).not.toContain('116 123');
    expect(resourcesFor(table, 'America/Chicago')).toEqual(BUILTIN_RESOURCES.countries.US);
  });

  it('uses an override fallback for a country the table leaves out', () => {
    const table = resourceTableSchema.parse({
      countries: {},
      fallback: { emergency: '112', talk: [], abuse: [] },
    });
    expect(resourcesFor(table, 'America/Chicago').emergency).toBe('112');
  });
});
