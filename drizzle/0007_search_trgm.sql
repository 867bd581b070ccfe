-- Search (DOMAIN.md 10): trigram indexes find the candidates (a word start, or a word one or two
-- letters off); the service applies the exact rule. pg_trgm ships with PostgreSQL and PGlite.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "members_search_name_trgm" ON "members" USING gin ((lower("name" || ' ' || "handle")) gin_trgm_ops);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "members_search_headline_trgm" ON "members" USING gin ((lower("headline")) gin_trgm_ops);
