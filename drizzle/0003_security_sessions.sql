CREATE TABLE "page_admin_invitations" (
	"page_id" integer NOT NULL,
	"member_id" integer NOT NULL,
	"invited_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "page_admin_invitations_page_id_member_id_pk" PRIMARY KEY("page_id","member_id")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "id" text DEFAULT gen_random_uuid()::text NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "last_used_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "page_admin_invitations" ADD CONSTRAINT "page_admin_invitations_page_id_members_id_fk" FOREIGN KEY ("page_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "page_admin_invitations" ADD CONSTRAINT "page_admin_invitations_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "page_admin_invitations" ADD CONSTRAINT "page_admin_invitations_invited_by_members_id_fk" FOREIGN KEY ("invited_by") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "page_admin_invitations_member_idx" ON "page_admin_invitations" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "attachments_uploader_created_idx" ON "attachments" USING btree ("uploader_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_id_uq" ON "sessions" USING btree ("id");