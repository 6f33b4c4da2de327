// Telegram's HTML parse mode, as the Bot API server (tdlib's parse_html) reads it, made strict
// where the documentation says "must": every `<`, `>` and `&` that is not part of a tag or an
// entity must be escaped. (The real server silently keeps a stray `>` or a `&` that starts no
// entity; rejecting them here catches escaping bugs that would otherwise show up as a 400 the
// first time a user types `<`.) Error texts follow tdlib's wording and byte offsets.

export interface ParsedEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

export type ParseResult = { ok: true; text: string; entities: ParsedEntity[] } | { ok: false; error: string };

const SUPPORTED_TAGS = new Set([
  'a',
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'code',
  'pre',
  'blockquote',
  'tg-spoiler',
  'span',
]);

const ENTITY_TYPE: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  code: 'code',
  pre: 'pre',
  a: 'text_link',
  blockquote: 'blockquote',
};

const isSpace = (c: string | undefined) =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const isAlpha = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /[0-9A-Fa-f]/.test(c);

/**
 * Decodes the HTML entity starting at `pos` (which holds `&`), tdlib's way: `&lt;` `&gt;` `&amp;`
 * `&quot;` and numeric `&#NN;` / `&#xHH;`. With `strict`, the closing `;` is required.
 * Returns null when there is no entity there.
 */
export function decodeEntity(s: string, pos: number, strict: boolean): { ch: string; end: number } | null {
  if (s[pos] !== '&') return null;
  let end = pos + 1;
  let code = 0;
  if (s[pos + 1] === '#') {
    end++;
    if (s[pos + 2] === 'x') {
      end++;
      while (isHex(s[end])) {
        code = code * 16 + Number.parseInt(s[end]!, 16);
        end++;
        if (code >= 0x10ffff) return null;
      }
    } else {
      while (isDigit(s[end])) {
        code = code * 10 + Number(s[end]);
        end++;
        if (code >= 0x10ffff) return null;
      }
    }
    if (code === 0 || end - pos >= 10) return null;
  } else {
    while (isAlpha(s[end])) end++;
    const name = s.slice(pos + 1, end);
    const named: Record<string, number> = { lt: 60, gt: 62, amp: 38, quot: 34 };
    const value = named[name];
    if (value === undefined) return null;
    code = value;
  }
  if (s[end] === ';') end++;
  else if (strict) return null;
  return { ch: String.fromCodePoint(code), end };
}

/** Parses `src` in Telegram's HTML parse mode: the visible text and its entities, or tdlib's error. */
export function parseTelegramHtml(src: string): ParseResult {
  const byteOffset = (i: number) => Buffer.byteLength(src.slice(0, i), 'utf8');
  const fail = (message: string): ParseResult => ({ ok: false, error: `can't parse entities: ${message}` });
  const n = src.length;
  let out = '';
  const stack: { tag: string; arg: string; offset: number }[] = [];
  const entities: ParsedEntity[] = [];
  let i = 0;
  while (i < n) {
    const c = src[i];
    if (c === '&') {
      const decoded = decodeEntity(src, i, true);
      if (!decoded)
        return fail(`Unescaped "&" at byte offset ${byteOffset(i)}; it must be written as "&amp;"`);
      out += decoded.ch;
      i = decoded.end;
      continue;
    }
    if (c === '>') return fail(`Unescaped ">" at byte offset ${byteOffset(i)}; it must be written as "&gt;"`);
    if (c !== '<') {
      out += c;
      i++;
      continue;
    }
    const begin = i;
    i++;
    if (src[i] !== '/') {
      // A start tag.
      while (i < n && !isSpace(src[i]) && src[i] !== '>') i++;
      if (i >= n) return fail(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
      const tag = src.slice(begin + 1, i).toLowerCase();
      if (!SUPPORTED_TAGS.has(tag))
        return fail(`Unsupported start tag "${tag}" at byte offset ${byteOffset(begin)}`);
      let arg = '';
      while (src[i] !== '>') {
        while (i < n && isSpace(src[i])) i++;
        if (i >= n) return fail(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
        if (src[i] === '>') break;
        const nameBegin = i;
        while (i < n && !isSpace(src[i]) && src[i] !== '=' && src[i] !== '>') i++;
        const attribute = src.slice(nameBegin, i);
        if (attribute === '')
          return fail(`Empty attribute name in the tag "${tag}" at byte offset ${byteOffset(begin)}`);
        while (i < n && isSpace(src[i])) i++;
        if (src[i] !== '=' && tag === 'blockquote' && attribute === 'expandable') {
          arg = '1'; // the one attribute written without a value
          continue;
        }
        if (src[i] !== '=')
          return fail(
            `Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${byteOffset(begin)}`,
          );
        i++;
        while (i < n && isSpace(src[i])) i++;
        if (i >= n) return fail(`Unclosed start tag "${tag}" at byte offset ${byteOffset(begin)}`);
        let value = '';
        const quote = src[i];
        if (quote !== '"' && quote !== "'") {
          const tokenBegin = i;
          while (i < n && /[A-Za-z0-9.-]/.test(src[i]!)) i++;
          value = src.slice(tokenBegin, i).toLowerCase();
          if (i < n && !isSpace(src[i]) && src[i] !== '>')
            return fail(`Unexpected end of name token at byte offset ${byteOffset(tokenBegin)}`);
        } else {
          i++;
          while (i < n && src[i] !== quote) {
            // Inside attribute values the server is lenient (URLs often carry a bare `&`).
            const decoded = src[i] === '&' ? decodeEntity(src, i, false) : null;
            if (decoded) {
              value += decoded.ch;
              i = decoded.end;
            } else {
              value += src[i];
              i++;
            }
          }
          if (src[i] === quote) i++;
        }
        if (i >= n) return fail(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
        if (tag === 'a' && attribute === 'href') arg = value;
        else if (tag === 'code' && attribute === 'class' && value.startsWith('language-'))
          arg = value.slice(9);
        else if (tag === 'span' && attribute === 'class' && value.startsWith('tg-')) arg = value.slice(3);
        else if (tag === 'blockquote' && attribute === 'expandable') arg = '1';
      }
      if (tag === 'span' && arg !== 'spoiler')
        return fail(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(begin)}`);
      stack.push({ tag, arg, offset: out.length });
      i++;
      continue;
    }
    // An end tag.
    if (stack.length === 0) return fail(`Unexpected end tag at byte offset ${byteOffset(begin)}`);
    i++;
    const nameBegin = i;
    while (i < n && !isSpace(src[i]) && src[i] !== '>') i++;
    const endName = src.slice(nameBegin, i);
    while (i < n && isSpace(src[i])) i++;
    if (src[i] !== '>') return fail(`Unclosed end tag at byte offset ${byteOffset(begin)}`);
    const open = stack[stack.length - 1]!;
    if (endName !== '' && endName !== open.tag)
      return fail(
        `Unmatched end tag at byte offset ${byteOffset(begin)}, expected "</${open.tag}>", found "</${endName}>"`,
      );
    stack.pop();
    i++;
    const length = out.length - open.offset;
    if (length > 0) {
      const type = open.tag === 'blockquote' && open.arg ? 'expandable_blockquote' : ENTITY_TYPE[open.tag]!;
      const entity: ParsedEntity = { type, offset: open.offset, length };
      if (open.tag === 'a') entity.url = open.arg || out.slice(open.offset);
      if (open.tag === 'code' && open.arg) entity.language = open.arg;
      if (open.tag === 'pre') {
        const inner = entities.find(
          (e) => e.type === 'code' && e.offset === open.offset && e.length === length && e.language,
        );
        if (inner) {
          entities.splice(entities.indexOf(inner), 1);
          entity.language = inner.language!;
        }
      }
      entities.push(entity);
    }
  }
  if (stack.length > 0)
    return fail(`Can't find end tag corresponding to start tag "${stack[stack.length - 1]!.tag}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { ok: true, text: out, entities };
}

/**
 * Strips leading and trailing whitespace the way the server does before it checks the length,
 * moving entity offsets along. Returns the text a user sees.
 */
export function trimVisible(
  text: string,
  entities: ParsedEntity[],
): { text: string; entities: ParsedEntity[] } {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const kept: ParsedEntity[] = [];
  for (const e of entities) {
    const start = Math.max(0, e.offset - lead);
    const end = Math.min(trimmed.length, e.offset + e.length - lead);
    if (end > start) kept.push({ ...e, offset: start, length: end - start });
  }
  return { text: trimmed, entities: kept };
}
