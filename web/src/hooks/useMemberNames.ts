/**
 * Display names for handles (decisions and unlocks carry handles only): each profile is asked once
 * per page load and remembered.
 */
import { useEffect, useState } from 'react';
import { api } from '../api';

const known = new Map<string, string>();
const pending = new Map<string, Promise<void>>();

export function rememberName(handle: string, name: string): void {
  known.set(handle.toLowerCase(), name);
}

export function useMemberNames(handles: string[]): (handle: string) => string {
  const [, setTick] = useState(0);
  const key = handles.join(',');
  useEffect(() => {
    let live = true;
    const missing = key
      .split(',')
      .filter(Boolean)
      .filter((h) => !known.has(h.toLowerCase()));
    for (const h of missing) {
      let p = pending.get(h);
      if (!p) {
        p = api
          .profile(h)
          .then((prof) => rememberName(h, prof.member.name))
          .catch(() => undefined);
        pending.set(h, p);
      }
      void p.then(() => {
        if (live) setTick((t) => t + 1);
      });
    }
    return () => {
      live = false;
    };
  }, [key]);
  return (h: string) => known.get(h.toLowerCase()) ?? h;
}
