CREATE TABLE `token_redemptions` (
	`token_id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`used_by` text NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_refund_settled_idx` ON `ledger_entries` (`source_id`,`account`) WHERE "ledger_entries"."kind" in ('refund', 'refund_failure');