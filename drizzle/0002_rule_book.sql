ALTER TABLE "inmail_ledger" DROP CONSTRAINT "inmail_ledger_kind_ck";--> statement-breakpoint
DROP INDEX "conversations_pair_uq";--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "accepted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inmail_ledger" ADD COLUMN "pool" text DEFAULT 'tier' NOT NULL;--> statement-breakpoint
ALTER TABLE "inmail_ledger" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "counts" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "changed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_live_pair_uq" ON "conversations" USING btree (least("starter_id", "recipient_id"),greatest("starter_id", "recipient_id")) WHERE "conversations"."ended_at" is null;--> statement-breakpoint
ALTER TABLE "inmail_ledger" ADD CONSTRAINT "inmail_ledger_pool_ck" CHECK ("inmail_ledger"."pool" in ('tier','purchased'));--> statement-breakpoint
-- Data carried over (issue 14). Expiry rows fold into the grant they trimmed, so every balance stays.
UPDATE "inmail_ledger" g SET "amount" = g."amount" + e."total"
  FROM (SELECT "member_id", "period", sum("amount")::int AS "total" FROM "inmail_ledger" WHERE "kind" = 'expire' GROUP BY 1, 2) e
 WHERE g."kind" = 'grant' AND g."member_id" = e."member_id" AND g."period" = e."period";--> statement-breakpoint
DELETE FROM "inmail_ledger" WHERE "kind" = 'expire';--> statement-breakpoint
-- Monthly grants are due for the 1sts after the last grant written (old periods were YYYY-MM:<tier>).
UPDATE "subscriptions" s SET "changed_at" = greatest(s."started_at",
  coalesce((SELECT max(l."created_at") FROM "inmail_ledger" l WHERE l."member_id" = s."member_id" AND l."kind" = 'grant'), s."started_at"));--> statement-breakpoint
-- DOMAIN.md 5.1 from the messages: accepted when its recipient wrote in it.
UPDATE "conversations" c SET "accepted" = true
 WHERE EXISTS (SELECT 1 FROM "messages" m WHERE m."conversation_id" = c."id" AND m."sender_id" = c."recipient_id");--> statement-breakpoint
-- A thread that a block (even one since lifted) came after stays gone for both (DOMAIN.md 6).
UPDATE "conversations" c SET "ended_at" = b."created_at" FROM "blocks" b
 WHERE least(b."blocker", b."blocked") = least(c."starter_id", c."recipient_id")
   AND greatest(b."blocker", b."blocked") = greatest(c."starter_id", c."recipient_id")
   AND b."created_at" >= c."created_at";--> statement-breakpoint
-- Closed members hold no connections, follows, pending invitations, groups or pages (DOMAIN.md 1).
DELETE FROM "connections" WHERE "a" IN (SELECT "id" FROM "members" WHERE "status" = 'closed') OR "b" IN (SELECT "id" FROM "members" WHERE "status" = 'closed');--> statement-breakpoint
DELETE FROM "follows" WHERE "follower" IN (SELECT "id" FROM "members" WHERE "status" = 'closed') OR "followee" IN (SELECT "id" FROM "members" WHERE "status" = 'closed');--> statement-breakpoint
UPDATE "invitations" SET "status" = 'expired', "responded_at" = now()
 WHERE "status" IN ('pending','ignored') AND ("from_id" IN (SELECT "id" FROM "members" WHERE "status" = 'closed') OR "to_id" IN (SELECT "id" FROM "members" WHERE "status" = 'closed'));--> statement-breakpoint
DELETE FROM "group_members" WHERE "member_id" IN (SELECT "id" FROM "members" WHERE "status" = 'closed');--> statement-breakpoint
DELETE FROM "page_admins" WHERE "member_id" IN (SELECT "id" FROM "members" WHERE "status" = 'closed');--> statement-breakpoint
ALTER TABLE "inmail_ledger" ADD CONSTRAINT "inmail_ledger_kind_ck" CHECK ("inmail_ledger"."kind" in ('grant','purchase','spend','refund'));