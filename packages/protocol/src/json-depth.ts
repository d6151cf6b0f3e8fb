const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * How deeply a JSON text nests objects and arrays, found in one pass over the text before it
 * is parsed: brackets inside string literals (escapes included) are not counted. The scan stops
 * at the first level past `stopAbove` and returns that level, so a body nested 20,000 deep costs
 * a few characters. Malformed text gets some number back; JSON.parse then says what is wrong.
 */
export function jsonNestingDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/** Index of the quote that closes the string opened at `open`, or the text's length when none does. */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return text.length;
    // Escaped when an odd number of backslashes precede it; the opening quote stops the count.
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * How deeply a parsed JSON value nests objects and arrays (a scalar is 0, `{}` is 1), found
 * without recursion; the walk stops at the first level past `stopAbove` and returns it.
 */
export function valueNestingDepth(value: unknown, stopAbove: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 1;
  const pending: Array<{ value: object; level: number }> = [{ value, level: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const child of Array.isArray(next.value) ? next.value : Object.values(next.value)) {
      if (typeof child !== 'object' || child === null) continue;
      const level = next.level + 1;
      if (level > deepest) {
        deepest = level;
        if (deepest > stopAbove) return deepest;
      }
      pending.push({ value: child as object, level });
    }
  }
  return deepest;
}
