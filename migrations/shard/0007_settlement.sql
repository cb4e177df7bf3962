CREATE TABLE `balance_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	`fee` integer NOT NULL,
	`net` integer NOT NULL,
	`type` text NOT NULL,
	`reporting_category` text NOT NULL,
	`source` text NOT NULL,
	`description` text,
	`status` text NOT NULL,
	`available_on` integer NOT NULL,
	`settlement` text,
	`payout` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `balance_transactions_list_idx` ON `balance_transactions` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `balance_transactions_due_idx` ON `balance_transactions` (`status`,`available_on`,`merchant_id`,`currency`);--> statement-breakpoint
CREATE INDEX `balance_transactions_payout_idx` ON `balance_transactions` (`merchant_id`,`payout`);--> statement-breakpoint
CREATE INDEX `balance_transactions_source_idx` ON `balance_transactions` (`source`);--> statement-breakpoint
CREATE TABLE `payouts` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`automatic` integer NOT NULL,
	`arrival_date` integer NOT NULL,
	`description` text,
	`statement_descriptor` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`bank_last4` text,
	`failure_code` text,
	`failure_message` text,
	`failure_balance_transaction` text,
	`run_key` text,
	`idempotency_key` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payouts_list_idx` ON `payouts` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `payouts_open_idx` ON `payouts` (`status`,`arrival_date`);--> statement-breakpoint
CREATE UNIQUE INDEX `payouts_run_idx` ON `payouts` (`merchant_id`,`run_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `payouts_idempotency_idx` ON `payouts` (`merchant_id`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `settlement_settings` (
	`merchant_id` text PRIMARY KEY NOT NULL,
	`fee_bps` integer DEFAULT 0 NOT NULL,
	`fee_fixed` text DEFAULT '{}' NOT NULL,
	`refund_fees` integer DEFAULT 0 NOT NULL,
	`delay_days` integer DEFAULT 2 NOT NULL,
	`payout_schedule` text DEFAULT 'daily' NOT NULL,
	`weekly_anchor` integer DEFAULT 1 NOT NULL,
	`bank_last4` text,
	`bank_behaviour` text,
	`updated` integer NOT NULL,
	CONSTRAINT "settlement_settings_fee_check" CHECK("settlement_settings"."fee_bps" between 0 and 10000),
	CONSTRAINT "settlement_settings_delay_check" CHECK("settlement_settings"."delay_days" between 0 and 30)
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_ledger_balances` (
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`account` text NOT NULL,
	`balance` integer NOT NULL,
	PRIMARY KEY(`merchant_id`, `currency`, `account`),
	CONSTRAINT "ledger_balances_sign_check" CHECK(("account" IN ('authorized_holds', 'pending_balance', 'refund_reserve', 'gateway_fees', 'payouts_in_transit', 'paid_out') AND "balance" >= 0) OR ("account" IN ('authorization_clearing', 'processor') AND "balance" <= 0) OR "account" IN ('available_balance'))
);
--> statement-breakpoint
INSERT INTO `__new_ledger_balances`("merchant_id", "currency", "account", "balance") SELECT "merchant_id", "currency", "account", "balance" FROM `ledger_balances`;--> statement-breakpoint
DROP TABLE `ledger_balances`;--> statement-breakpoint
ALTER TABLE `__new_ledger_balances` RENAME TO `ledger_balances`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
ALTER TABLE `refunds` ADD `failure_balance_transaction` text;