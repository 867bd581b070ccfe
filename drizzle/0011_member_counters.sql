CREATE TABLE "member_counters" (
	"member_id" bigint PRIMARY KEY NOT NULL,
	"invitations_at" timestamp with time zone[] DEFAULT '{}' NOT NULL,
	"notes_month" timestamp with time zone,
	"notes" integer DEFAULT 0 NOT NULL,
	"reported_at" timestamp with time zone[] DEFAULT '{}' NOT NULL,
	"messages_at" timestamp with time zone[] DEFAULT '{}' NOT NULL,
	"conversations_month" timestamp with time zone,
	"non_connection" integer DEFAULT 0 NOT NULL,
	"group" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "member_counters" ADD CONSTRAINT "member_counters_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- What members did before this migration, counted at the database's clock: the windows' instants
-- (7 days of invitations, 90 days of reports, a minute of messages) and this month's notes and
-- conversations started with non-connections (src/services/counters.ts).
INSERT INTO "member_counters" ("member_id", "invitations_at", "notes_month", "notes", "reported_at", "messages_at", "conversations_month", "non_connection", "group")
SELECT x.member_id,
  coalesce(array_agg(x.at ORDER BY x.at) FILTER (WHERE x.kind = 'invitation'), '{}'),
  date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
  count(*) FILTER (WHERE x.kind = 'note'),
  coalesce(array_agg(x.at ORDER BY x.at) FILTER (WHERE x.kind = 'reported'), '{}'),
  coalesce(array_agg(x.at ORDER BY x.at) FILTER (WHERE x.kind = 'message'), '{}'),
  date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
  count(*) FILTER (WHERE x.kind IN ('non_connection', 'group')),
  count(*) FILTER (WHERE x.kind = 'group')
FROM (
  SELECT "from_id" AS member_id, 'invitation' AS kind, "created_at" AS at FROM "invitations" WHERE "created_at" > now() - interval '7 days'
  UNION ALL SELECT "from_id", 'note', "created_at" FROM "invitations" WHERE "note" IS NOT NULL AND "created_at" >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  UNION ALL SELECT "from_id", 'reported', "reported_at" FROM "invitations" WHERE "reported_at" > now() - interval '90 days'
  UNION ALL SELECT "sender_id", 'message', "created_at" FROM "messages" WHERE "created_at" > now() - interval '1 minute'
  UNION ALL SELECT "starter_id", CASE WHEN "channel" = 'group' THEN 'group' ELSE 'non_connection' END, "created_at" FROM "conversations"
    WHERE "channel" <> 'direct' AND "created_at" >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
) x
GROUP BY x.member_id;
