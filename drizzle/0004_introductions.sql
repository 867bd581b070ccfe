CREATE TABLE "introductions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "introductions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"asker_id" integer NOT NULL,
	"via_id" integer NOT NULL,
	"target_id" integer NOT NULL,
	"note" text,
	"forward_note" text,
	"status" text DEFAULT 'asked' NOT NULL,
	"conversation_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"responded_at" timestamp with time zone,
	CONSTRAINT "introductions_status_ck" CHECK ("introductions"."status" in ('asked','forwarded','declined','expired'))
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "introduction_id" bigint;--> statement-breakpoint
ALTER TABLE "introductions" ADD CONSTRAINT "introductions_asker_id_members_id_fk" FOREIGN KEY ("asker_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "introductions" ADD CONSTRAINT "introductions_via_id_members_id_fk" FOREIGN KEY ("via_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "introductions" ADD CONSTRAINT "introductions_target_id_members_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "introductions_open_uq" ON "introductions" USING btree ("asker_id","target_id") WHERE "introductions"."status" = 'asked';--> statement-breakpoint
CREATE INDEX "introductions_asker_idx" ON "introductions" USING btree ("asker_id","created_at");--> statement-breakpoint
CREATE INDEX "introductions_via_idx" ON "introductions" USING btree ("via_id","status");