import { copy } from '../../src/checkin/copy.ts';
import { sparkline } from '../../src/checkin/summary.ts';

const Q = copy.questions;

/** What one partner answered in the platform suites' rebuild-trust check-in. */
export interface Side {
  words: { countOn: string; deposit: string; hear?: string | undefined };
  scores: { consistency: number; reliability: number; fear: number; anger: number };
}

function wordsOf(s: Side): string {
  const lines = [`${Q.countOn.label}: “${s.words.countOn}”`];
  if (s.words.hear !== undefined) lines.push(`${Q.hear.label}: “${s.words.hear}”`);
  return lines.join('\n');
}

/**
 * The paragraphs of the reveal `self` reads: the partner's shared words first, their own, the
 * scores side by side (one round, so one-bar trends), both deposits, the closing. A side whose
 * `hear` is undefined kept that answer private.
 */
export function expectedReveal(self: Side, other: Side): string[] {
  const scores = (
    [
      ['consistency', Q.consistency.label],
      ['reliability', Q.reliability.label],
      ['fear', Q.fear.label],
      ['anger', Q.anger.label],
    ] as const
  ).map(
    ([k, label]) =>
      `${label}: your partner ${sparkline([other.scores[k]])} ${other.scores[k]} · you ${sparkline([self.scores[k]])} ${self.scores[k]}`,
  );
  return [
    copy.reveal.opening,
    `${copy.reveal.partnerWords}\n${wordsOf(other)}`,
    `${copy.reveal.yourWords}\n${wordsOf(self)}`,
    [copy.reveal.scores, ...scores].join('\n'),
    `${copy.reveal.deposits}\n${copy.reveal.partnerWords}: “${other.words.deposit}”\n${copy.reveal.yourWords}: “${self.words.deposit}”`,
    copy.reveal.closing,
  ];
}
