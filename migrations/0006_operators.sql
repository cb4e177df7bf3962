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
-- The root OPERATOR_TOKEN starts enabled; admin-operators.ts switches it.
INSERT INTO `operator_settings` (`key`, `value`) VALUES ('root_token', 'enabled');
