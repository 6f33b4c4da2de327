import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mentionsCrisis } from '../../src/checkin/crisis.ts';

const CRISIS = [
  'I want to die',
  'i wanna die',
  'Some days I just want to be dead.',
  'I wish I was dead',
  'honestly i wish i were dead',
  "I'm going to kill myself",
  'I keep thinking about killing myself',
  'kms',
  'ugh kms honestly',
  'I have been feeling suicidal',
  'I thought about suicide last night',
  'I want to end my life',
  'sometimes I think about ending it all',
  "I'm ready to end it all",
  'I could take my own life',
  'I wanted to take my life',
  'I self harm when it gets bad',
  'the self-harm started again',
  'selfharm',
  'I hurt myself again',
  'I keep hurting myself',
  'I cut myself last night',
  'cutting myself is the only thing that helps',
  'I thought about an overdose',
  'there is no reason to live',
  'life is not worth living',
  'everyone would be better off dead, starting with me',
  'they would be better off without me',
  "I don't want to be here anymore",
  'I do not want to be alive',
  "I can't go on",
  'I cant go on like this',
  // Shouting, curly apostrophes, invisible characters and full-width letters must not hide it.
  'I WANT TO DIE',
  'I don\u2019t want to be here anymore',
  'I can\u2019t go on',
  'I want to d\u200Bie',
  'kill\u200B my\u00ADself',
  'i want\u00A0to\u2003die',
  '\uFF29 \uFF57\uFF41\uFF4E\uFF54 \uFF54\uFF4F \uFF44\uFF49\uFF45',
  'self\u2011harm',
  'I want to\n\ndie',
];

const BENIGN = [
  'I felt anxious at dinner',
  "I'm dieting and it makes me cranky",
  'we studied together on Sunday',
  'I went for a 5 kms run',
  'I was honest about my phone use',
  'I made dinner and we talked about our week',
  'I felt hurt when you looked at your phone',
  'I cut back on screen time',
  'We ended the evening with a walk',
  'My sobriety date is still holding',
  'I can count on you to call when you are late',
  'I want to be here for you',
  'I was angry but I stayed in the conversation',
  'The plant died while we were away',
  'studies show trust takes time',
];

describe('mentionsCrisis', () => {
  it.each(CRISIS.map((text) => [text]))('notices crisis wording: %j', (text) => {
    expect(mentionsCrisis(text)).toBe(true);
  });

  it.each(BENIGN.map((text) => [text]))('leaves an ordinary check-in alone: %j', (text) => {
    expect(mentionsCrisis(text)).toBe(false);
  });

  // Hyperbole is not flagged: the patterns look for wanting to die, not for the word "dying".
  it('does not flag "I\'m dying to see you" (hyperbole)', () => {
    expect(mentionsCrisis("I'm dying to see you")).toBe(false);
  });

  // Erring towards resources: a private list of numbers costs little next to a missed crisis.
  it('flags "I would rather die than go back" even though it may be hyperbole', () => {
    expect(mentionsCrisis('I would rather die than go back')).toBe(true);
  });

  it('notices a crisis phrase wherever it sits in any text', () => {
    const phrase = fc.constantFrom(
      'I want to die',
      'kill myself',
      'suicidal',
      'end it all',
      'self-harm',
      'better off dead',
      "can't go on",
      'no reason to live',
    );
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        phrase,
        fc.string({ unit: 'binary' }),
        (before, p, after) => {
          expect(mentionsCrisis(`${before} ${p} ${after}`)).toBe(true);
        },
      ),
    );
  });

  it('survives any odd input without throwing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(typeof mentionsCrisis(text)).toBe('boolean');
      }),
    );
  });
});
