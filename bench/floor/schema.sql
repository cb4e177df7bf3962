-- Tables of the floor's D1 database; bench/run.ts applies this before the first request.
CREATE TABLE IF NOT EXISTS floor_rows (id TEXT PRIMARY KEY, amount INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS floor_entries (id TEXT PRIMARY KEY, row_id TEXT NOT NULL, amount INTEGER NOT NULL, created INTEGER NOT NULL);

-- For `authorize_floor`: the gateway's payment tables and their indexes as migrations/0003-0005 create
-- them (every index costs the writes the gateway pays), so the floor's storage work is comparable.
CREATE TABLE IF NOT EXISTS `ledger_entries` (
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

CREATE INDEX IF NOT EXISTS `ledger_entries_balance_idx` ON `ledger_entries` (`merchant_id`,`currency`,`account`);
CREATE INDEX IF NOT EXISTS `ledger_entries_txn_idx` ON `ledger_entries` (`txn_id`);
CREATE TABLE IF NOT EXISTS `payment_intent_versions` (
	`intent_id` text NOT NULL,
	`version` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer,
	`created` integer NOT NULL,
	PRIMARY KEY(`intent_id`, `version`)
);

CREATE TABLE IF NOT EXISTS `payment_intents` (
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

CREATE UNIQUE INDEX IF NOT EXISTS `payment_intents_idempotency_idx` ON `payment_intents` (`merchant_id`,`idempotency_key`);
CREATE INDEX IF NOT EXISTS `payment_intents_list_idx` ON `payment_intents` (`merchant_id`,`created`,`id`);
CREATE INDEX IF NOT EXISTS `payment_intents_expiry_idx` ON `payment_intents` (`status`,`authorized_at`);

CREATE TABLE IF NOT EXISTS `ledger_balances` (
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`account` text NOT NULL,
	`balance` integer NOT NULL,
	PRIMARY KEY(`merchant_id`, `currency`, `account`),
	CONSTRAINT "ledger_balances_sign_check" CHECK(("account" IN ('authorized_holds', 'pending_balance', 'available_balance', 'refund_reserve') AND "balance" >= 0) OR ("account" IN ('authorization_clearing', 'processor') AND "balance" <= 0))
);

CREATE UNIQUE INDEX IF NOT EXISTS `ledger_entries_movement_idx` ON `ledger_entries` (`source_id`,`kind`,`account`);
CREATE UNIQUE INDEX IF NOT EXISTS `ledger_entries_refund_settled_idx` ON `ledger_entries` (`source_id`,`account`) WHERE "ledger_entries"."kind" in ('refund', 'refund_failure');