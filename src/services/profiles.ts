/**
 * Reads of the network: a profile as the viewer sees it (DOMAIN.md 4), mutual connections, the
 * "why can't I message X?" decision, search and suggestions. Degrees and mutuals come from the
 * graph index; members hidden from the viewer never appear.
 */
import { type SQL } from 'drizzle-orm';
import { sql } from '../store/sql.js';
import { decideMessage } from '../policy/message.js';
import { decideProfile } from '../policy/profile.js';
import type { Decision } from '../policy/types.js';
import { rowsOf, selectRows, type Runner } from '../store/db.js';
import type { Deps } from './context.js';
import { unlessHidden } from './hidden.js';
import { gatherFacts } from './facts.js';
import { expiryCutoff } from './invitations.js';
import { cachedMemberByHandle, cachedMembersByIds, membersByIds, type ApiMember, type MemberRecord } from './members.js';
import { memberFor, openToAs } from './projection.js';
import { degreeRank, searchMatch, searchWords, seesLimitedProfile, type Degree } from '../policy/index.js';
import { badRequest } from './errors.js';
import { visibleMember } from './relations.js';

/** How many mutual connections a profile shows, and how many introduction paths it offers. */
const SAMPLE = 3;
const INTRODUCTIONS = 3;

/** API.md shapes: the contract's types (src/contract), under the names the services use. */
import type { Profile as ApiProfile } from '../contract/index.js';
export type { ApiProfile };

/** The viewer sees the member's limited profile (the policy's profileVisibility rule). */
function seesLimited(m: MemberRecord, degree: Degree, self: boolean): boolean {
  return seesLimitedProfile(m.settings.profileVisibility, self ? { kind: 'self' } : { kind: 'member', degree });
}

export async function profile(deps: Deps, db: Runner, viewer: MemberRecord, handle: string, now: Date): Promise<ApiProfile> {
  const m = await visibleMember(deps, null, viewer, handle);
  const self = m.id === viewer.id;
  const { facts, invitation } = await gatherFacts(deps, db, viewer, m, now, { introductions: INTRODUCTIONS, cached: true });
  const { primaryAction, actions } = decideProfile(facts, now, deps.policy);
  const degree = self ? null : facts.relationship.degree;
  const limited = seesLimited(m, degree, self);
  const mut = self || !limited ? { count: 0, items: [] as number[] } : deps.graph.mutuals(viewer.id, m.id, { limit: SAMPLE });
  const sample = await cachedMembersByIds(deps, mut.items);
  const full = self || degree === 1;
  const api = memberFor(deps, viewer.id, m, now, degree);
  const inv = facts.relationship.invitation;
  const openTo = openToAs(m, self ? { kind: 'self' } : { kind: 'member', degree });
  return {
    member: api,
    full,
    ...(full ? { about: m.about } : {}),
    ...(openTo ? { openTo } : {}),
    degree,
    mutualConnections: {
      count: self || limited ? mut.count : null,
      sample: mut.items
        .map((id) => sample.get(id))
        .filter(Boolean)
        .map((x) => memberFor(deps, viewer.id, x!, now, 1)),
    },
    relationship: {
      connected: degree === 1,
      following: !self && deps.graph.isFollowing(viewer.id, m.id),
      followedBy: !self && deps.graph.isFollowing(m.id, viewer.id),
      invitation: inv && invitation ? { id: String(invitation.id), direction: inv.direction } : null,
    },
    primaryAction,
    actions,
  };
}

export async function mutuals(deps: Deps, db: Runner, viewer: MemberRecord, handle: string, now: Date, page: { cursor?: number; limit: number }) {
  const m = await visibleMember(deps, null, viewer, handle);
  const limited = m.id === viewer.id ? false : seesLimited(m, deps.graph.degree(viewer.id, m.id), false);
  if (!limited) return { items: [] as ApiMember[], nextCursor: null };
  const res = deps.graph.mutuals(viewer.id, m.id, { limit: page.limit + 1, after: page.cursor ?? 0 });
  const ids = res.items.slice(0, page.limit);
  const byId = await cachedMembersByIds(deps, ids);
  return {
    items: ids
      .map((id) => byId.get(id))
      .filter(Boolean)
      .map((x) => memberFor(deps, viewer.id, x!, now, 1)),
    nextCursor: res.items.length > page.limit ? String(ids[ids.length - 1]) : null,
  };
}

/** "Why can't I message X?": the same decision the send enforces, with nothing about what X hid. */
export async function messageDecision(deps: Deps, db: Runner, viewer: MemberRecord, handle: string, now: Date): Promise<Decision> {
  // A hidden member is decided as an unknown handle is: same answer, same path (issue 15).
  const m = unlessHidden(deps, viewer.id, await cachedMemberByHandle(deps, handle));
  const { facts } = await gatherFacts(deps, db, viewer, m, now, { introductions: INTRODUCTIONS, cached: true });
  return decideMessage(facts, {}, now, deps.policy);
}

/** At most this many candidates are ranked for one query (the most specific words narrow it). */
const SEARCH_CANDIDATES = 1000;
/** A query's words each must match (DOMAIN.md 10): more than this many is refused, not cut. */
export const SEARCH_WORDS = 8;

export interface SearchHit {
  member: ApiMember;
  degree: 1 | 2 | 3 | null;
}

/** A search cursor: the last hit's place in the ranking (degree rank, match quality, id). */
function encodeSearchCursor(rank: number, quality: number, id: number): string {
  return `${rank}.${quality}.${id}`;
}

function decodeSearchCursor(raw: string | undefined): [number, number, number] | null {
  if (raw === undefined || raw === '') return null;
  const m = /^([1-4])\.([0-9]{1,4})\.([0-9]{1,10})$/.exec(raw);
  if (!m || Number(m[3]) > 2_147_483_647) throw badRequest('cursor: not a cursor this list gave', { field: 'cursor' });
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The code point after every letter and digit: `w <= word < w || TOP` is "word starts with w" (words are collate "C"). */
const TOP = '\u{10FFFF}';
/** levenshtein_less_equal takes at most 255 characters; stored words are cut at 200 (migration 0008). */
const LEVENSHTEIN_MAX = 255;

/**
 * The index-backed lookups of one query word (migration 0008): rows (member_id, field, q, i) with
 * q the policy's match quality (0 the word, 1 a word it starts, 2 a typo). Words and prefixes come
 * from search_words; typos from search_vocabulary, a distinct word at a time (one letter off, under
 * 8 letters: the first half or the last half of the word is kept, prefix and reverse btrees; two
 * letters off: trigrams), decided by levenshtein_less_equal (the policy's rule), then their members.
 */
function wordLookups(w: string, i: number): SQL {
  const cp = [...w];
  const starts = (col: SQL, p: string) => sql`${col} >= ${p} and ${col} < ${p + TOP}`;
  const word = sql.raw('word');
  const exact = sql`select member_id, field, case when word = ${w} then 0 else 1 end as q, ${i}::int as i
                      from search_words where ${starts(word, w)}`;
  if (cp.length > LEVENSHTEIN_MAX) return exact;
  const k = cp.length >= 8 ? 2 : 1;
  const close = sql`not (${starts(word, w)})
                    and (case when char_length(word) <= ${LEVENSHTEIN_MAX} then levenshtein_less_equal(${w}, word, ${k}) else ${k + 1} end) <= ${k}`;
  let typos: SQL;
  if (k === 2) typos = sql`select word from search_vocabulary where ${w} <% word and ${close}`;
  else if (cp.length === 1) typos = sql`select word from search_vocabulary where char_length(word) <= 2 and ${close}`;
  else {
    // each half its own index-only scan (the primary key; the reverse index carries the word)
    const h = Math.floor(cp.length / 2);
    typos = sql`select word from search_vocabulary where ${starts(word, cp.slice(0, h).join(''))} and ${close}
                union select word from search_vocabulary where ${starts(sql.raw('reverse(word)'), cp.slice(h).reverse().join(''))} and ${close}`;
  }
  return sql`${exact} union all select member_id, field, 2, ${i}::int from search_words where word = any(array(${typos}))`;
}

/**
 * The viewer's 2nd- and 3rd-degree members are ranked in the query (and a degree filter narrows it
 * to them) when a layer has at most this many members, reached within this many edges of the graph.
 */
const SEARCH_REACH = 20_000;
const SEARCH_WALK_EDGES = 500_000;

/** Which members a search's candidates are drawn from (the degree filter): only these, or none of these. */
export interface SearchScope {
  only?: number[];
  except?: number[];
}

/** The viewer's members by degree: [1st, 2nd, 3rd]; a layer the graph did not give is null. */
export type SearchLayers = [number[], number[] | null, number[] | null];

/**
 * The candidate query's settings, for its transaction: words two letters off share few trigrams with
 * the query (a low threshold, levenshtein decides); common words give some 100,000 rows to group
 * (room to do it in memory); a plan made for this query's id lists (custom: a list passed as a value
 * is hashed once, where a generic plan compares each candidate with every id of it: the candidate
 * query of headline words took 36-43 against 21-26 ms a query in bench:search, 4,000 2nd-degree ids).
 */
export const SEARCH_SETTINGS = sql`select set_config('pg_trgm.word_similarity_threshold', '0.3', true), set_config('work_mem', '64MB', true),
  set_config('plan_cache_mode', 'force_custom_plan', true)`;

/** The viewer's members by degree as search ranks them (the 2nd and 3rd are not needed when only connections are asked for). Exported for bench/search.ts. */
export function searchLayers(graph: Deps['graph'], viewerId: number, degrees: Set<number> | null): SearchLayers {
  const reach =
    degrees !== null && degrees.size === 1 && degrees.has(1) ? { second: [], third: [] } : graph.reachIds(viewerId, SEARCH_REACH, SEARCH_WALK_EDGES);
  return [graph.connectionsOf(viewerId), reach.second, reach.third];
}

const idArray = (ids: number[]) => sql`${`{${ids.join(',')}}`}::bigint[]`;

/**
 * The candidates of a search (the query words as searchWords gives them): at most SEARCH_CANDIDATES
 * active members other than the viewer that match every word, ranked as DOMAIN.md 10 ranks them:
 * by degree (the layers known: 1st, 2nd, 3rd, then the rest), then by match quality (a headline's
 * words only where the viewer may see them, `network` counted as seen), then id. Rows: id, name,
 * handle, headline, visibility. Exported for bench/search.ts.
 */
export function searchCandidates(words: string[], viewerId: number, layers: SearchLayers, scope: SearchScope = {}): SQL {
  const conns = idArray(layers[0]);
  const own = sql.join(
    words.map((_, i) => sql`min(x.q) filter (where x.i = ${i} and x.field = 0)`),
    sql` + `,
  );
  const any = sql.join(
    words.map((_, i) => sql`min(x.q) filter (where x.i = ${i})`),
    sql` + `,
  );
  const only = scope.only ? sql`and x.member_id = any(${idArray(scope.only)})` : sql``;
  const except = scope.except?.length ? sql`and not (x.member_id = any(${idArray(scope.except)}))` : sql``;
  const further = layers.slice(1).flatMap((ids) => (ids?.length ? [sql`(member_id = any(${idArray(ids)})) desc, `] : []));
  return sql`
    with c as (
      select x.member_id, ${own} as own, ${any} as anyq
        from (${sql.join(words.map(wordLookups), sql` union all `)}) x
       where x.member_id <> ${viewerId} ${only} ${except}
       group by x.member_id
      having bit_or(1 << x.i) = ${(1 << words.length) - 1}
    ), top as (
      select c.member_id, coalesce(s.profile_visibility, 'everyone') as visibility,
             case when coalesce(s.profile_visibility, 'everyone') <> 'connections' or c.member_id = any(${conns}) then c.anyq else c.own end as quality
        from c left join settings s on s.member_id = c.member_id
    )
    select m.id, m.name, m.handle, m.headline, top.visibility
      from (select * from top where quality is not null
             order by (member_id = any(${conns})) desc, ${sql.join(further, sql``)}quality, member_id limit ${SEARCH_CANDIDATES}) top
      join members m on m.id = top.member_id`;
}

/**
 * What a degree filter lets the query leave out: when every degree asked for has its layer, only
 * those members; otherwise none of the known layers not asked for.
 */
export function searchScope(degrees: Set<number> | null, layers: SearchLayers): SearchScope {
  if (degrees === null) return {};
  const asked = [1, 2, 3].filter((d) => degrees.has(d));
  if (asked.every((d) => layers[d - 1] !== null)) return { only: asked.flatMap((d) => layers[d - 1]!) };
  return { except: [1, 2, 3].filter((d) => !degrees.has(d)).flatMap((d) => layers[d - 1] ?? []) };
}

/**
 * Search (DOMAIN.md 10): words of name, handle and headline, typo-tolerant, ranked by degree then
 * match quality (then id, so cursors are stable). The search_words indexes find the candidates and
 * their match quality; the best SEARCH_CANDIDATES (by degree as far as the graph gives the layers) are ranked by
 * the policy's searchMatch on the member's own words; a headline's words count only for viewers
 * within its profileVisibility (in the query for `everyone` and `connections`; `network` is decided
 * here, with the degree).
 */
export async function search(
  deps: Deps,
  db: Runner,
  viewer: MemberRecord,
  q: string,
  degrees: Set<number> | null,
  now: Date,
  page: { cursor?: string; limit: number },
): Promise<{ items: SearchHit[]; nextCursor: string | null }> {
  const after = decodeSearchCursor(page.cursor);
  const words = [...new Set(searchWords(q))];
  if (words.length > SEARCH_WORDS) throw badRequest(`q: at most ${SEARCH_WORDS} different words`, { field: 'q' });
  if (words.length === 0) return { items: [], nextCursor: null };
  const layers = searchLayers(deps.graph, viewer.id, degrees);
  const query = searchCandidates(words, viewer.id, layers, searchScope(degrees, layers));
  // Candidates with just what the rule needs (the full records only for the page shown).
  const candidates = await db.transaction(async (tx) => {
    await tx.execute(SEARCH_SETTINGS);
    return rowsOf(await tx.execute(query)) as { id: number; name: string; handle: string; headline: string; visibility: string }[];
  });
  const ranked: { id: number; degree: 1 | 2 | 3 | null; rank: number; quality: number }[] = [];
  for (const c of candidates) {
    if (deps.graph.isBlockedEitherWay(viewer.id, c.id)) continue;
    const degree = deps.graph.degree(viewer.id, c.id);
    if (degrees && (degree === null || !degrees.has(degree))) continue;
    const visibility = (c.visibility ?? 'everyone') as MemberRecord['settings']['profileVisibility'];
    const own = searchWords(`${c.name} ${c.handle}`);
    const head = seesLimitedProfile(visibility, { kind: 'member', degree }) ? searchWords(c.headline) : [];
    const quality = searchMatch(words, [...own, ...head]);
    if (quality === null) continue;
    ranked.push({ id: c.id, degree, rank: degreeRank(degree), quality });
  }
  ranked.sort((x, y) => x.rank - y.rank || x.quality - y.quality || x.id - y.id);
  const start = after ? ranked.findIndex((r) => cmp([r.rank, r.quality, r.id], after) > 0) : 0;
  const from = start < 0 ? ranked.length : start;
  const slice = ranked.slice(from, from + page.limit);
  const byId = await membersByIds(
    db,
    slice.map((r) => r.id),
  );
  const last = slice[slice.length - 1];
  return {
    items: slice.flatMap((r) => {
      const m = byId.get(r.id);
      return m ? [{ member: memberFor(deps, viewer.id, m, now, r.degree), degree: r.degree }] : [];
    }),
    nextCursor: last && from + page.limit < ranked.length ? encodeSearchCursor(last.rank, last.quality, last.id) : null,
  };
}

function cmp(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * People you may know: 2nd degree, ranked by mutual connections; no pending invitation either way,
 * nor an ignored one, whoever ignored it and however old (the two sides were treated apart: found by
 * a reviewer), nor a member who reported the viewer's invitation.
 */
export async function suggestions(deps: Deps, db: Runner, viewer: MemberRecord, now: Date, page: { cursor?: number; limit: number }) {
  const cutoff = expiryCutoff(deps, now);
  const rows = await selectRows<{ id: unknown }>(
    db,
    sql`
    select to_id as id from invitations where from_id = ${viewer.id}
      and ((status = 'pending' and created_at > ${cutoff}) or status = 'ignored' or reported_at is not null)
    union
    select from_id as id from invitations where to_id = ${viewer.id} and ((status = 'pending' and created_at > ${cutoff}) or status = 'ignored')
  `,
  );
  const excluded = new Set(rows.map((r) => Number(r.id)));
  const offset = page.cursor ?? 0;
  const found = deps.graph.suggestions(viewer.id, { limit: offset + page.limit + 1, exclude: (id) => excluded.has(id) });
  const slice = found.slice(offset, offset + page.limit);
  const byId = await membersByIds(
    db,
    slice.map((s) => s.id),
  );
  const items = slice
    .filter((s) => byId.get(s.id)?.status === 'active')
    .map((s) => {
      const m = byId.get(s.id)!;
      // suggestions are 2nd degree; outside profileVisibility the mutual count is null (DOMAIN.md 7)
      return { member: memberFor(deps, viewer.id, m, now, 2), mutualConnections: seesLimited(m, 2, false) ? s.mutualConnections : null };
    });
  return { items, nextCursor: found.length > offset + page.limit ? String(offset + page.limit) : null };
}
