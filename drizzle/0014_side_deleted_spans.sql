ALTER TABLE "conversation_members" ADD COLUMN "request_from" bigint;--> statement-breakpoint
ALTER TABLE "conversation_members" ADD COLUMN "deleted_spans" "int8multirange" DEFAULT '{}' NOT NULL;--> statement-breakpoint
-- A side whose history began at history_from: the messages before it stay gone for it.
UPDATE "conversation_members" SET "deleted_spans" = int8multirange(int8range(NULL, "history_from")) WHERE "history_from" IS NOT NULL;--> statement-breakpoint
-- Where each side's last request began, as close as the rows tell: the first message it received
-- after both its own last message and the last one it received that was no request (between
-- connections, or on a channel that lands in the inbox), and not before its history began (from here on the send records it when a request
-- begins). One pass over messages, as CTEs (on Citus, messages and conversation_members live
-- apart: the CTEs are planned on their own and joined as intermediate results).
WITH "bound" AS (
  SELECT "conversation_id", "member_id", max("last") AS "last" FROM (
    SELECT "conversation_id", "sender_id" AS "member_id", max("id") AS "last" FROM "messages" GROUP BY 1, 2
    UNION ALL
    SELECT "conversation_id", "recipient_id", max("id") FROM "messages"
    WHERE NOT "to_non_connection" OR "channel" IN ('direct', 'open_profile', 'inmail', 'open_inbox') GROUP BY 1, 2
  ) x GROUP BY 1, 2
), "first" AS (
  SELECT m."conversation_id", m."recipient_id" AS "member_id", min(m."id") AS "request_from"
  FROM "messages" m LEFT JOIN "bound" b ON b."conversation_id" = m."conversation_id" AND b."member_id" = m."recipient_id"
  WHERE m."recipient_id" IS NOT NULL AND m."id" > coalesce(b."last", 0)
  GROUP BY 1, 2
)
UPDATE "conversation_members" cm SET "request_from" = greatest(f."request_from", cm."history_from") FROM "first" f
WHERE f."conversation_id" = cm."conversation_id" AND f."member_id" = cm."member_id";--> statement-breakpoint
ALTER TABLE "conversation_members" DROP COLUMN "history_from";
