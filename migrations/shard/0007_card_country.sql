ALTER TABLE `payment_methods` ADD `country` text;--> statement-breakpoint
ALTER TABLE `payment_methods` ADD `bin` text;