ALTER TABLE `payment_intents` ADD `customer` text;--> statement-breakpoint
ALTER TABLE `payment_intents` ADD `setup_future_usage` text;--> statement-breakpoint
CREATE INDEX `payment_intents_customer_idx` ON `payment_intents` (`merchant_id`,`customer`,`created`);