-- Search (DOMAIN.md 10, issue 20): the candidates of a query come from indexes of words instead of
-- a scan of every member. search_words: one row per distinct word of an active member's name and
-- handle (field 0) or headline (field 1), split as src/policy/search.ts searchWords does (NFKC,
-- lower case, runs of letters and digits; cut at 200 characters, the most a btree entry may hold
-- safely). search_vocabulary: every word once, where typos are looked up. A trigger on members
-- keeps both in the same transaction as every write of name, handle, headline or status (sign-up,
-- profile edits, admin, import, deactivate, close).
CREATE TABLE "search_vocabulary" (
	"word" text COLLATE "C" PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_words" (
	"member_id" integer NOT NULL,
	"field" integer NOT NULL,
	"word" text COLLATE "C" NOT NULL,
	CONSTRAINT "search_words_member_id_field_word_pk" PRIMARY KEY("member_id","field","word")
);
--> statement-breakpoint
ALTER TABLE "search_words" ADD CONSTRAINT "search_words_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- levenshtein_less_equal decides typos in the query itself (the policy's rule, so the candidate cap
-- keeps the best matches); pg_trgm (0007) finds the words two letters off.
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;--> statement-breakpoint
CREATE OR REPLACE FUNCTION liaison_words(t text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
  SELECT DISTINCT left(w, 200)
    FROM regexp_split_to_table(lower(CASE WHEN getdatabaseencoding() = 'UTF8' THEN normalize(t, NFKC) ELSE t END), '[^[:alnum:]]+') AS w
   WHERE w <> ''
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION liaison_search_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.name IS NOT DISTINCT FROM NEW.name AND OLD.handle IS NOT DISTINCT FROM NEW.handle
       AND OLD.headline IS NOT DISTINCT FROM NEW.headline AND OLD.status IS NOT DISTINCT FROM NEW.status THEN
      RETURN NULL;
    END IF;
    DELETE FROM search_words WHERE member_id = OLD.id;
  END IF;
  IF NEW.status = 'active' THEN
    INSERT INTO search_words (member_id, field, word)
      SELECT NEW.id, 0, w FROM liaison_words(NEW.name || ' ' || NEW.handle) AS w
      UNION ALL
      SELECT NEW.id, 1, w FROM liaison_words(NEW.headline) AS w;
    INSERT INTO search_vocabulary (word)
      SELECT w FROM liaison_words(NEW.name || ' ' || NEW.handle || ' ' || NEW.headline) AS w
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER members_search_words AFTER INSERT OR UPDATE OF name, handle, headline, status ON members
  FOR EACH ROW EXECUTE FUNCTION liaison_search_words_sync();--> statement-breakpoint
-- the members already there (the indexes after the load)
INSERT INTO search_words (member_id, field, word)
  SELECT m.id, 0, w FROM members m, liaison_words(m.name || ' ' || m.handle) AS w WHERE m.status = 'active'
  UNION ALL
  SELECT m.id, 1, w FROM members m, liaison_words(m.headline) AS w WHERE m.status = 'active';--> statement-breakpoint
INSERT INTO search_vocabulary (word) SELECT DISTINCT word FROM search_words;--> statement-breakpoint
CREATE INDEX "search_vocabulary_reverse_idx" ON "search_vocabulary" USING btree (reverse("word")) INCLUDE ("word");--> statement-breakpoint
CREATE INDEX "search_vocabulary_trgm_idx" ON "search_vocabulary" USING gin ("word" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "search_vocabulary_short_idx" ON "search_vocabulary" USING btree ("word") WHERE char_length("search_vocabulary"."word") <= 2;--> statement-breakpoint
CREATE INDEX "search_words_word_idx" ON "search_words" USING btree ("word","member_id","field");--> statement-breakpoint
-- the trigram indexes over whole names and headlines (0007) served the scan this replaces
DROP INDEX IF EXISTS "members_search_name_trgm";--> statement-breakpoint
DROP INDEX IF EXISTS "members_search_headline_trgm";
