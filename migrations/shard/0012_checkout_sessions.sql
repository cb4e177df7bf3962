CREATE TABLE `checkout_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`status` text NOT NULL,
	`payment_status` text NOT NULL,
	`amount_total` integer NOT NULL,
	`currency` text NOT NULL,
	`line_items` text NOT NULL,
	`success_url` text NOT NULL,
	`url` text NOT NULL,
	`cancel_url` text,
	`customer` text,
	`customer_email` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`capture_method` text NOT NULL,
	`payment_intent` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created` integer NOT NULL,
	`completed_at` integer,
	`expired_at` integer,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	`locked_at` integer
);
--> statement-breakpoint
CREATE INDEX `checkout_sessions_list_idx` ON `checkout_sessions` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `checkout_sessions_intent_idx` ON `checkout_sessions` (`merchant_id`,`payment_intent`);--> statement-breakpoint
CREATE INDEX `checkout_sessions_expiry_idx` ON `checkout_sessions` (`status`,`expires_at`);