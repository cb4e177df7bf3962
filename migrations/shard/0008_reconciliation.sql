CREATE TABLE `reconciliation_items` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`date` text NOT NULL,
	`kind` text NOT NULL,
	`source` text,
	`match_key` text NOT NULL,
	`processor_key` text,
	`expected_amount` integer,
	`reported_amount` integer,
	`currency` text NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reconciliation_items_once_idx` ON `reconciliation_items` (`merchant_id`,`kind`,`match_key`);--> statement-breakpoint
CREATE INDEX `reconciliation_items_date_idx` ON `reconciliation_items` (`date`,`id`);--> statement-breakpoint
CREATE INDEX `reconciliation_items_merchant_idx` ON `reconciliation_items` (`merchant_id`,`date`,`id`);