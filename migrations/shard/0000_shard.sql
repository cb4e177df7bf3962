CREATE TABLE `ledger_balances` (
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`account` text NOT NULL,
	`balance` integer NOT NULL,
	PRIMARY KEY(`merchant_id`, `currency`, `account`),
	CONSTRAINT "ledger_balances_sign_check" CHECK(("account" IN ('authorized_holds', 'pending_balance', 'available_balance', 'refund_reserve') AND "balance" >= 0) OR ("account" IN ('authorization_clearing', 'processor') AND "balance" <= 0))
);
--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`txn_id` text NOT NULL,
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`account` text NOT NULL,
	`amount` integer NOT NULL,
	`kind` text NOT NULL,
	`source_id` text NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ledger_entries_balance_idx` ON `ledger_entries` (`merchant_id`,`currency`,`account`);--> statement-breakpoint
CREATE INDEX `ledger_entries_txn_idx` ON `ledger_entries` (`txn_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_movement_idx` ON `ledger_entries` (`source_id`,`kind`,`account`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_refund_settled_idx` ON `ledger_entries` (`source_id`,`account`) WHERE "ledger_entries"."kind" in ('refund', 'refund_failure');--> statement-breakpoint
CREATE TABLE `payment_intent_versions` (
	`intent_id` text NOT NULL,
	`version` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer,
	`created` integer NOT NULL,
	`request_key` text,
	`answer` text,
	PRIMARY KEY(`intent_id`, `version`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_intent_versions_request_key_idx` ON `payment_intent_versions` (`intent_id`,`request_key`);--> statement-breakpoint
CREATE TABLE `payment_intents` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`capture_method` text NOT NULL,
	`payment_method` text,
	`description` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`statement_descriptor` text,
	`amount_capturable` integer DEFAULT 0 NOT NULL,
	`amount_received` integer DEFAULT 0 NOT NULL,
	`amount_refunded` integer DEFAULT 0 NOT NULL,
	`latest_charge` text,
	`processor_reference` text,
	`last_payment_error` text,
	`cancellation_reason` text,
	`canceled_at` integer,
	`authorized_at` integer,
	`pending_op` text,
	`version` integer NOT NULL,
	`idempotency_key` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_intents_idempotency_idx` ON `payment_intents` (`merchant_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `payment_intents_list_idx` ON `payment_intents` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `payment_intents_expiry_idx` ON `payment_intents` (`status`,`authorized_at`);--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`payment_intent_id` text NOT NULL,
	`charge` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`failure_reason` text,
	`idempotency_key` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_idempotency_idx` ON `refunds` (`merchant_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `refunds_list_idx` ON `refunds` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_intent_idx` ON `refunds` (`payment_intent_id`,`created`);--> statement-breakpoint
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
	`idempotency_key` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_methods_idempotency_idx` ON `payment_methods` (`merchant_id`,`single_use`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `payment_methods_merchant_idx` ON `payment_methods` (`merchant_id`,`created`);--> statement-breakpoint
CREATE INDEX `payment_methods_internal_fp_idx` ON `payment_methods` (`internal_fingerprint`,`created`);--> statement-breakpoint
CREATE INDEX `payment_methods_key_version_idx` ON `payment_methods` (`key_version`,`id`);--> statement-breakpoint
CREATE INDEX `payment_methods_cvc_expiry_idx` ON `payment_methods` (`cvc_expires_at`);--> statement-breakpoint
CREATE TABLE `token_redemptions` (
	`token_id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`used_by` text NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`payment_method_id` text NOT NULL,
	`used` integer DEFAULT false NOT NULL,
	`created` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`payment_method_id`) REFERENCES `payment_methods`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tokens_merchant_idx` ON `tokens` (`merchant_id`,`created`);