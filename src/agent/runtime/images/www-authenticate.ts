/**
 * Parses `WWW-Authenticate` challenges (RFC 7235) as registries send them:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`
 * or `Basic realm="Registry Realm"`. Several challenges may share one header.
 */
export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  scheme: string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string | null): Challenge[] {
  if (header === null) return [];
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9!#$%&'*+\-.^_`|~]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    while (s[i] === ',') {
      i++;
      skipWs();
    }
    const scheme = token();
    if (scheme === '') break;
    const params: Record<string, string> = {};
    out.push({ scheme: scheme.toLowerCase(), params });
    skipWs();
    for (;;) {
      const save = i;
      skipWs();
      const key = token();
      skipWs();
      if (key === '' || s[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      params[key.toLowerCase()] = value;
      skipWs();
      if (s[i] === ',') {
        i++;
        // A comma may also start the next challenge: peek for "token SP".
        const peek = i;
        skipWs();
        const next = token();
        skipWs();
        if (next !== '' && s[i] !== '=') {
          i = peek;
          break;
        }
        i = peek;
        continue;
      }
      break;
    }
  }
  return out;
}
