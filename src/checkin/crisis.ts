/**
 * Spotting crisis wording (self-harm, suicide, wanting to die) in what people type. A match only means the
 * bot privately shows crisis resources and keeps that answer private by default, so a false positive costs
 * little and a false negative can cost a lot: every pattern here leans towards matching.
 */

// Invisible characters someone (or a keyboard) may put inside words; they must not hide a phrase.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g;
const APOSTROPHES = /[\u2018\u2019\u201B\u02BC\u2032\u0060\u00B4\uFF07]/g;
// Dashes and underscores become spaces so "self-harm", "end_it_all" and "self harm" look alike.
const SEPARATORS = /[-_\u2010-\u2015\u2212]/g;

function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE, '')
    .replace(APOSTROPHES, "'")
    .replace(SEPARATORS, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

// Applied to normalised text: lower case, single spaces, straight apostrophes, no dashes.
const PATTERNS: readonly RegExp[] = [
  // Wanting to die or be dead, in its many everyday forms.
  /\b(want|wants|wanted|wanting|wanna|wish|wished|ready|deserve) (to )?(just )?(die|be dead)\b/,
  /\bwish (that )?i (was|were|could be|'?d be) dead\b/,
  /\b(i'?d|i would) rather (just )?(die|be dead)\b/,
  /\bi should (just )?die\b/,
  /\bbetter off dead\b/,
  /\b(better|be) off without me\b/,
  /\bwish i (was|were|had|'?d) never (been )?born\b/,
  /\b(go to )?sleep and never wake up\b/,
  // Acting on it.
  /\b(kill|killing|killed|hang|hanging|shoot|shooting|drown|drowning|poison|poisoning) ?my ?self\b/,
  /\bunaliv/,
  // "kms" as a word, but not "5 kms" of a run.
  /(?<!\d ?)\bkms\b/,
  /\bsuicid/,
  /\bend(s|ed|ing)? (my (own )?life|it all|myself)\b/,
  /\b(want to|wanna|going to|gonna|thinking (of|about)|plan(ning)? to|might) (just )?end(ing)? (it|things|everything)\b/,
  /\btak(e|es|ing) my (own )?life\b/,
  /\bself ?(harm|harming|harmed|injur\w*)\b/,
  /\b(hurt|hurting|harm|harming|harmed|cut|cutting|burn|burning|burned|starve|starving|injure|injuring) ?my ?self\b/,
  /\boverdos/,
  /\b(od|od'?d|od'?ing) on\b/,
  // Hopelessness about living at all.
  /\bno (reason|point) (to|in) (live|living|go on|going on)\b/,
  /\bnothing (left )?to live for\b/,
  /\b(not|isn'?t|no longer) worth living\b/,
  /\blife (isn'?t|is not|is no longer) worth (it|living)\b/,
  /\b(don'?t|do not|no longer) (want to|wanna) (live|be alive|exist|be here any ?more|be here any longer|be around any ?more)\b/,
  /\b(can'?t|cannot|can not) (go on|keep going|keep living|live like this)\b/,
];

/** True when free text contains crisis wording (self-harm, suicide, wanting to die); errs towards true. */
export function mentionsCrisis(text: string): boolean {
  const normalised = normalise(text);
  return PATTERNS.some((pattern) => pattern.test(normalised));
}
