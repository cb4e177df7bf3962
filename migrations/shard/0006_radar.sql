CREATE TABLE `radar_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`action` text NOT NULL,
	`predicate` text NOT NULL,
	`lists` text DEFAULT '[]' NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `radar_rules_list_idx` ON `radar_rules` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE TABLE `radar_value_list_items` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`value_list` text NOT NULL,
	`value` text NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `radar_value_list_items_value_idx` ON `radar_value_list_items` (`value_list`,`value`);--> statement-breakpoint
CREATE INDEX `radar_value_list_items_lookup_idx` ON `radar_value_list_items` (`merchant_id`,`value`);--> statement-breakpoint
CREATE INDEX `radar_value_list_items_list_idx` ON `radar_value_list_items` (`merchant_id`,`value_list`,`created`,`id`);--> statement-breakpoint
CREATE TABLE `radar_value_lists` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`alias` text NOT NULL,
	`name` text NOT NULL,
	`item_type` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `radar_value_lists_alias_idx` ON `radar_value_lists` (`merchant_id`,`alias`);--> statement-breakpoint
CREATE INDEX `radar_value_lists_list_idx` ON `radar_value_lists` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE TABLE `reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`charge` text NOT NULL,
	`payment_intent_id` text NOT NULL,
	`open` integer NOT NULL,
	`opened_reason` text NOT NULL,
	`reason` text NOT NULL,
	`closed_reason` text,
	`ip_address` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `reviews_list_idx` ON `reviews` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `reviews_open_idx` ON `reviews` (`merchant_id`,`open`,`created`);--> statement-breakpoint
ALTER TABLE `charges` ADD `risk` text;--> statement-breakpoint
ALTER TABLE `payment_intents` ADD `review` text;--> statement-breakpoint
ALTER TABLE `payment_methods` ADD `country` text;--> statement-breakpoint
ALTER TABLE `payment_methods` ADD `bin` text;