CREATE TABLE `alert_hook` (
	`slot` text PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`url` text NOT NULL,
	`enabled` integer NOT NULL,
	`secret_sealed` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alert_states` (
	`rule` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`since` integer NOT NULL,
	`last_notified` integer,
	`lease_until` integer
);
