CREATE TABLE `payment_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`single_use` integer NOT NULL,
	`brand` text NOT NULL,
	`last4` text NOT NULL,
	`exp_month` integer NOT NULL,
	`exp_year` integer NOT NULL,
	`funding` text NOT NULL,
	`fingerprint` text NOT NULL,
	`internal_fingerprint` text NOT NULL,
	`billing_details` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`key_version` integer,
	`wrapped_key` text,
	`pan_ciphertext` text,
	`cvc_ciphertext` text,
	`cvc_expires_at` integer,
	`created` integer NOT NULL,
	`detached_at` integer,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payment_methods_merchant_idx` ON `payment_methods` (`merchant_id`,`created`);--> statement-breakpoint
CREATE INDEX `payment_methods_internal_fp_idx` ON `payment_methods` (`internal_fingerprint`,`created`);--> statement-breakpoint
CREATE INDEX `payment_methods_key_version_idx` ON `payment_methods` (`key_version`,`id`);--> statement-breakpoint
CREATE INDEX `payment_methods_cvc_expiry_idx` ON `payment_methods` (`cvc_expires_at`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`payment_method_id` text NOT NULL,
	`used` integer DEFAULT false NOT NULL,
	`created` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_method_id`) REFERENCES `payment_methods`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tokens_merchant_idx` ON `tokens` (`merchant_id`,`created`);