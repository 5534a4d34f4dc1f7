/**
 * The methods each registered route pattern takes, so that a request for a
 * known path with another method is answered 405 with `Allow` (RFC 9110
 * §15.5.6) rather than 404. Fastify's router answers only "no route".
 */
export class RouteMethods {
  readonly #routes: { pattern: RegExp; methods: Set<string> }[] = [];
  readonly #byUrl = new Map<string, Set<string>>();

  /** Records a route as Fastify's `onRoute` hook sees it. */
  add(method: string | readonly string[], url: string): void {
    let methods = this.#byUrl.get(url);
    if (methods === undefined) {
      methods = new Set();
      this.#byUrl.set(url, methods);
      this.#routes.push({ pattern: patternOf(url), methods });
    }
    for (const m of typeof method === 'string' ? [method] : method) methods.add(m.toUpperCase());
  }

  /** The methods some route of `path` takes, sorted; empty when no route has this path. */
  allowed(path: string): string[] {
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
    }
    return [...allowed].sort();
  }
}

/** `/models/:name/predict` → `^/models/[^/]+/predict$`; `*` matches the rest of the path. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
