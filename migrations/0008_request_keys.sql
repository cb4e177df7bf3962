ALTER TABLE `payment_intent_versions` ADD `request_key` text;--> statement-breakpoint
ALTER TABLE `payment_intent_versions` ADD `answer` text;--> statement-breakpoint
CREATE UNIQUE INDEX `payment_intent_versions_request_key_idx` ON `payment_intent_versions` (`intent_id`,`request_key`);