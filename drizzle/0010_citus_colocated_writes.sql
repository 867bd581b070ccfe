-- Issue 18, what a Citus cluster showed (docs/SCALING.md, "What ran"):
-- 1. The search words are written by the services in the writer's transaction
--    (src/store/search-words.ts), no longer by the trigger of migration 0008: on Citus the trigger
--    ran on the member row's shard and wrote other shards from there (nested distributed execution),
--    writes that Citus's two-phase commit of the row's transaction leaves out (workers failed, and
--    crashed, in COMMIT PREPARED). One code path on every storage.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    -- members is distributed there (an earlier plan): Citus drops its trigger only when told it is
    -- meant, and the function after it and the changes below only one shard at a time
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    EXECUTE format('ALTER DATABASE %I RESET citus.allow_nested_distributed_execution', current_database());
  END IF;
  DROP TRIGGER IF EXISTS "members_search_words" ON "members";
END $$;--> statement-breakpoint
DROP FUNCTION IF EXISTS liaison_search_words_sync();--> statement-breakpoint
-- 2. notification_actors carries its group's recipient (notifications.member_id), so the actors sit
--    beside their group (co-located by member on Citus) and every statement on them names the member.
ALTER TABLE "notification_actors" ADD COLUMN "member_id" bigint;--> statement-breakpoint
DO $$
DECLARE
  r record;
  placed boolean := false;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    EXECUTE $q$SELECT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'notification_actors'::regclass)$q$ INTO placed;
  END IF;
  IF placed THEN
    -- placed by notification id (migration 0009's plan): one routed update per group; the key to
    -- members fits only once `liaison migrate` has placed the table by member (src/store/distribution.ts)
    FOR r IN SELECT id, member_id FROM notifications LOOP
      UPDATE notification_actors SET member_id = r.member_id WHERE notification_id = r.id;
    END LOOP;
  ELSE
    UPDATE notification_actors na SET member_id = n.member_id FROM notifications n WHERE n.id = na.notification_id;
    ALTER TABLE "notification_actors" ADD CONSTRAINT "notification_actors_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;
  END IF;
END $$;--> statement-breakpoint
ALTER TABLE "notification_actors" ALTER COLUMN "member_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "notification_actors" DROP CONSTRAINT "notification_actors_notification_id_actor_id_pk";--> statement-breakpoint
ALTER TABLE "notification_actors" ADD CONSTRAINT "notification_actors_member_id_notification_id_actor_id_pk" PRIMARY KEY("member_id","notification_id","actor_id");
