CREATE TABLE `api_keys` (
	`key_hash` text PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`merchant_id` text NOT NULL,
	`kind` text NOT NULL,
	`scopes` text DEFAULT '' NOT NULL,
	`prefix` text NOT NULL,
	`last4` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`expires_at` integer,
	`rolled_to` text,
	`created` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_id_idx` ON `api_keys` (`id`);--> statement-breakpoint
CREATE INDEX `api_keys_merchant_idx` ON `api_keys` (`merchant_id`,`created`,`id`);