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
CREATE TABLE `payment_intent_versions` (
	`intent_id` text NOT NULL,
	`version` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer,
	`created` integer NOT NULL,
	PRIMARY KEY(`intent_id`, `version`)
);
--> statement-breakpoint
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
CREATE TABLE `simulator_operations` (
	`key` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`reference` text NOT NULL,
	`amount` integer NOT NULL,
	`flaky` integer DEFAULT 0 NOT NULL,
	`answer` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `simulator_operations_reference_idx` ON `simulator_operations` (`reference`,`kind`);