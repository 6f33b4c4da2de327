import type { Schedule } from '../checkin/schedule.ts';
import type { CoupleRow } from '../store/repo.ts';

/** A pause with no end date is stored as this far-future moment. */
export const INDEFINITE = 8_640_000_000_000_000;

/** The schedule of a couple, as the pure schedule functions take it. */
export function scheduleOf(couple: CoupleRow): Schedule {
  return {
    weekdays: couple.weekdays.split(',').filter(Boolean).map(Number),
    localTime: couple.localTime,
    timeZone: couple.timeZone,
  };
}

/** The other member of a pair, or null (solo, or the partner deleted their data). */
export function partnerOf(couple: CoupleRow, memberId: number): number | null {
  if (couple.kind !== 'pair') return null;
  return couple.memberA === memberId ? couple.memberB : couple.memberA;
}

/** The members of a couple who still exist. */
export function membersOf(couple: CoupleRow): number[] {
  return [couple.memberA, couple.memberB].filter((m): m is number => m !== null);
}

/** True while a pause is in force. */
export function isPaused(couple: CoupleRow, now: number): boolean {
  return couple.pausedUntil !== null && couple.pausedUntil > now;
}
