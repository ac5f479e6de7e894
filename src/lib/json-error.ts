/**
 * Describing a JSON.parse failure without echoing the text: V8's message may quote the input (and so a secret),
 * and Node 20 leaves out "at position N" for some errors (Unexpected token …), so the reason is reduced to known
 * shapes and the position is found by reading the text again with a strict JSON reader.
 */

/** V8's reason without the text it quotes (which may hold a secret): only known shapes are passed on. */
export function jsonErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const token = /^Unexpected token '(.)'/su.exec(message);
  if (token) return `unexpected ${JSON.stringify(token[1])}`;
  const positioned = /^([^"]*?)(?: in JSON)? at position \d+/.exec(message);
  if (positioned?.[1]) return positioned[1].charAt(0).toLowerCase() + positioned[1].slice(1);
  if (/^Unexpected end of JSON input/.test(message)) return 'unexpected end of JSON input';
  return 'syntax error';
}

/** "at line 3, column 7": where a strict JSON reader first fails (V8's message does not always say). */
export function jsonErrorPosition(text: string): string {
  const offset = findJsonErrorOffset(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `at line ${line}, column ${column}`;
}

/** The offset where a strict JSON reader stops: the first character that cannot continue a valid document. */
function findJsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError('json');
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const expect = (char: string) => {
    space();
    if (text.charAt(i) !== char) fail();
    i++;
  };
  const string = () => {
    expect('"');
    while (i < text.length) {
      const char = text.charAt(i);
      if (char === '"') return void i++;
      if (char < ' ') fail();
      if (char === '\\') {
        i++;
        if (text.charAt(i) === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text.charAt(i)) || i >= text.length) fail();
      }
      i++;
    }
    fail();
  };
  const value = (): void => {
    space();
    const char = text.charAt(i);
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      i++;
      space();
      if (text.charAt(i) === close) return void i++;
      for (;;) {
        if (close === '}') {
          string();
          expect(':');
        }
        value();
        space();
        if (text.charAt(i) === ',') i++;
        else return expect(close);
      }
    }
    if (char === '"') return string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) fail();
    i += literal?.[0].length ?? 0;
  };
  try {
    value();
    space();
  } catch {
    // i is where reading stopped (a RangeError from absurd nesting lands here too)
  }
  return Math.min(i, text.length);
}
