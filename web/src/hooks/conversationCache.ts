/** Conversations seen in lists, so that a conversation view knows its state without a request. */
import { api, type Conversation, type Folder } from '../api';

const cache = new Map<string, Conversation>();

function key(id: string, as: string | null | undefined): string {
  return `${as ?? ''}:${id}`;
}

export const FOLDERS: Folder[] = ['inbox', 'requests', 'filtered'];

export function remember(c: Conversation, as: string | null | undefined): void {
  cache.set(key(c.id, as), c);
}

export function cached(id: string, as: string | null | undefined): Conversation | null {
  return cache.get(key(id, as)) ?? null;
}

/** The conversation's summary: the cache, else the folders' first pages. */
export async function findConversation(id: string, as: string | null): Promise<Conversation | null> {
  const hit = cached(id, as);
  if (hit) return hit;
  for (const folder of FOLDERS) {
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const l = await api.conversations(folder, as, cursor);
      l.items.forEach((c) => remember(c, as));
      const found = l.items.find((c) => c.id === id);
      if (found) return found;
      if (!l.nextCursor) break;
      cursor = l.nextCursor;
    }
  }
  return null;
}
