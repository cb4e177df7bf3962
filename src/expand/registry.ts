/**
 * What `expand[]` may expand: for each object type the API shows, its expandable fields (Stripe's
 * set), the type each one holds the id of, and for each such type the scope that reads it and the
 * loader that reads many of them at once and renders them with the API's own serializers.
 */
import type { BatchItem } from "drizzle-orm/batch";
import { customerJson } from "../customers";
import type { BalanceTransactionRow } from "../db/balance-transactions";
import {
  balanceTransactionsByIds,
  chargesByIds,
  customersByIds,
  intentsByIds,
  paymentMethodsByIds,
} from "../db/by-ids";
import type { ChargeRow } from "../db/charges";
import type { Db } from "../db/client";
import type { CustomerRow } from "../db/customers";
import type { IntentRow } from "../db/payment-intents";
import type { PaymentMethodRow } from "../db/vault";
import type { Scope } from "../domain/scopes";
import { type ChargeIntent, chargeJson, intentJson } from "../payments/serialize";
import { balanceTransactionJson } from "../settlement/json";
import { paymentMethodObject } from "../vault/objects";

/** The object types that have expandable fields or can be expanded into. */
export type ObjectType =
  | "payment_intent"
  | "charge"
  | "refund"
  | "review"
  | "customer"
  | "payment_method"
  | "balance_transaction"
  | "payout"
  | "checkout_session";

/** One expandable field: where it sits in the object (`invoice_settings.default_payment_method`) and what its id names. */
export interface ExpandableField {
  path: readonly string[];
  target: ObjectType;
}

const field = (path: string, target: ObjectType): ExpandableField => ({ path: path.split("."), target });

/** Every object type's expandable fields, as Stripe expands them. */
export const EXPANDABLE: Record<ObjectType, readonly ExpandableField[]> = {
  payment_intent: [
    field("latest_charge", "charge"),
    field("payment_method", "payment_method"),
    field("customer", "customer"),
  ],
  charge: [
    field("payment_intent", "payment_intent"),
    field("customer", "customer"),
    field("balance_transaction", "balance_transaction"),
  ],
  refund: [
    field("charge", "charge"),
    field("payment_intent", "payment_intent"),
    field("balance_transaction", "balance_transaction"),
    field("failure_balance_transaction", "balance_transaction"),
  ],
  review: [field("charge", "charge"), field("payment_intent", "payment_intent")],
  customer: [field("invoice_settings.default_payment_method", "payment_method")],
  payment_method: [field("customer", "customer")],
  balance_transaction: [],
  payout: [
    field("balance_transaction", "balance_transaction"),
    field("failure_balance_transaction", "balance_transaction"),
  ],
  checkout_session: [field("payment_intent", "payment_intent"), field("customer", "customer")],
};

/** The scope a caller needs to see an object of each type expanded (the scope of its retrieve). */
export const READ_SCOPE: Record<ObjectType, Scope> = {
  payment_intent: "payments:read",
  charge: "payments:read",
  refund: "refunds:read",
  review: "radar:read",
  customer: "customers:read",
  payment_method: "payment_methods:read",
  balance_transaction: "balance:read",
  payout: "payouts:read",
  checkout_session: "checkout:read",
};

/** An object as the API shows it; `id` is what an expandable field of another object holds. */
export type Rendered = { id: string | null } & Record<string, unknown>;

/** Reads the merchant's objects of one type by id, as one query of a batch, and renders each row. */
export interface Loader {
  /** The query for at most MAX_IDS_PER_QUERY ids; ids of other merchants match nothing. */
  read(db: Db, merchantId: string, ids: string[]): BatchItem<"sqlite">;
  /** One row the query returned, as the API shows it. */
  render(row: unknown, livemode: boolean): Rendered;
}

function loader<R>(
  read: (db: Db, merchantId: string, ids: string[]) => BatchItem<"sqlite">,
  render: (row: R, livemode: boolean) => Rendered,
): Loader {
  return { read, render: (row, livemode) => render(row as R, livemode) };
}

/** The Charges of these `ch_` ids, each rendered with the intent columns it shows. */
export const loadCharges = loader<ChargeRow & { intent: string }>(chargesByIds, (row, livemode) => {
  const { intent, ...charge } = row;
  return chargeJson(charge, JSON.parse(intent) as ChargeIntent, livemode);
});

/** The loader of each type that can be expanded into. */
export const LOADERS: Partial<Record<ObjectType, Loader>> = {
  payment_intent: loader<IntentRow>(intentsByIds, intentJson),
  charge: loadCharges,
  customer: loader<CustomerRow>(customersByIds, customerJson),
  payment_method: loader<PaymentMethodRow>(paymentMethodsByIds, paymentMethodObject),
  balance_transaction: loader<BalanceTransactionRow>(balanceTransactionsByIds, balanceTransactionJson),
};
