/**
 * Time-zone arithmetic for check-in rhythms, built on Intl only. Pure: every instant is passed in.
 */

/** A couple's rhythm: ISO weekdays 1 (Mon)..7 (Sun), a local "HH:MM", an IANA zone. */
export interface Schedule {
  weekdays: number[];
  localTime: string;
  timeZone: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
// Intl on Node 22+ also accepts UTC offsets ("+02:00") as zones; a couple's zone must be a name.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
// Users may pass arbitrary strings; a cap keeps the caches from growing without bound.
const CACHE_LIMIT = 1000;

// Formatting through formatToParts is the hot path; constructing a DateTimeFormat costs far more.
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function cacheSet<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

function tryFormatter(zone: string): Intl.DateTimeFormat | null {
  const cached = partsFormatters.get(zone);
  if (cached) return cached;
  if (!ZONE_NAME.test(zone)) return null;
  try {
    const formatter = new Intl.DateTimeFormat('en-US-u-nu-latn', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    return cacheSet(partsFormatters, zone, formatter);
  } catch {
    return null;
  }
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  const formatter = tryFormatter(zone);
  if (!formatter) throw new RangeError(`Unknown time zone: ${JSON.stringify(zone)}`);
  return formatter;
}

/** True when `zone` is a valid IANA zone name that Intl accepts (e.g. "Europe/Berlin"; "UTC" ok). */
export function isValidZone(zone: string): boolean {
  return typeof zone === 'string' && tryFormatter(zone) !== null;
}

// ICU's canonical ids on Node 20 are CLDR's, which keep names IANA has since renamed; people expect
// the current spelling, and tzdata keeps the old one as a link, so both name the same zone.
const RENAMED: Record<string, string> = {
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
};

let spellings: Map<string, string> | undefined;

function knownSpellings(): Map<string, string> {
  if (!spellings) {
    spellings = new Map();
    for (const name of [...Intl.supportedValuesOf('timeZone'), ...Object.values(RENAMED), 'UTC']) {
      spellings.set(name.toLowerCase(), name);
    }
  }
  return spellings;
}

function modernName(name: string): string {
  const modern = RENAMED[name];
  return modern !== undefined && isValidZone(modern) ? modern : name;
}

/** The canonical spelling of a zone typed by a person ("europe/berlin" → "Europe/Berlin"), or null. */
export function canonicalZone(input: string): string | null {
  if (typeof input !== 'string') return null;
  // People type "America/New York" as often as "America/New_York".
  const typed = input.trim().replace(/\s+/g, '_');
  const formatter = tryFormatter(typed);
  if (!formatter) return null;
  const known = knownSpellings().get(typed.toLowerCase());
  // Aliases outside the list ("US/Eastern", "Etc/UTC") fall back to the zone Intl resolves them to.
  return modernName(known ?? formatter.resolvedOptions().timeZone);
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallParts(instant: number, zone: string): Wall {
  const wall: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type in wall) wall[part.type as keyof Wall] = Number(part.value);
  }
  return wall;
}

/** Wall-clock reading of an instant, encoded as if that reading were UTC. */
function wallMs(instant: number, zone: string): number {
  const w = wallParts(instant, zone);
  // Date.UTC maps years 0..99 onto 1900..1999; setUTCFullYear does not.
  const d = new Date(Date.UTC(2000, w.month - 1, w.day, w.hour, w.minute, w.second));
  d.setUTCFullYear(w.year);
  return d.getTime() + (instant - Math.floor(instant / 1000) * 1000);
}

function offsetAt(instant: number, zone: string): number {
  return wallMs(instant, zone) - instant;
}

function isoWeekday(epochDay: number): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return ((((epochDay + 3) % 7) + 7) % 7) + 1;
}

function civilDay(year: number, month: number, day: number): number {
  const d = new Date(Date.UTC(2000, month - 1, day));
  d.setUTCFullYear(year);
  return Math.floor(d.getTime() / DAY);
}

function fromCivilDay(epochDay: number): { year: number; month: number; day: number } {
  const d = new Date(epochDay * DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Local calendar parts of an instant in a zone. weekday is ISO 1..7. */
export function localParts(
  instant: number,
  zone: string,
): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const { year, month, day, hour, minute } = wallParts(instant, zone);
  return { year, month, day, hour, minute, weekday: isoWeekday(civilDay(year, month, day)) };
}

/** The instant of a local wall-clock time in a zone, with the gap/overlap rules of `occurrences`. */
export function zonedInstant(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
): number {
  formatterFor(zone);
  const ints = [year, month, day, hour, minute].every(Number.isInteger);
  if (!ints || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    throw new RangeError('Invalid local date or time');
  }
  if (fromCivilDay(civilDay(year, month, day)).day !== day) throw new RangeError('Invalid local date');
  const local = civilDay(year, month, day) * DAY + hour * 3_600_000 + minute * MINUTE;

  // Real offsets lie within ±14 h, so probes a day either side straddle any transition affecting `local`.
  const before = offsetAt(local - DAY, zone);
  const after = offsetAt(local + DAY, zone);
  if (before === after) {
    const guess = local - before;
    if (wallMs(guess, zone) === local) return guess;
  }
  const offsets = [
    ...new Set([before, after, offsetAt(local - before, zone), offsetAt(local - after, zone)]),
  ];
  const matches = offsets.map((o) => local - o).filter((t) => wallMs(t, zone) === local);
  // In a fall-back overlap both readings match; the earlier is the daylight-time one.
  if (matches.length > 0) return Math.min(...matches);

  // A spring-forward gap: find the transition, i.e. the first instant whose reading is past `local`.
  let lo = local - Math.max(...offsets);
  let hi = local - Math.min(...offsets);
  if (!(wallMs(lo, zone) < local && wallMs(hi, zone) > local)) return local - after;
  while (hi - lo > 1000) {
    const mid = lo + Math.ceil((hi - lo) / 2000) * 1000;
    if (wallMs(mid, zone) > local) hi = mid;
    else lo = mid;
  }
  return hi;
}

interface ParsedSchedule {
  days: Set<number>;
  hour: number;
  minute: number;
  zone: string;
}

function parseSchedule(schedule: Schedule): ParsedSchedule {
  const { weekdays, localTime, timeZone } = schedule;
  if (!isValidZone(timeZone)) throw new RangeError(`Unknown time zone: ${JSON.stringify(timeZone)}`);
  if (!Array.isArray(weekdays) || !weekdays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
    throw new RangeError('Weekdays must be ISO weekdays 1..7');
  }
  if (typeof localTime !== 'string' || !LOCAL_TIME.test(localTime)) {
    throw new RangeError(`Invalid local time: ${JSON.stringify(localTime)}`);
  }
  return {
    days: new Set(weekdays),
    hour: Number(localTime.slice(0, 2)),
    minute: Number(localTime.slice(3, 5)),
    zone: timeZone,
  };
}

function fire(s: ParsedSchedule, from: number, to: number): number[] {
  if (s.days.size === 0 || !(from < to)) return [];
  const first = localParts(from, s.zone);
  const last = localParts(to, s.zone);
  const found = new Set<number>();
  // One day of slack each side: a gap can push a day's firing past midnight.
  const end = civilDay(last.year, last.month, last.day) + 1;
  for (let day = civilDay(first.year, first.month, first.day) - 1; day <= end; day++) {
    if (!s.days.has(isoWeekday(day))) continue;
    const { year, month, day: dom } = fromCivilDay(day);
    const at = zonedInstant(s.zone, year, month, dom, s.hour, s.minute);
    if (at >= from && at < to) found.add(at);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The instants (epoch ms, ascending) in [from, to) at which the schedule fires.
 * A local time inside a spring-forward gap fires once at the first valid minute after the gap;
 * a local time inside a fall-back overlap fires once, at the first (daylight-time) instant.
 */
export function occurrences(schedule: Schedule, from: number, to: number): number[] {
  const parsed = parseSchedule(schedule);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError('Range bounds must be finite');
  return fire(parsed, from, to);
}

/** The first occurrence strictly after `after`, or null when the schedule has no weekdays. */
export function nextOccurrence(schedule: Schedule, after: number): number | null {
  const parsed = parseSchedule(schedule);
  if (!Number.isFinite(after)) throw new RangeError('Instant must be finite');
  if (parsed.days.size === 0) return null;
  // Every scheduled weekday recurs within 7 local days; the extra margin absorbs DST shifts.
  for (let from = after + 1; ; from += 14 * DAY) {
    const [next] = fire(parsed, from, from + 14 * DAY);
    if (next !== undefined) return next;
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "YYYY-MM-DD" of an instant in a zone (used for "on-demand rounds per day" and pause dates). */
export function localDate(instant: number, zone: string): string {
  const { year, month, day } = localParts(instant, zone);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

const messageFormatters = new Map<string, Intl.DateTimeFormat>();

function messageFormatter(locale: string, zone: string, style: 'weekday' | 'date' | 'year' | 'time') {
  const key = `${locale}\u0000${zone}\u0000${style}`;
  const cached = messageFormatters.get(key);
  if (cached) return cached;
  formatterFor(zone);
  const options: Intl.DateTimeFormatOptions =
    style === 'time'
      ? { hour: 'numeric', minute: '2-digit' }
      : style === 'weekday'
        ? { weekday: 'long' }
        : style === 'date'
          ? { weekday: 'long', day: 'numeric', month: 'long' }
          : { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
  let formatter = new Intl.DateTimeFormat(locale, { ...options, timeZone: zone });
  const cycle = formatter.resolvedOptions().hourCycle;
  // 24-hour locales write "07:05", but a numeric hour would render it as "7:05".
  if (style === 'time' && (cycle === 'h23' || cycle === 'h24')) {
    formatter = new Intl.DateTimeFormat(locale, {
      ...options,
      hour: '2-digit',
      hourCycle: 'h23',
      timeZone: zone,
    });
  }
  return cacheSet(messageFormatters, key, formatter);
}

/** A short human time for messages, in the reader's zone and locale ("Sunday 19:00", "Sunday 7 December, 19:00"). */
export function formatWhen(instant: number, zone: string, now: number, locale = 'en-GB'): string {
  const { text, near } = dayText(instant, zone, now, locale);
  return `${text}${near ? ' ' : ', '}${messageFormatter(locale, zone, 'time').format(instant)}`;
}

/** A day for messages, in the reader's zone ("Friday", "Friday 4 December"), for pauses that end at a day's start. */
export function formatDay(instant: number, zone: string, now: number, locale = 'en-GB'): string {
  return dayText(instant, zone, now, locale).text;
}

// A bare weekday is unambiguous only within the coming six days; further out, name the date too.
function dayText(
  instant: number,
  zone: string,
  now: number,
  locale: string,
): { text: string; near: boolean } {
  const target = localParts(instant, zone);
  const today = localParts(now, zone);
  const days = civilDay(target.year, target.month, target.day) - civilDay(today.year, today.month, today.day);
  if (days >= 0 && days <= 6)
    return { text: messageFormatter(locale, zone, 'weekday').format(instant), near: true };
  const style = target.year === today.year ? 'date' : 'year';
  return { text: messageFormatter(locale, zone, style).format(instant), near: false };
}

const WEEKDAY_WORDS: Record<string, number> = {
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
  sun: 7,
  sunday: 7,
};

const MAX_PAUSE_DAYS = 366;

/**
 * Parses what follows "/pause": "" → indefinite; "[until] friday" / "fri" → start of the next such local day
 * (next week's when today is that day); "tomorrow"; "[until] 2026-12-01"; "3 days", "2 weeks" → start of that
 * local day. Past dates and dates more than 366 days ahead are invalid.
 */
export function parsePause(
  input: string,
  now: number,
  zone: string,
): { kind: 'until'; until: number } | { kind: 'indefinite' } | { kind: 'invalid' } {
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === '') return { kind: 'indefinite' };
  const today = localParts(now, zone);
  const todayDay = civilDay(today.year, today.month, today.day);

  let day: number | null = null;
  const target = text.replace(/^until /, '');
  const weekday = WEEKDAY_WORDS[target];
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(target);
  const span = /^(?:for )?(\d{1,4}) ?(d|days?|w|weeks?)$/.exec(text);
  if (weekday !== undefined) {
    day = todayDay + ((weekday - today.weekday + 7) % 7 || 7);
  } else if (target === 'tomorrow') {
    day = todayDay + 1;
  } else if (date) {
    const [year, month, dom] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const candidate = civilDay(year, month, dom);
    const back = fromCivilDay(candidate);
    if (back.year === year && back.month === month && back.day === dom) day = candidate;
  } else if (span) {
    const count = Number(span[1]);
    day = todayDay + (span[2]?.startsWith('w') ? count * 7 : count);
  }
  if (day === null || day <= todayDay || day - todayDay > MAX_PAUSE_DAYS) return { kind: 'invalid' };

  const { year, month, day: dom } = fromCivilDay(day);
  return { kind: 'until', until: zonedInstant(zone, year, month, dom, 0, 0) };
}

/** The cron pattern ("m h * * d", Sunday = 0) of a schedule, for a BullMQ Job Scheduler with `tz`. */
export function cronPattern(schedule: Schedule): string {
  const { days, hour, minute } = parseSchedule(schedule);
  // Cron cannot say "never"; a schedule without weekdays should have no job scheduler at all.
  if (days.size === 0) throw new RangeError('A schedule without weekdays has no cron pattern');
  const cronDays = [...days].map((d) => d % 7).sort((a, b) => a - b);
  return `${minute} ${hour} * * ${cronDays.join(',')}`;
}

/** What "/schedule …" asked for; the zone only when one was typed. */
export type ScheduleRequest =
  | { ok: true; weekdays: number[]; localTime: string; timeZone: string | null }
  | { ok: false };

const DAY_SETS: Record<string, number[]> = {
  daily: [1, 2, 3, 4, 5, 6, 7],
  everyday: [1, 2, 3, 4, 5, 6, 7],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [6, 7],
};

/**
 * Parses what follows "/schedule": days ("sun", "mon,thu", "mon thu", "daily", "weekdays",
 * "weekends", plural day names), a time ("19:00", "7:05", "19h", "7pm", "7:30am") and an optional
 * IANA zone, in any order. Case-insensitive.
 */
export function parseScheduleRequest(input: string): ScheduleRequest {
  const days = new Set<number>();
  let time: string | null = null;
  let zone: string | null = null;
  for (const word of input
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean)) {
    const w = word.toLowerCase();
    const day = WEEKDAY_WORDS[w] ?? WEEKDAY_WORDS[w.replace(/s$/, '')];
    const asTime: string | null = time === null ? parseTime(w) : null;
    const asZone: string | null = asTime === null && zone === null ? canonicalZone(word) : null;
    if (day !== undefined) days.add(day);
    else if (DAY_SETS[w]) for (const d of DAY_SETS[w]) days.add(d);
    else if (asTime !== null) time = asTime;
    else if (asZone !== null) zone = asZone;
    else return { ok: false };
  }
  if (days.size === 0 || time === null) return { ok: false };
  return { ok: true, weekdays: [...days].sort((a, b) => a - b), localTime: time, timeZone: zone };
}

function parseTime(w: string): string | null {
  const m = /^(\d{1,2})(?:[:.h](\d{2})?)?(am|pm)?$/.exec(w);
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  if (m[3]) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (m[3] === 'pm' ? 12 : 0);
  } else if (m[2] === undefined && !w.includes('h')) {
    return null;
  }
  if (hour > 23 || minute > 59) return null;
  return `${pad(hour)}:${pad(minute)}`;
}
