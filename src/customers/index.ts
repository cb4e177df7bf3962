/**
 * Customers as the API manages them: create (once per Idempotency-Key), retrieve, update (metadata
 * merged, `invoice_settings.default_payment_method` checked against the attached methods), delete
 * (its payment methods detached), list, attaching payment methods, and the Stripe wire shape.
 * Unknown and foreign ids throw the same 404.
 */
import type { Db } from "../db/client";
import * as q from "../db/customers";
import type { EventOrigin } from "../db/events";
import { ApiError, invalidParam } from "../errors";
import { newId, noSuchMessage } from "../lib/ids";
import { type Metadata, mergeMetadata } from "../lib/params";

export type { CustomerRow } from "../db/customers";

/** What the customer services run on: the merchant's shard, the clock (unix seconds) and who causes the change's events. */
export interface CustomerDeps {
  db: Db;
  now: () => number;
  origin: EventOrigin | null;
}

/** A customer's fields as the merchant sends them (validated); `""` clears a field on update. */
export interface CustomerInput {
  email?: string;
  name?: string;
  phone?: string;
  description?: string;
  metadata?: Metadata;
  defaultPaymentMethod?: string;
}

/** The param that names the default payment method in errors. */
const DEFAULT_PM_PARAM = "invoice_settings[default_payment_method]";

/** The 404 for a customer id the merchant may not use (unknown or another merchant's). */
export function noSuchCustomer(id: string, param = "id"): ApiError {
  return new ApiError("resource_missing", noSuchMessage("customer", id, "cus"), { param, noEffect: true });
}

function notAttached(): ApiError {
  return invalidParam(
    "parameter_invalid",
    "The default payment method must be a payment method attached to this customer.",
    DEFAULT_PM_PARAM,
  );
}

/** `""` (Stripe's way to unset a field) as null. */
const orNull = (v: string | undefined) => (v === undefined ? undefined : v === "" ? null : v);

/**
 * Creates a customer. A new customer has no attached payment method yet, so a default payment
 * method is refused. Under an Idempotency-Key that already made one, returns that one.
 */
export async function createCustomer(
  deps: CustomerDeps,
  merchantId: string,
  input: CustomerInput,
  idempotencyKey: string | undefined,
): Promise<q.CustomerRow> {
  if (input.defaultPaymentMethod) throw notAttached();
  return q.insertCustomer(
    deps.db,
    {
      id: newId("cus"),
      merchantId,
      email: orNull(input.email) ?? null,
      name: orNull(input.name) ?? null,
      phone: orNull(input.phone) ?? null,
      description: orNull(input.description) ?? null,
      metadata: mergeMetadata("{}", input.metadata),
      defaultPaymentMethod: null,
      idempotencyKey: idempotencyKey ?? null,
      created: deps.now(),
    },
    deps.origin,
  );
}

/** The merchant's customer, or the 404. */
export async function loadCustomer(deps: Pick<CustomerDeps, "db">, merchantId: string, id: string, param = "id") {
  const row = await q.getCustomer(deps.db, merchantId, id);
  if (!row) throw noSuchCustomer(id, param);
  return row;
}

/** Applies an update; absent fields stay, `""` clears one, metadata is merged. */
export async function updateCustomer(
  deps: CustomerDeps,
  merchantId: string,
  id: string,
  input: CustomerInput,
): Promise<q.CustomerRow> {
  const changes: q.CustomerChanges = {};
  if (input.email !== undefined) changes.email = orNull(input.email);
  if (input.name !== undefined) changes.name = orNull(input.name);
  if (input.phone !== undefined) changes.phone = orNull(input.phone);
  if (input.description !== undefined) changes.description = orNull(input.description);
  if (input.defaultPaymentMethod !== undefined) changes.defaultPaymentMethod = orNull(input.defaultPaymentMethod);
  const current = await loadCustomer(deps, merchantId, id);
  if (input.metadata !== undefined) changes.metadata = mergeMetadata(current.metadata, input.metadata);
  const at = { now: deps.now(), origin: deps.origin, previous: previousAttributes(current, changes) };
  const result = await q.updateCustomer(deps.db, merchantId, id, changes, at);
  switch (result.outcome) {
    case "updated":
      return result.row;
    case "missing":
      throw noSuchCustomer(id);
    case "not_attached":
      throw notAttached();
  }
}

/** `data.previous_attributes` of an update: the old values (wire names) of the fields it changes. */
function previousAttributes(current: q.CustomerRow, changes: q.CustomerChanges): Record<string, unknown> {
  const before = customerJson(current, false);
  const after = customerJson({ ...current, ...changes }, false);
  const previous: Record<string, unknown> = {};
  for (const key of Object.keys(before) as (keyof typeof before)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}

/** Deletes the merchant's customer and detaches its payment methods for good, or the 404. */
export async function deleteCustomer(deps: CustomerDeps, merchantId: string, id: string): Promise<void> {
  if (!(await q.deleteCustomer(deps.db, merchantId, id, deps.now(), deps.origin))) throw noSuchCustomer(id);
}

/**
 * Attaches the merchant's payment method to its customer (again to the same customer: no change).
 * Detached and single-use methods, and methods attached to another customer, are refused with a 400.
 */
export async function attachPaymentMethod(deps: CustomerDeps, merchantId: string, pmId: string, customerId: string) {
  const result = await q.attachPaymentMethod(deps.db, merchantId, pmId, customerId, {
    now: deps.now(),
    origin: deps.origin,
  });
  switch (result.outcome) {
    case "attached":
      return result.row;
    case "no_payment_method":
      throw new ApiError("resource_missing", "No such payment method.", { param: "id", noEffect: true });
    case "no_customer":
      throw noSuchCustomer(customerId, "customer");
    case "unusable":
      throw invalidParam(
        "payment_method_unexpected_state",
        "This PaymentMethod was detached from a Customer or is single-use (behind a token), and may not be attached.",
        "id",
      );
    case "other_customer":
      throw invalidParam(
        "payment_method_unexpected_state",
        "The payment method you provided has already been attached to another customer.",
        "customer",
      );
  }
}

/** The Customer object (Stripe's shape; the fields edgepay does not keep have Stripe's empty values). */
export function customerJson(row: q.CustomerRow, livemode: boolean) {
  return {
    id: row.id,
    object: "customer" as const,
    address: null,
    balance: 0,
    created: row.created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: row.description,
    email: row.email,
    invoice_settings: {
      custom_fields: null,
      default_payment_method: row.defaultPaymentMethod,
      footer: null,
      rendering_options: null,
    },
    livemode,
    metadata: JSON.parse(row.metadata) as Metadata,
    name: row.name,
    phone: row.phone,
    preferred_locales: [] as string[],
    shipping: null,
    tax_exempt: "none" as const,
  };
}
