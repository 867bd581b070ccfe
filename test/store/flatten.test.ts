import { and, eq, gt, inArray, SQL, sql, StringChunk } from 'drizzle-orm';
import { alias, customType, integer, PgDialect, pgSchema, pgTable, pgView, QueryBuilder } from 'drizzle-orm/pg-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/policy/policy.js';
import { countersBump, counterColumns, fromJoins, historyColumns, selectJoined } from '../../src/services/counters.js';
import type { Deps } from '../../src/services/context.js';
import { quotaColumns, relationshipColumns } from '../../src/services/facts.js';
import { buildFlat } from '../../src/store/flatten.js';
import { sql as ourSql } from '../../src/store/sql.js';
import { conversations, events, memberCounters, members, messages } from '../../src/store/schema.js';

/** drizzle's own building, and ours: the same text, parameters and typings. */
const dialect = new PgDialect();
const ourDialect = buildFlat({ dialect: new PgDialect() }).dialect;
function same(q: SQL) {
  const theirs = dialect.sqlToQuery(q);
  const ours = ourDialect.sqlToQuery(q);
  expect(ours).toEqual(theirs);
  return ours;
}

const now = new Date('2026-11-30T21:30:00.123Z');
/** tables and columns built apart from plain ones: an alias, a table in a schema */
const other = alias(members, 'm2');
const inSchema = pgSchema('s').table('u', { id: integer('id') });
/** a column whose encoder answers a template (its value goes in as a statement part, parameters and all) */
const upper = customType<{ data: string }>({ dataType: () => 'text', toDriver: (v) => sql`upper(${v})` });
const shouting = pgTable('shouting', { word: upper('word') });
/** a subquery and a view, as a selection's proxy hands them on (no getSQL of their own there) */
const sub = new QueryBuilder().select({ id: members.id }).from(members).as('sq');
const view = pgView('v', { id: integer('id') }).existing();
const deps = { policy: DEFAULT_POLICY } as unknown as Deps;

describe('flattened statements build as drizzle builds them', () => {
  it('the facts and counter statements of a send and a profile view', () => {
    const quota = quotaColumns(7, now);
    const built = same(sql`select ${quota.columns}, ${relationshipColumns(deps, 7, 9, now)} ${fromJoins(quota)}`);
    expect(built.params.length).toBeGreaterThan(15);
    same(selectJoined(counterColumns(3, now)));
    same(sql`select ${historyColumns(3, now)}`);
    same(countersBump(3, now, { invitation: { note: true }, message: true, started: 'group', reported: true }));
  });

  it('query builders: tables, columns, typed parameters, arrays, joins, subqueries', () => {
    const b = (x: { getSQL(): SQL }) => same(x.getSQL());
    const qb = new QueryBuilder();
    b(qb.select({ id: members.id, handle: members.handle }).from(members).where(eq(members.id, 4)));
    b(
      qb
        .select()
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(and(gt(messages.createdAt, now), inArray(messages.senderId, [1, 2])))
        .limit(3),
    );
    b(sql`select ${members.id}, ${members.handle} from ${members} where ${eq(members.id, 4)}`);
    b(sql`select * from ${messages} m where ${and(eq(messages.conversationId, 2), gt(messages.createdAt, now), inArray(messages.senderId, [1, 2, 3]))}`);
    b(sql`update ${conversations} set ${sql.identifier('state')} = ${'open'} where id = any(${'{1,2}'}::bigint[]) and ${sql.raw('true')}`);
    b(sql`select ${sql.join([sql`1`, sql`${2}`, sql.raw('3'), sql`${null}`, sql`${true}`], sql`, `)}, ${[4, 5, sql`6`]}, ${sql.placeholder('p')}`);
    b(sql`select ${undefined}${sql``}${sql.empty()}x`);
    b(sql`select ${new SQL([new StringChunk(['1', ' + ', '2']), sql` + ${3}`])}`);
    b(sql`select 1${sql.raw(undefined as unknown as string)}${new SQL([new StringChunk([null as unknown as string])])}`);
    // a template whose parameters are inlined stays as it is (drizzle inlines them)
    const inlined = sql`select ${'a'}, ${1}`.inlineParams();
    b(sql`select 0 union all ${inlined}`);
  });

  it('random trees of templates, text and parameters', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
      fc.string().map((s) => sql.raw(s.replace(/\$/g, ''))),
      fc.string({ minLength: 1 }).map((s) => sql.identifier(s)),
      fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
      // drizzle's entities amid plain values: built by drizzle's code, numbered on from ours
      fc.constantFrom<unknown>(members.id, conversations, messages.createdAt, sql.placeholder('p'), sql.param(now, messages.createdAt), sql.param(3)),
      // tables, columns and encoded parameters of each kind: plain, aliased, in a schema; json, instants, text, null
      fc.constantFrom<unknown>(other, other.id, inSchema, inSchema.id, events, events.payload, memberCounters.messagesAt),
      fc.constantFrom<unknown>(sub, sub.id, view, view.id),
      fc.constantFrom<unknown>(
        sql.param({ a: [1, 'b'] }, events.payload),
        sql.param([now, now], memberCounters.messagesAt),
        sql.param(null, messages.createdAt),
        sql.param('x', members.handle),
        sql.param(7, inSchema.id),
        sql.param(sql.placeholder('q'), members.id),
        sql.param('hey', shouting.word),
        sql.param(null, null as never),
      ),
      fc.array(fc.oneof(fc.integer(), fc.constant(sql`x`), fc.constant(members.handle), fc.constant(undefined)), { maxLength: 3 }),
      // plain objects and buffers are parameters as they are
      fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2, noNullPrototype: true }),
      fc.uint8Array({ maxLength: 3 }).map((a) => Buffer.from(a)),
    );
    const tree = fc.letrec<{ node: SQL }>((tie) => ({
      node: fc
        .tuple(
          fc.array(fc.string(), { minLength: 1, maxLength: 5 }),
          fc.array(fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { maxLength: 4 }),
          fc.boolean(),
        )
        .map(([texts, values, inline]) => {
          const strings = texts.slice(0, values.length + 1);
          while (strings.length < values.length + 1) strings.push(' ');
          const t = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
          const q = sql(t, ...values.slice(0, strings.length - 1));
          return inline && values.every((v) => typeof v !== 'object' || v === null) ? q.inlineParams() : q;
        }),
    })).node;
    fc.assert(
      fc.property(tree, (q) => void same(q)),
      { numRuns: 500 },
    );
  });
});

describe("the services' sql tag (src/store/sql.ts)", () => {
  it('makes the template drizzle makes: the same chunks, used tables and fields; its helpers are drizzle’s', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constantFrom<unknown>(
        members,
        conversations,
        messages.createdAt,
        sql`nested ${1}`,
        sql.raw('x'),
        pgTable('t', {}, () => []),
        pgSchema('s').table('u', {}),
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), fc.array(value, { maxLength: 4 }), (texts, values) => {
        const strings = texts.slice(0, values.length + 1);
        while (strings.length < values.length + 1) strings.push('');
        const t = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
        const params = values.slice(0, strings.length - 1);
        expect(ourSql(t, ...(params as never[]))).toEqual(sql(t, ...(params as never[])));
      }),
      { numRuns: 300 },
    );
    expect(ourSql.raw).toBe(sql.raw);
    expect(ourSql.join).toBe(sql.join);
    expect(ourSql.empty).toBe(sql.empty);
    expect(ourSql``).toEqual(sql``);
  });
});
