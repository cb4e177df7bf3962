CREATE TABLE `ledger_balances` (
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`account` text NOT NULL,
	`balance` integer NOT NULL,
	PRIMARY KEY(`merchant_id`, `currency`, `account`),
	CONSTRAINT "ledger_balances_sign_check" CHECK(("account" IN ('authorized_holds', 'pending_balance', 'available_balance', 'refund_reserve') AND "balance" >= 0) OR ("account" IN ('authorization_clearing', 'processor') AND "balance" <= 0))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_movement_idx` ON `ledger_entries` (`source_id`,`kind`,`account`);--> statement-breakpoint
-- Hand-added backfill (not generated): running balances from the postings booked so far. Postings to
-- the retired `refunds` account (dev databases only) are left in ledger_entries and not carried over.
INSERT INTO `ledger_balances` (`merchant_id`, `currency`, `account`, `balance`)
SELECT `merchant_id`, `currency`, `account`, sum(`amount`) FROM `ledger_entries`
WHERE `account` IN ('authorized_holds', 'authorization_clearing', 'pending_balance', 'available_balance', 'refund_reserve', 'processor')
GROUP BY `merchant_id`, `currency`, `account`;
