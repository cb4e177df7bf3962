CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`email` text,
	`name` text,
	`phone` text,
	`description` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`default_payment_method` text,
	`idempotency_key` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_idempotency_idx` ON `customers` (`merchant_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `customers_list_idx` ON `customers` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `customers_email_idx` ON `customers` (`merchant_id`,`email`,`created`);--> statement-breakpoint
ALTER TABLE `payment_methods` ADD `customer` text;--> statement-breakpoint
CREATE INDEX `payment_methods_customer_idx` ON `payment_methods` (`merchant_id`,`customer`,`created`);