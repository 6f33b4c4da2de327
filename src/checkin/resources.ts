/**
 * Support and crisis resources, chosen by the country of a person's IANA time zone. Pure data and lookups:
 * the operator may override the table with a JSON file validated by `resourceTableSchema`.
 */
import { z } from 'zod';

export interface CountryResources {
  /** What to call in danger right now: "911", "999", "000", or for the fallback "your local emergency number". */
  emergency: string;
  /** Crisis/talk lines, each a short phrase that reads after "You can talk to someone any time: ", e.g. "call or text 988", "text HOME to 741741". */
  talk: string[];
  /** Abuse / unsafe-at-home lines, each a short phrase, e.g. "call 1-800-799-7233", "text START to 88788". */
  abuse: string[];
}

/** Country keys are ISO 3166-1 alpha-2, upper case. */
export interface ResourceTable {
  countries: Record<string, CountryResources>;
  fallback: CountryResources;
}

// Whitespace-only phrases would render as a blank line where someone expects a number to call.
const phrase = z.string().trim().min(1);

const countryResourcesSchema = z.strictObject({
  emergency: phrase,
  talk: z.array(phrase),
  abuse: z.array(phrase),
});

// Strict objects so a typo in an operator's file ("abuses") fails loudly instead of silently dropping lines.
/** Validates an operator's JSON override file. */
export const resourceTableSchema: z.ZodType<ResourceTable> = z.strictObject({
  countries: z.record(
    z.string().regex(/^[A-Z]{2}$/, 'country keys are ISO alpha-2, upper case'),
    countryResourcesSchema,
  ),
  fallback: countryResourcesSchema,
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

// Frozen because every caller shares this object; a stray mutation would change someone else's crisis lines.
/** The resources shipped with the bot (numbers from DOMAIN.md, "Safety rules"). */
export const BUILTIN_RESOURCES: ResourceTable = deepFreeze({
  countries: {
    US: {
      emergency: '911',
      talk: ['call or text 988 (Suicide & Crisis Lifeline)', 'text HOME to 741741 (Crisis Text Line)'],
      abuse: [
        'call 1-800-799-7233 (National Domestic Violence Hotline)',
        'text START to 88788 (National Domestic Violence Hotline)',
      ],
    },
    CA: {
      emergency: '911',
      talk: ['call or text 988 (Suicide Crisis Helpline)'],
      abuse: [],
    },
    GB: {
      emergency: '999',
      talk: ['call Samaritans on 116 123'],
      abuse: ['call the National Domestic Abuse Helpline on 0808 2000 247'],
    },
    AU: {
      emergency: '000',
      talk: ['call Lifeline on 13 11 14'],
      abuse: ['call 1800RESPECT on 1800 737 732'],
    },
  },
  fallback: {
    emergency: 'your local emergency number',
    talk: [],
    abuse: [],
  },
});

// Canonical zones from tzdata's zone.tab plus the legacy aliases ("backward" links) people and old clients
// still send. Crown dependencies (Jersey, Guernsey, Isle of Man) have their own ISO codes and are left out.
const ZONES_BY_COUNTRY: Record<string, readonly string[]> = {
  US: [
    'America/New_York',
    'America/Detroit',
    'America/Kentucky/Louisville',
    'America/Kentucky/Monticello',
    'America/Indiana/Indianapolis',
    'America/Indiana/Vincennes',
    'America/Indiana/Winamac',
    'America/Indiana/Marengo',
    'America/Indiana/Petersburg',
    'America/Indiana/Vevay',
    'America/Indiana/Tell_City',
    'America/Indiana/Knox',
    'America/Chicago',
    'America/Menominee',
    'America/North_Dakota/Center',
    'America/North_Dakota/New_Salem',
    'America/North_Dakota/Beulah',
    'America/Denver',
    'America/Boise',
    'America/Phoenix',
    'America/Los_Angeles',
    'America/Anchorage',
    'America/Juneau',
    'America/Sitka',
    'America/Metlakatla',
    'America/Yakutat',
    'America/Nome',
    'America/Adak',
    'Pacific/Honolulu',
    'America/Fort_Wayne',
    'America/Indianapolis',
    'America/Knox_IN',
    'America/Louisville',
    'America/Atka',
    'America/Shiprock',
    'Navajo',
    'US/Eastern',
    'US/Central',
    'US/Mountain',
    'US/Pacific',
    'US/Alaska',
    'US/Hawaii',
    'US/Arizona',
    'US/Aleutian',
    'US/East-Indiana',
    'US/Indiana-Starke',
    'US/Michigan',
  ],
  CA: [
    'America/St_Johns',
    'America/Halifax',
    'America/Glace_Bay',
    'America/Moncton',
    'America/Goose_Bay',
    'America/Blanc-Sablon',
    'America/Toronto',
    'America/Iqaluit',
    'America/Atikokan',
    'America/Winnipeg',
    'America/Resolute',
    'America/Rankin_Inlet',
    'America/Regina',
    'America/Swift_Current',
    'America/Edmonton',
    'America/Cambridge_Bay',
    'America/Inuvik',
    'America/Creston',
    'America/Dawson_Creek',
    'America/Fort_Nelson',
    'America/Whitehorse',
    'America/Dawson',
    'America/Vancouver',
    'America/Montreal',
    'America/Nipigon',
    'America/Thunder_Bay',
    'America/Rainy_River',
    'America/Yellowknife',
    'America/Pangnirtung',
    'America/Coral_Harbour',
    'Canada/Atlantic',
    'Canada/Central',
    'Canada/Eastern',
    'Canada/Mountain',
    'Canada/Newfoundland',
    'Canada/Pacific',
    'Canada/Saskatchewan',
    'Canada/Yukon',
    'Canada/East-Saskatchewan',
  ],
  GB: ['Europe/London', 'Europe/Belfast', 'GB', 'GB-Eire'],
  AU: [
    'Australia/Lord_Howe',
    'Australia/Hobart',
    'Australia/Melbourne',
    'Australia/Sydney',
    'Australia/Broken_Hill',
    'Australia/Brisbane',
    'Australia/Lindeman',
    'Australia/Adelaide',
    'Australia/Darwin',
    'Australia/Perth',
    'Australia/Eucla',
    'Australia/Currie',
    'Australia/ACT',
    'Australia/Canberra',
    'Australia/NSW',
    'Australia/North',
    'Australia/Queensland',
    'Australia/South',
    'Australia/Tasmania',
    'Australia/Victoria',
    'Australia/West',
    'Australia/Yancowinna',
    'Australia/LHI',
    'Antarctica/Macquarie',
  ],
};

// Keyed by lower case: IANA names are case-insensitive, and typed names arrive as "europe/london".
const COUNTRY_BY_ZONE: ReadonlyMap<string, string> = new Map(
  Object.entries(ZONES_BY_COUNTRY).flatMap(([country, zones]) =>
    zones.map((zone) => [zone.toLowerCase(), country] as const),
  ),
);

/** Country (ISO alpha-2) of an IANA zone, or null when unknown. */
export function countryOfZone(zone: string | null | undefined): string | null {
  if (!zone) return null;
  return COUNTRY_BY_ZONE.get(zone.trim().toLowerCase()) ?? null;
}

/** The resources for a person's zone; the fallback when the country is unknown or not in the table. */
export function resourcesFor(table: ResourceTable, zone: string | null | undefined): CountryResources {
  const country = countryOfZone(zone);
  if (country !== null && Object.hasOwn(table.countries, country)) {
    const found = table.countries[country];
    if (found) return found;
  }
  return table.fallback;
}
