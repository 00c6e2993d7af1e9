// Where each key of a consul-template config file sits (line, raw literal): the HCL parser gives values only, and
// an unknown key or a wrong value must name its line, so the text is scanned once more for positions.

/**
 * Paths are dot-joined segments; an element of a repeated block or a JSON array is `name[i]`
 * (`template[1].command`), an object value is plain `name` (`consul.ssl.verify` when written `ssl = { ... }`).
 */
export interface KeyLocation {
  line: number;
  /** The literal after `=` or `:` when it is a single token (number, bool, string): perms' `0644` needs it. */
  raw?: string;
}

export type KeyLocations = Map<string, KeyLocation>;

interface Frame {
  kind: 'body' | 'list';
  path: string;
  /** Blocks met so far in this body, by name: the next one gets this index. */
  blockCounts: Map<string, number>;
  listIndex: number;
}

interface Token {
  type: 'ident' | 'string' | 'number' | 'heredoc' | 'punct' | 'other';
  text: string;
  line: number;
}

function* hclTokens(text: string): Generator<Token> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') line++;
        i++;
      }
      i += 2;
    } else if (c === '"') {
      const start = i;
      const startLine = line;
      i++;
      let depth = 0; // inside ${ ... } a quote does not end the string
      while (i < n) {
        const d = text[i];
        if (d === '\\') i += 2;
        else if (d === '$' && text[i + 1] === '{') {
          depth++;
          i += 2;
        } else if (d === '}' && depth > 0) {
          depth--;
          i++;
        } else if (d === '"' && depth === 0) {
          i++;
          break;
        } else {
          if (d === '\n') line++;
          i++;
        }
      }
      yield { type: 'string', text: text.slice(start, i), line: startLine };
    } else if (c === '<' && text[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(text.slice(i));
      if (!m) {
        yield { type: 'other', text: '<<', line };
        i += 2;
        continue;
      }
      const startLine = line;
      i += m[0].length;
      line++;
      // The heredoc ends at a line holding only its marker.
      while (i < n) {
        const end = text.indexOf('\n', i);
        const current = end === -1 ? text.slice(i) : text.slice(i, end);
        i = end === -1 ? n : end + 1;
        if (current.trim() === m[1]) break;
        line++;
      }
      yield { type: 'heredoc', text: '<<heredoc>>', line: startLine };
      line++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(text.slice(i, i + 200))!;
      yield { type: 'ident', text: m[0], line };
      i += m[0].length;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^-?[0-9][0-9A-Za-z.+-]*/.exec(text.slice(i, i + 100))!;
      yield { type: 'number', text: m[0], line };
      i += m[0].length;
    } else if ('{}[]=:,'.includes(c)) {
      yield { type: 'punct', text: c, line };
      i++;
    } else {
      yield { type: 'other', text: c, line };
      i++;
    }
  }
}

const join = (path: string, segment: string) => (path ? `${path}.${segment}` : segment);
const unquote = (token: Token) => (token.type === 'string' ? token.text.slice(1, -1) : token.text);

/** Positions of the keys of an HCL file (blocks, attributes, object keys). Never throws: the parser reports syntax. */
export function locateHclKeys(text: string): KeyLocations {
  const out: KeyLocations = new Map();
  const tokens = [...hclTokens(text)];
  const stack: Frame[] = [{ kind: 'body', path: '', blockCounts: new Map(), listIndex: 0 }];
  let i = 0;
  const openValue = (path: string, token: Token | undefined) => {
    if (token?.text === '{') stack.push({ kind: 'body', path, blockCounts: new Map(), listIndex: 0 });
    else if (token?.text === '[') stack.push({ kind: 'list', path, blockCounts: new Map(), listIndex: 0 });
  };
  while (i < tokens.length) {
    const frame = stack[stack.length - 1];
    const token = tokens[i];
    if (token.text === '}' || token.text === ']') {
      if (stack.length > 1) stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'list') {
      if (token.text === ',') frame.listIndex++;
      else if (token.text === '{' || token.text === '[') openValue(`${frame.path}[${frame.listIndex}]`, token);
      i++;
      continue;
    }
    if ((token.type === 'ident' || token.type === 'string') && i + 1 < tokens.length) {
      const key = unquote(token);
      let j = i + 1;
      if (tokens[j].text === '=' || tokens[j].text === ':') {
        const value = tokens[j + 1];
        const path = join(frame.path, key);
        const single = value && value.type !== 'punct' && value.type !== 'heredoc';
        out.set(path, { line: token.line, raw: single ? value.text : undefined });
        openValue(path, value);
        i = j + 2;
        continue;
      }
      while (j < tokens.length && tokens[j].type === 'string') j++; // block labels
      if (tokens[j]?.text === '{') {
        const index = frame.blockCounts.get(key) ?? 0;
        frame.blockCounts.set(key, index + 1);
        const path = join(frame.path, `${key}[${index}]`);
        out.set(path, { line: token.line });
        stack.push({ kind: 'body', path, blockCounts: new Map(), listIndex: 0 });
        i = j + 1;
        continue;
      }
    }
    i++;
  }
  return out;
}

/** Positions of the keys of a JSON file, in the same path form (arrays give `name[i]`). */
export function locateJsonKeys(text: string): KeyLocations {
  const out: KeyLocations = new Map();
  const stack: { kind: 'object' | 'array'; path: string; index: number; pendingKey?: string }[] = [];
  let line = 1;
  let i = 0;
  const valuePath = () => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.kind === 'array') return `${top.path}[${top.index}]`;
    return join(top.path, top.pendingKey ?? '');
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const literal = text.slice(i, j + 1);
      const top = stack[stack.length - 1];
      let k = j + 1;
      while (/\s/.test(text[k] ?? '')) k++;
      if (top?.kind === 'object' && text[k] === ':') {
        let key: string;
        try {
          key = JSON.parse(literal) as string;
        } catch {
          key = literal.slice(1, -1);
        }
        top.pendingKey = key;
        let v = k + 1;
        while (/[ \t\r]/.test(text[v] ?? '')) v++;
        const rawMatch = /^(-?[0-9][0-9.eE+-]*|true|false|null|"(?:[^"\\]|\\.)*")/.exec(text.slice(v, v + 4096));
        out.set(join(top.path, key), { line, raw: rawMatch?.[0] });
      }
      i = j + 1;
    } else if (c === '{' || c === '[') {
      stack.push({ kind: c === '{' ? 'object' : 'array', path: valuePath(), index: 0 });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'array') top.index++;
      i++;
    } else {
      i++;
    }
  }
  return out;
}
