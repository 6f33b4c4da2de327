import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanName, cleanText, preview } from '../../src/checkin/text.ts';

const FAMILY = '👨\u200D👩\u200D👧\u200D👦';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function codePoints(text: string): number {
  return Array.from(text).length;
}

describe('cleanText', () => {
  it('keeps an ordinary answer as written', () => {
    expect(cleanText('I made dinner and we talked.', 100)).toEqual({
      ok: true,
      text: 'I made dinner and we talked.',
    });
  });

  it('says how long an oversize answer is and what the limit is', () => {
    expect(cleanText('a'.repeat(11), 10)).toEqual({ ok: false, reason: 'too-long', length: 11, max: 10 });
  });

  it('counts an emoji as one character, not two', () => {
    expect(cleanText('😀'.repeat(10), 10)).toEqual({ ok: true, text: '😀'.repeat(10) });
    expect(cleanText('😀'.repeat(11), 10)).toMatchObject({ ok: false, reason: 'too-long', length: 11 });
  });

  it.each([[''], ['   '], ['\n\n\t '], ['\u200B\uFEFF'], ['\u0000\u0007']])('treats %j as empty', (input) => {
    expect(cleanText(input, 10)).toEqual({ ok: false, reason: 'empty', length: 0, max: 10 });
  });

  it('removes control characters but keeps newlines and tabs', () => {
    expect(cleanText('one\u0000 two\u0007\u001B\u007F\u0085\nthree\tfour', 100)).toEqual({
      ok: true,
      text: 'one two\nthree\tfour',
    });
  });

  it('turns Windows and old Mac line endings into newlines', () => {
    expect(cleanText('a\r\nb\rc', 100)).toEqual({ ok: true, text: 'a\nb\nc' });
  });

  it('removes bidi overrides and isolates that could reorder what the partner reads', () => {
    const input = 'pay \u202Eevil\u202C and \u2066x\u2069 \u202A\u202B\u202D\u2067\u2068';
    const result = cleanText(input, 100);
    expect(result).toEqual({ ok: true, text: 'pay evil and x' });
  });

  it('collapses long runs of blank lines to one blank line and trims', () => {
    expect(cleanText('  first\n\n\n\n\nsecond\n \n \n \nthird  \n', 100)).toEqual({
      ok: true,
      text: 'first\n\nsecond\n\nthird',
    });
  });

  it('removes lone surrogates but keeps real emoji', () => {
    expect(cleanText('ok\uD83D then \uDE00 and 😀', 100)).toEqual({ ok: true, text: 'ok then  and 😀' });
  });

  it.each([
    ['emoji ZWJ family', `we are a ${FAMILY}`],
    ['skin tone and flag', '👍🏽 🇨🇦 🏳️‍🌈'],
    ['accents', 'Café crème, naïve, São Paulo'],
    ['CJK', '今天我们一起散步了。'],
    ['Arabic', 'شعرت بالأمان اليوم'],
    ['Hebrew with a right-to-left mark', 'הרגשתי בטוחה\u200F היום'],
    ['HTML-like markup', '<b>x</b> & <i>y</i>'],
    ['Markdown', '**x** _y_ `z` [a](b)'],
  ])('keeps %s unchanged', (_name, input) => {
    expect(cleanText(input, 500)).toEqual({ ok: true, text: input });
  });

  it('composes accents (NFC) so the same word is stored the same way', () => {
    expect(cleanText('Cafe\u0301', 10)).toEqual({ ok: true, text: 'Caf\u00E9' });
  });

  it('removes stray zero-width spaces', () => {
    expect(cleanText('hel\u200Blo\uFEFF', 10)).toEqual({ ok: true, text: 'hello' });
  });

  it('never returns text longer than max or with lone surrogates or controls', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.integer({ min: 1, max: 60 }),
        (input, max) => {
          const result = cleanText(input, max);
          if (result.ok) {
            expect(codePoints(result.text)).toBeLessThanOrEqual(max);
            expect(result.text).not.toMatch(LONE_SURROGATE);
            expect(result.text).not.toMatch(/[^\P{Cc}\n\t]|[\u202A-\u202E\u2066-\u2069]/u);
            expect(result.text).toBe(result.text.trim());
          } else {
            expect(result.max).toBe(max);
          }
        },
      ),
    );
  });
});

describe('cleanName', () => {
  it('keeps a normal name', () => {
    expect(cleanName('Sam')).toBe('Sam');
    expect(cleanName('  José 🌻 ')).toBe('José 🌻');
  });

  it('puts a multi-line name on one line', () => {
    expect(cleanName('Sam\nthe\n\n\nGreat')).toBe('Sam the Great');
  });

  it('cuts a long name to 64 characters with an ellipsis instead of rejecting it', () => {
    const name = cleanName('A'.repeat(200));
    expect(codePoints(name)).toBe(64);
    expect(name.endsWith('…')).toBe(true);
  });

  it.each([[''], ['   '], ['\u202E\u200B'], ['\u0000']])(
    'calls someone with no usable name (%j) "there"',
    (input) => {
      expect(cleanName(input)).toBe('there');
    },
  );

  it('never returns an empty or over-long name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        const name = cleanName(input);
        expect(name.trim()).not.toBe('');
        expect(codePoints(name)).toBeLessThanOrEqual(64);
        expect(name).not.toContain('\n');
      }),
    );
  });
});

describe('preview', () => {
  it('leaves short text alone', () => {
    expect(preview('short', 10)).toBe('short');
    expect(preview('exactly10!', 10)).toBe('exactly10!');
  });

  it('shortens long text with an ellipsis, within the limit', () => {
    expect(preview('I made dinner and we talked', 10)).toBe('I made di…');
  });

  it('does not leave a dangling space before the ellipsis', () => {
    expect(preview('I made dinner', 8)).toBe('I made…');
  });

  it('keeps an accent with its letter', () => {
    // "e" + combining acute: two code points, one character on screen.
    expect(preview('cafe\u0301 au lait', 5)).toBe('caf…');
  });

  it('keeps an emoji family together when it fits, and drops it whole when it does not', () => {
    expect(preview(`hi ${FAMILY} there`, 12)).toBe(`hi ${FAMILY}…`);
    expect(preview(`hi ${FAMILY} there`, 8)).toBe('hi…');
  });

  it('never splits a surrogate pair and never exceeds the limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.integer({ min: 0, max: 40 }),
        (text, max) => {
          const short = preview(text, max);
          expect(short).not.toMatch(LONE_SURROGATE);
          expect(codePoints(short)).toBeLessThanOrEqual(max);
          if (codePoints(text) <= max) expect(short).toBe(text);
        },
      ),
    );
  });
});
