CREATE TABLE "conversation_live_pairs" (
	"lo" bigint NOT NULL,
	"hi" bigint NOT NULL,
	"conversation_id" bigint,
	CONSTRAINT "conversation_live_pairs_lo_hi_pk" PRIMARY KEY("lo","hi"),
	CONSTRAINT "conversation_live_pairs_order_ck" CHECK ("conversation_live_pairs"."lo" < "conversation_live_pairs"."hi")
);
--> statement-breakpoint
CREATE TABLE "invitation_open_pairs" (
	"lo" bigint NOT NULL,
	"hi" bigint NOT NULL,
	"invitation_id" bigint NOT NULL,
	CONSTRAINT "invitation_open_pairs_lo_hi_pk" PRIMARY KEY("lo","hi"),
	CONSTRAINT "invitation_open_pairs_order_ck" CHECK ("invitation_open_pairs"."lo" < "invitation_open_pairs"."hi")
);
--> statement-breakpoint
CREATE TABLE "member_emails" (
	"email" text PRIMARY KEY NOT NULL,
	"member_id" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "member_handles" (
	"handle" text PRIMARY KEY NOT NULL,
	"member_id" bigint NOT NULL
);
--> statement-breakpoint
DROP INDEX "conversations_live_pair_uq";--> statement-breakpoint
DROP INDEX "invitations_open_pair_uq";--> statement-breakpoint
DROP INDEX "members_handle_lower_uq";--> statement-breakpoint
DROP INDEX "members_email_lower_uq";--> statement-breakpoint
ALTER TABLE "attachments" ALTER COLUMN "uploader_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "blocks" ALTER COLUMN "blocker" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "blocks" ALTER COLUMN "blocked" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "connections" ALTER COLUMN "a" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "connections" ALTER COLUMN "b" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "conversation_members" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "conversations" ALTER COLUMN "starter_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "conversations" ALTER COLUMN "recipient_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "credentials" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "member_ids" SET DATA TYPE bigint[];--> statement-breakpoint
ALTER TABLE "follows" ALTER COLUMN "follower" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "follows" ALTER COLUMN "followee" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "group_members" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "group_requests" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "groups" ALTER COLUMN "created_by" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "inmail_ledger" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "introductions" ALTER COLUMN "asker_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "introductions" ALTER COLUMN "via_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "introductions" ALTER COLUMN "target_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "invitations" ALTER COLUMN "from_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "invitations" ALTER COLUMN "to_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "members" ALTER COLUMN "id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "members" ALTER COLUMN "id" SET MAXVALUE 9223372036854775807;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "sender_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "author_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "recipient_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "notification_actors" ALTER COLUMN "actor_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "notification_marks" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "page_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "page_admin_invitations" ALTER COLUMN "page_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "page_admin_invitations" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "page_admin_invitations" ALTER COLUMN "invited_by" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "page_admins" ALTER COLUMN "page_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "page_admins" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "reports" ALTER COLUMN "reporter_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "reports" ALTER COLUMN "reported_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "search_words" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "settings" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "subscriptions" ALTER COLUMN "member_id" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "conversation_members" ADD COLUMN "last_message_id" bigint;--> statement-breakpoint
CREATE INDEX "conversations_live_pair_idx" ON "conversations" USING btree (least("starter_id", "recipient_id"),greatest("starter_id", "recipient_id")) WHERE "conversations"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "invitations_open_pair_idx" ON "invitations" USING btree (least("from_id", "to_id"),greatest("from_id", "to_id")) WHERE "invitations"."status" in ('pending','ignored');--> statement-breakpoint
CREATE INDEX "members_email_lower_idx" ON "members" USING btree (lower("email"));--> statement-breakpoint
-- Data carried over: the unique facts move to their lookup tables; the list's tie-break to each side.
INSERT INTO "member_handles" ("handle", "member_id") SELECT lower("handle"), "id" FROM "members";--> statement-breakpoint
INSERT INTO "member_emails" ("email", "member_id") SELECT lower("email"), "id" FROM "members" WHERE "email" IS NOT NULL;--> statement-breakpoint
INSERT INTO "invitation_open_pairs" ("lo", "hi", "invitation_id")
  SELECT least("from_id", "to_id"), greatest("from_id", "to_id"), "id" FROM "invitations" WHERE "status" in ('pending','ignored');--> statement-breakpoint
INSERT INTO "conversation_live_pairs" ("lo", "hi", "conversation_id")
  SELECT least("starter_id", "recipient_id"), greatest("starter_id", "recipient_id"), "id" FROM "conversations" WHERE "ended_at" IS NULL;--> statement-breakpoint
UPDATE "conversation_members" cm SET "last_message_id" = c."last_message_id" FROM "conversations" c WHERE c."id" = cm."conversation_id";
