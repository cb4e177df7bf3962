CREATE TABLE `api_clients` (
	`client_id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created` integer NOT NULL,
	`last_used` integer,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `api_clients_merchant_idx` ON `api_clients` (`merchant_id`,`created`,`client_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target_id` text NOT NULL,
	`request_id` text NOT NULL,
	`details` text DEFAULT '{}' NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_target_idx` ON `audit_log` (`target_id`,`created`);--> statement-breakpoint
CREATE TABLE `merchants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`rate_limit` integer,
	`shard` integer NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `merchants_created_idx` ON `merchants` (`created`,`id`);--> statement-breakpoint
CREATE INDEX `merchants_shard_idx` ON `merchants` (`shard`);--> statement-breakpoint
CREATE TABLE `operator_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated` integer,
	`updated_by` text
);
--> statement-breakpoint
CREATE TABLE `operators` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`rate_limit` integer,
	`created_by` text NOT NULL,
	`created` integer NOT NULL,
	`disabled_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `operators_name_idx` ON `operators` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `operators_secret_hash_idx` ON `operators` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `operators_created_idx` ON `operators` (`created`,`id`);--> statement-breakpoint
INSERT INTO `operator_settings` (`key`, `value`) VALUES ('root_token', 'enabled');
