CREATE TABLE `connector_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`kind` text NOT NULL,
	`mode` text NOT NULL,
	`status` text NOT NULL,
	`currencies` text DEFAULT '[]' NOT NULL,
	`brands` text DEFAULT '[]' NOT NULL,
	`credentials_sealed` text,
	`secret_key_last4` text,
	`created` integer NOT NULL,
	`updated` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `connector_accounts_merchant_idx` ON `connector_accounts` (`merchant_id`,`mode`,`status`);