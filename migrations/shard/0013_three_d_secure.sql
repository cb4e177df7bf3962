CREATE TABLE `authentications` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`intent_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`state` text NOT NULL,
	`return_url` text,
	`route` text,
	`created` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `authentications_pending_idx` ON `authentications` (`state`,`expires_at`);--> statement-breakpoint
ALTER TABLE `payment_intents` ADD `next_action` text;