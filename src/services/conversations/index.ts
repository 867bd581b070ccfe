/**
 * Conversations, split by job: the pair helpers (pair.ts), what a member reads (reads.ts), the verbs
 * on a conversation (verbs.ts) and reports (reports.ts). Importers take what they need from here.
 */
export * from './pair.js';
export * from './reads.js';
export * from './verbs.js';
export * from './reports.js';
