import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalZone,
  cronPattern,
  formatWhen,
  isValidZone,
  localDate,
  localParts,
  nextOccurrence,
  occurrences,
  parsePause,
  type Schedule,
  zonedInstant,
} from '../../src/checkin/schedule.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const at = (s: string) => Date.parse(s);

/** Every instant the schedule fires on one local day, as ISO strings. */
function firingsOn(zone: string, date: string, localTime: string): string[] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const start = zonedInstant(zone, y, m, d, 0, 0);
  return occurrences({ weekdays: [1, 2, 3, 4, 5, 6, 7], localTime, timeZone: zone }, start, start + DAY).map(
    (t) => iso(t)!,
  );
}

// Transition days verified against this Node's ICU data in a scratch script (offsets read every 15 min).
describe('DST transition days', () => {
  const cases: { zone: string; date: string; time: string; expected: string; why: string }[] = [
    // America/Chicago 2026: 8 March 02:00 CST → 03:00 CDT; 1 November 02:00 CDT → 01:00 CST.
    {
      zone: 'America/Chicago',
      date: '2026-03-08',
      time: '02:30',
      expected: '2026-03-08T08:00:00.000Z',
      why: 'gap',
    },
    {
      zone: 'America/Chicago',
      date: '2026-03-08',
      time: '19:00',
      expected: '2026-03-09T00:00:00.000Z',
      why: 'CDT',
    },
    {
      zone: 'America/Chicago',
      date: '2026-11-01',
      time: '01:30',
      expected: '2026-11-01T06:30:00.000Z',
      why: 'overlap',
    },
    {
      zone: 'America/Chicago',
      date: '2026-11-01',
      time: '19:00',
      expected: '2026-11-02T01:00:00.000Z',
      why: 'CST',
    },
    // Europe/London 2026: 29 March 01:00 GMT → 02:00 BST; 25 October 02:00 BST → 01:00 GMT.
    {
      zone: 'Europe/London',
      date: '2026-03-29',
      time: '01:30',
      expected: '2026-03-29T01:00:00.000Z',
      why: 'gap',
    },
    {
      zone: 'Europe/London',
      date: '2026-03-29',
      time: '19:00',
      expected: '2026-03-29T18:00:00.000Z',
      why: 'BST',
    },
    {
      zone: 'Europe/London',
      date: '2026-10-25',
      time: '01:30',
      expected: '2026-10-25T00:30:00.000Z',
      why: 'overlap',
    },
    {
      zone: 'Europe/London',
      date: '2026-10-25',
      time: '19:00',
      expected: '2026-10-25T19:00:00.000Z',
      why: 'GMT',
    },
    // Australia/Sydney 2026: 5 April 03:00 AEDT → 02:00 AEST; 4 October 02:00 AEST → 03:00 AEDT.
    {
      zone: 'Australia/Sydney',
      date: '2026-04-05',
      time: '02:30',
      expected: '2026-04-04T15:30:00.000Z',
      why: 'overlap',
    },
    {
      zone: 'Australia/Sydney',
      date: '2026-04-05',
      time: '19:00',
      expected: '2026-04-05T09:00:00.000Z',
      why: 'AEST',
    },
    {
      zone: 'Australia/Sydney',
      date: '2026-10-04',
      time: '02:30',
      expected: '2026-10-03T16:00:00.000Z',
      why: 'gap',
    },
    {
      zone: 'Australia/Sydney',
      date: '2026-10-04',
      time: '19:00',
      expected: '2026-10-04T08:00:00.000Z',
      why: 'AEDT',
    },
    // Australia/Lord_Howe shifts by 30 minutes: 5 April 02:00 → 01:30; 4 October 02:00 → 02:30.
    {
      zone: 'Australia/Lord_Howe',
      date: '2026-04-05',
      time: '01:45',
      expected: '2026-04-04T14:45:00.000Z',
      why: 'overlap',
    },
    {
      zone: 'Australia/Lord_Howe',
      date: '2026-10-04',
      time: '02:10',
      expected: '2026-10-03T15:30:00.000Z',
      why: 'gap',
    },
    // Pacific/Chatham (+12:45/+13:45): 5 April 03:45 → 02:45; 27 September 02:45 → 03:45.
    {
      zone: 'Pacific/Chatham',
      date: '2026-04-05',
      time: '03:00',
      expected: '2026-04-04T13:15:00.000Z',
      why: 'overlap',
    },
    {
      zone: 'Pacific/Chatham',
      date: '2026-09-27',
      time: '03:00',
      expected: '2026-09-26T14:00:00.000Z',
      why: 'gap',
    },
    {
      zone: 'Asia/Kathmandu',
      date: '2026-01-01',
      time: '00:00',
      expected: '2025-12-31T18:15:00.000Z',
      why: '+05:45',
    },
  ];

  for (const { zone, date, time, expected, why } of cases) {
    it(`${zone} ${date} ${time} (${why}) fires once at ${expected}`, () => {
      expect(firingsOn(zone, date, time)).toEqual([expected]);
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const [h, min] = time.split(':').map(Number) as [number, number];
      expect(iso(zonedInstant(zone, y, m, d, h, min))).toBe(expected);
    });
  }

  it('a gap firing reads as the first minute after the gap', () => {
    expect(localParts(at('2026-03-08T08:00:00.000Z'), 'America/Chicago')).toMatchObject({
      hour: 3,
      minute: 0,
    });
    expect(localParts(at('2026-03-29T01:00:00.000Z'), 'Europe/London')).toMatchObject({ hour: 2, minute: 0 });
    expect(localParts(at('2026-10-03T16:00:00.000Z'), 'Australia/Sydney')).toMatchObject({
      hour: 3,
      minute: 0,
    });
  });

  it('a weekly schedule keeps its wall time across both Chicago transitions', () => {
    const sunday = (localTime: string): Schedule => ({
      weekdays: [7],
      localTime,
      timeZone: 'America/Chicago',
    });
    const spring = [at('2026-03-01T00:00:00Z'), at('2026-03-16T00:00:00Z')] as const;
    // 19:00 CST is 01:00Z the next day, 19:00 CDT is 00:00Z; the range ends just before the third Sunday.
    expect(occurrences(sunday('19:00'), ...spring).map(iso)).toEqual([
      '2026-03-02T01:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
    ]);
    expect(occurrences(sunday('02:30'), ...spring).map(iso)).toEqual([
      '2026-03-01T08:30:00.000Z',
      '2026-03-08T08:00:00.000Z',
      '2026-03-15T07:30:00.000Z',
    ]);
    const autumn = [at('2026-10-25T00:00:00Z'), at('2026-11-09T00:00:00Z')] as const;
    const fallBack = occurrences(sunday('01:30'), ...autumn);
    expect(fallBack.map(iso)).toEqual([
      '2026-10-25T06:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-08T07:30:00.000Z',
    ]);
    for (const t of fallBack) expect(localParts(t, 'America/Chicago')).toMatchObject({ hour: 1, minute: 30 });
  });

  it('a weekly schedule keeps its wall time across London and Sydney transitions', () => {
    const london = occurrences(
      { weekdays: [7], localTime: '09:00', timeZone: 'Europe/London' },
      at('2026-03-20T00:00:00Z'),
      at('2026-04-06T00:00:00Z'),
    );
    expect(london.map(iso)).toEqual([
      '2026-03-22T09:00:00.000Z',
      '2026-03-29T08:00:00.000Z',
      '2026-04-05T08:00:00.000Z',
    ]);
    const sydney = occurrences(
      { weekdays: [7], localTime: '09:00', timeZone: 'Australia/Sydney' },
      at('2026-09-25T00:00:00Z'),
      at('2026-10-12T00:00:00Z'),
    );
    expect(sydney.map(iso)).toEqual([
      '2026-09-26T23:00:00.000Z',
      '2026-10-03T22:00:00.000Z',
      '2026-10-10T22:00:00.000Z',
    ]);
  });
});

describe('occurrences and nextOccurrence', () => {
  const berlin: Schedule = { weekdays: [5, 1, 3], localTime: '07:05', timeZone: 'Europe/Berlin' };
  const march = [
    zonedInstant('Europe/Berlin', 2026, 3, 1, 0, 0),
    zonedInstant('Europe/Berlin', 2026, 4, 1, 0, 0),
  ] as const;

  it('returns every Monday, Wednesday and Friday of March, ascending and unique', () => {
    const found = occurrences(berlin, ...march);
    // March 2026: Mondays 2, 9, 16, 23, 30; Wednesdays 4, 11, 18, 25; Fridays 6, 13, 20, 27.
    expect(found).toHaveLength(13);
    expect(iso(found[0]!)).toBe('2026-03-02T06:05:00.000Z');
    expect(iso(found.at(-1)!)).toBe('2026-03-30T05:05:00.000Z');
    expect(new Set(found).size).toBe(found.length);
    for (let i = 1; i < found.length; i++) expect(found[i]!).toBeGreaterThan(found[i - 1]!);
    expect(found.map((t) => localParts(t, 'Europe/Berlin').day)).toEqual([
      2, 4, 6, 9, 11, 13, 16, 18, 20, 23, 25, 27, 30,
    ]);
  });

  it('treats the range as half-open', () => {
    const first = at('2026-03-02T06:05:00.000Z');
    expect(occurrences(berlin, first, first + 1).map(iso)).toEqual(['2026-03-02T06:05:00.000Z']);
    expect(occurrences(berlin, first - 1, first)).toEqual([]);
    expect(occurrences(berlin, first, first)).toEqual([]);
  });

  it('nextOccurrence is strictly after', () => {
    const first = at('2026-03-02T06:05:00.000Z');
    expect(iso(nextOccurrence(berlin, first - 1))).toBe('2026-03-02T06:05:00.000Z');
    expect(iso(nextOccurrence(berlin, first))).toBe('2026-03-04T06:05:00.000Z');
    expect(iso(nextOccurrence({ ...berlin, weekdays: [7] }, first))).toBe('2026-03-08T06:05:00.000Z');
  });

  it('a schedule without weekdays never fires', () => {
    const none: Schedule = { ...berlin, weekdays: [] };
    expect(occurrences(none, ...march)).toEqual([]);
    expect(nextOccurrence(none, march[0])).toBeNull();
  });

  it('rejects invalid schedules with a RangeError', () => {
    const bad: Schedule[] = [
      { ...berlin, timeZone: 'Mars/Base' },
      { ...berlin, timeZone: '+02:00' },
      { ...berlin, weekdays: [0] },
      { ...berlin, weekdays: [8] },
      { ...berlin, weekdays: [1.5] },
      { ...berlin, localTime: '24:00' },
      { ...berlin, localTime: '7:05' },
      { ...berlin, localTime: '07:60' },
    ];
    for (const schedule of bad) {
      expect(() => occurrences(schedule, ...march)).toThrow(RangeError);
      expect(() => nextOccurrence(schedule, march[0])).toThrow(RangeError);
      expect(() => cronPattern(schedule)).toThrow(RangeError);
    }
  });

  it('handles a year of daily firings', () => {
    const daily: Schedule = {
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      localTime: '02:30',
      timeZone: 'America/Chicago',
    };
    expect(occurrences(daily, at('2026-01-01T06:00:00Z'), at('2027-01-01T06:00:00Z'))).toHaveLength(365);
  });
});

describe('occurrence properties', () => {
  const zones = [
    'America/Chicago',
    'Europe/London',
    'Australia/Sydney',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'America/St_Johns',
    'UTC',
    'Pacific/Chatham',
  ];
  // The 2026 transitions of those zones, so that generated ranges often straddle one.
  const transitions: Record<string, number[]> = {
    'America/Chicago': ['2026-03-08T08:00:00Z', '2026-11-01T07:00:00Z'].map(at),
    'Europe/London': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'].map(at),
    'Australia/Sydney': ['2026-04-04T16:00:00Z', '2026-10-03T16:00:00Z'].map(at),
    'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'].map(at),
    'America/St_Johns': ['2026-03-08T05:30:00Z', '2026-11-01T04:30:00Z'].map(at),
    'Pacific/Chatham': ['2026-04-04T14:00:00Z', '2026-09-26T14:00:00Z'].map(at),
  };

  const scenario = fc
    .record({
      timeZone: fc.constantFrom(...zones),
      weekdays: fc.oneof(
        fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
        // Every transition above falls on a Sunday.
        fc.subarray([1, 2, 3, 4, 5, 6]).map((days) => [...days, 7]),
      ),
      // Early hours are where the transitions are.
      hour: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 4 })),
      minute: fc.integer({ min: 0, max: 59 }),
      nearTransition: fc.boolean(),
      anyStart: fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2035-01-01T00:00:00Z') }),
      which: fc.nat(),
      shift: fc.integer({ min: -8 * DAY, max: DAY }),
      length: fc.integer({ min: 0, max: 40 * DAY }),
    })
    .map((r) => {
      const near = transitions[r.timeZone] ?? [];
      const start = r.nearTransition && near.length > 0 ? near[r.which % near.length]! + r.shift : r.anyStart;
      const localTime = `${String(r.hour).padStart(2, '0')}:${String(r.minute).padStart(2, '0')}`;
      const schedule: Schedule = { weekdays: r.weekdays, localTime, timeZone: r.timeZone };
      return { schedule, start, end: start + r.length };
    });

  const wall = (p: { hour: number; minute: number }) => p.hour * 60 + p.minute;
  const same = (a: ReturnType<typeof localParts>, b: ReturnType<typeof localParts>) =>
    a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;

  it('fires on a scheduled weekday at the scheduled wall time, or at the end of a gap', () => {
    fc.assert(
      fc.property(scenario, ({ schedule: s, start, end }) => {
        const scheduled = Number(s.localTime.slice(0, 2)) * 60 + Number(s.localTime.slice(3));
        for (const t of occurrences(s, start, end)) {
          expect(t % MINUTE).toBe(0);
          const p = localParts(t, s.timeZone);
          expect(s.weekdays).toContain(p.weekday);
          if (wall(p) === scheduled) {
            // In an overlap the reading repeats 30 or 60 minutes later; the firing must be the first one.
            for (const back of [30, 60, 120])
              expect(same(localParts(t - back * MINUTE, s.timeZone), p)).toBe(false);
          } else {
            // Only a gap may move a firing, and only to the first minute after it.
            const before = localParts(t - MINUTE, s.timeZone);
            expect(before.day).toBe(p.day);
            expect(wall(before)).toBeLessThan(scheduled);
            expect(wall(p)).toBeGreaterThan(scheduled);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never repeats an instant or a local day, and agrees with nextOccurrence', () => {
    fc.assert(
      fc.property(scenario, ({ schedule: s, start, end }) => {
        const found = occurrences(s, start, end);
        for (let i = 1; i < found.length; i++) expect(found[i]!).toBeGreaterThan(found[i - 1]!);
        const days = found.map((t) => localDate(t, s.timeZone));
        expect(new Set(days).size).toBe(days.length);
        for (const t of found) expect(nextOccurrence(s, t - 1)).toBe(t);
        const next = nextOccurrence(s, start);
        expect(next).not.toBeNull();
        expect(next!).toBeGreaterThan(start);
        expect(next!).toBeLessThanOrEqual(start + 8 * DAY);
        expect(occurrences(s, start + 1, next!)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('zones', () => {
  it('accepts IANA names', () => {
    for (const zone of [
      'Europe/Berlin',
      'UTC',
      'America/Argentina/Buenos_Aires',
      'Asia/Kathmandu',
      'Etc/GMT+5',
    ]) {
      expect(isValidZone(zone)).toBe(true);
    }
  });

  it('rejects anything else', () => {
    for (const zone of ['Mars/Base', '', '+02:00', '-05:00', 'Berlin', 'Europe/Berlin ', '../etc/passwd']) {
      expect(isValidZone(zone)).toBe(false);
    }
  });

  it('canonicalises what people type', () => {
    expect(canonicalZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalZone('utc')).toBe('UTC');
    expect(canonicalZone('  america/new york ')).toBe('America/New_York');
    expect(canonicalZone('ASIA/KATHMANDU')).toBe('Asia/Kathmandu');
    expect(canonicalZone('asia/kolkata')).toBe('Asia/Kolkata');
    expect(canonicalZone('australia/lord_howe')).toBe('Australia/Lord_Howe');
  });

  it('returns null for unknown zones', () => {
    for (const input of ['Mars/Base', '', '   ', '+02:00', 'Berlin']) expect(canonicalZone(input)).toBeNull();
  });

  it('localDate follows the zone across midnight', () => {
    const t = at('2026-05-15T22:30:00Z');
    expect(localDate(t, 'Europe/London')).toBe('2026-05-15');
    expect(localDate(t, 'Europe/Berlin')).toBe('2026-05-16');
    expect(localDate(t, 'Pacific/Chatham')).toBe('2026-05-16');
    expect(localParts(t, 'Europe/Berlin')).toEqual({
      year: 2026,
      month: 5,
      day: 16,
      hour: 0,
      minute: 30,
      weekday: 6,
    });
  });
});

describe('parsePause', () => {
  const zone = 'Europe/Berlin';
  // Friday 15 May 2026, 10:00 in Berlin (CEST).
  const now = at('2026-05-15T08:00:00Z');
  const until = (input: string, when = now, z = zone) => {
    const result = parsePause(input, when, z);
    return result.kind === 'until' ? iso(result.until) : result.kind;
  };

  it('an empty argument pauses indefinitely', () => {
    expect(parsePause('', now, zone)).toEqual({ kind: 'indefinite' });
    expect(parsePause('   ', now, zone)).toEqual({ kind: 'indefinite' });
  });

  it('a weekday on that weekday means next week', () => {
    for (const input of ['until friday', 'friday', 'fri', '  Until   FRIDAY ']) {
      expect(until(input)).toBe('2026-05-21T22:00:00.000Z');
    }
    expect(until('monday')).toBe('2026-05-17T22:00:00.000Z');
    expect(until('until sat')).toBe('2026-05-15T22:00:00.000Z');
    expect(until('tomorrow')).toBe('2026-05-15T22:00:00.000Z');
  });

  it('a date means the start of that local day', () => {
    expect(until('2026-12-01')).toBe('2026-11-30T23:00:00.000Z');
    expect(until('until 2026-12-01')).toBe('2026-11-30T23:00:00.000Z');
    expect(until('2027-05-16')).toBe('2027-05-15T22:00:00.000Z');
  });

  it('a span counts local days', () => {
    expect(until('3 days')).toBe('2026-05-17T22:00:00.000Z');
    expect(until('1 week')).toBe('2026-05-21T22:00:00.000Z');
    expect(until('2 weeks')).toBe('2026-05-28T22:00:00.000Z');
    expect(until('1 day')).toBe('2026-05-15T22:00:00.000Z');
    // Across Chicago's spring-forward: Friday noon CST + 3 days → Monday 00:00 CDT.
    expect(until('3 days', at('2026-03-06T18:00:00Z'), 'America/Chicago')).toBe('2026-03-09T05:00:00.000Z');
  });

  it('rejects garbage, the past and more than 366 days ahead', () => {
    for (const input of [
      'soon',
      'until',
      'frid',
      '2026-02-30',
      '2026-05-15',
      '2026-05-01',
      '2027-05-17',
      '0 days',
      '367 days',
      '-3 days',
      'until 3 days',
      '3 fortnights',
    ]) {
      expect(until(input)).toBe('invalid');
    }
  });
});

describe('formatWhen', () => {
  const now = at('2026-05-15T08:00:00Z');

  it('shows the same instant in each reader’s wall time', () => {
    const t = at('2026-05-17T17:00:00Z');
    expect(formatWhen(t, 'Europe/London', now)).toBe('Sunday 18:00');
    expect(formatWhen(t, 'Asia/Tokyo', now)).toBe('Monday 02:00');
  });

  it('names the date once the weekday alone would be ambiguous', () => {
    expect(formatWhen(at('2026-05-21T19:00:00Z'), 'UTC', now)).toBe('Thursday 19:00');
    expect(formatWhen(at('2026-05-22T07:05:00Z'), 'UTC', now)).toBe('Friday 22 May, 07:05');
    expect(formatWhen(at('2026-12-07T19:00:00Z'), 'UTC', now)).toBe('Monday 7 December, 19:00');
  });

  it('uses the reader’s locale', () => {
    expect(formatWhen(at('2026-05-17T17:00:00Z'), 'America/Chicago', now, 'en-US')).toMatch(
      /^Sunday 12:00\sPM$/,
    );
  });
});

describe('cronPattern', () => {
  it('maps ISO weekdays to cron weekdays', () => {
    expect(cronPattern({ weekdays: [7], localTime: '19:00', timeZone: 'Europe/Berlin' })).toBe('0 19 * * 0');
    expect(cronPattern({ weekdays: [1, 3, 5], localTime: '07:05', timeZone: 'Europe/Berlin' })).toBe(
      '5 7 * * 1,3,5',
    );
    expect(cronPattern({ weekdays: [7, 1, 1], localTime: '00:00', timeZone: 'UTC' })).toBe('0 0 * * 0,1');
  });

  it('has no pattern for a schedule that never fires', () => {
    expect(() => cronPattern({ weekdays: [], localTime: '19:00', timeZone: 'UTC' })).toThrow(RangeError);
  });
});
