/** A tiny hash router: `#/a/b?x=1` → { path: ['a','b'], query }. No dependencies. */
import { useSyncExternalStore } from 'react';

export interface Route {
  /** decoded path segments, e.g. ['messages', '42'] */
  path: string[];
  query: URLSearchParams;
  /** the hash without '#', e.g. '/messages/42?as=acme' */
  raw: string;
}

function currentHash(): string {
  return location.hash.replace(/^#/, '') || '/';
}

export function parseRoute(raw: string): Route {
  const q = raw.indexOf('?');
  const pathPart = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const path = pathPart
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query, raw };
}

let hashChanges = 0;
if (typeof window !== 'undefined') window.addEventListener('hashchange', () => hashChanges++);
/** How many times the route changed since the page loaded (0 on a fresh load). */
export function routeChanges(): number {
  return hashChanges;
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

let cachedRaw = '';
let cachedRoute: Route = parseRoute('/');

function snapshot(): Route {
  const raw = currentHash();
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    cachedRoute = parseRoute(raw);
  }
  return cachedRoute;
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

/** Build a hash link: link(['profile', handle], { as: 'acme' }) → '#/profile/handle?as=acme' */
export function link(path: string[], query?: Record<string, string | null | undefined>): string {
  const p = '#/' + path.map((s) => encodeURIComponent(s)).join('/');
  const params = new URLSearchParams();
  if (query) for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  return qs ? `${p}?${qs}` : p;
}

export function navigate(href: string, replace = false): void {
  const target = href.startsWith('#') ? href : '#' + href;
  if (replace) {
    history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}
