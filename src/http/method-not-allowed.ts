/**
 * 405 Method Not Allowed, decided only where it can apply: in the not-found
 * handler, i.e. when no route matched the method and path. A middleware would
 * add a layer (and an await) to every request for an answer only an unmatched
 * request can get. Same rule as hono/method-not-allowed: the methods of the
 * routes whose pattern matches the path (GET implies HEAD; middleware, which is
 * registered as ALL, does not count); none, or the request's own among them: 404.
 */
import { TrieRouter } from "hono/router/trie-router";

interface RouteLike {
  method: string;
  path: string;
}

/** Methods allowed on a path, from `app.routes` as they stand at the first call (all routes are mounted by then). */
export function allowedMethods(app: { routes: readonly RouteLike[] }): (path: string) => string[] {
  let router: TrieRouter<string[]> | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const route of app.routes) {
      if (route.method === "ALL" || route.method === "HEAD") continue;
      const methods = byPath.get(route.path) ?? new Set<string>();
      methods.add(route.method);
      if (route.method === "GET") methods.add("HEAD");
      byPath.set(route.path, methods);
    }
    const r = new TrieRouter<string[]>();
    for (const [path, methods] of byPath) r.add("ALL", path, [...methods]);
    return r;
  };
  return (path) => {
    router ??= build();
    const allowed = new Set<string>();
    for (const [methods] of router.match("ALL", path)[0]) for (const m of methods) allowed.add(m);
    return [...allowed];
  };
}
