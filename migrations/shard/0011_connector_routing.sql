ALTER TABLE `charges` ADD `connector` text;--> statement-breakpoint
ALTER TABLE `charges` ADD `routing_rule` text;--> statement-breakpoint
ALTER TABLE `charges` ADD `routing_version` integer;--> statement-breakpoint
ALTER TABLE `payment_intents` ADD `connector` text;