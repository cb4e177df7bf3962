/**
 * `/v1/customers`: create, retrieve, update, delete and list (Stripe's shape, `email` filter).
 * Deleting a customer detaches its payment methods for good. Attaching payment methods and
 * listing a customer's saved cards are payment-method routes (routes/payment-methods.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  type CustomerDeps,
  type CustomerInput,
  createCustomer,
  customerJson,
  deleteCustomer,
  loadCustomer,
  updateCustomer,
} from "../customers";
import { listCustomers } from "../db/customers";
import { expandable, expandableId, expandBodyParam, expanded, queryWithExpand } from "../expand";
import { errorResponses, formOrJsonBody, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App, AppEnv } from "../types";

const CustomerSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `cus_`.", example: "cus_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z.literal("customer").openapi({ description: "String representing the object's type: always `customer`." }),
    address: z.null().openapi({ description: "Always null: edgepay stores no customer address." }),
    balance: z.int().openapi({ description: "Always 0: edgepay keeps no customer balance.", example: 0 }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    currency: z.null().openapi({ description: "Always null: a customer has no default currency." }),
    default_source: z.null().openapi({ description: "Always null: sources are not supported." }),
    delinquent: z.boolean().openapi({ description: "Always false: edgepay has no invoices." }),
    description: z
      .string()
      .nullable()
      .openapi({ description: "The merchant's description; null when not set.", example: null }),
    email: z
      .string()
      .nullable()
      .openapi({ description: "The customer's email address; null when not set.", example: "jenny@example.com" }),
    invoice_settings: z
      .object({
        custom_fields: z.null().openapi({ description: "Always null." }),
        default_payment_method: expandableId(
          z.string().nullable(),
          "payment_method",
          "The customer's default payment method (`pm_…`); null when none.",
        ),
        footer: z.null().openapi({ description: "Always null." }),
        rendering_options: z.null().openapi({ description: "Always null." }),
      })
      .openapi({ description: "The customer's default payment method; the rest is for Stripe compatibility." }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
    name: z
      .string()
      .nullable()
      .openapi({ description: "The customer's full name; null when not set.", example: "Jenny Rosen" }),
    phone: z.string().nullable().openapi({ description: "The customer's phone number; null when not set." }),
    preferred_locales: z.array(z.string()).openapi({ description: "Always empty.", example: [] }),
    shipping: z.null().openapi({ description: "Always null: edgepay stores no shipping details." }),
    tax_exempt: z.literal("none").openapi({ description: "Always `none`." }),
  })
  .openapi("Customer");

const DeletedSchema = z
  .object({
    id: z.string().openapi({ description: "The deleted customer's id (`cus_…`)." }),
    object: z.literal("customer").openapi({ description: "Always `customer`." }),
    deleted: z.literal(true).openapi({ description: "Always true: the customer was deleted." }),
  })
  .openapi("DeletedCustomer");

const emailParam = z.union([z.literal(""), z.email().max(512)]).openapi({ type: "string", format: "email" });

/** The fields create and update share; on update `""` clears a field. */
const fields = {
  email: emailParam
    .optional()
    .openapi({ description: 'Email address, up to 512 characters; `""` clears it.', example: "jenny@example.com" }),
  name: z
    .string()
    .max(256)
    .optional()
    .openapi({ description: 'Full name, up to 256 characters; `""` clears it.', example: "Jenny Rosen" }),
  phone: z.string().max(20).optional().openapi({ description: 'Phone number, up to 20 characters; `""` clears it.' }),
  description: z
    .string()
    .max(5000)
    .optional()
    .openapi({ description: 'An arbitrary description, up to 5000 characters; `""` clears it.' }),
  metadata: metadataParam
    .openapi({ description: 'Key/value pairs to store on the customer; a key set to `""` is removed.' })
    .optional(),
  invoice_settings: z
    .strictObject({
      default_payment_method: z.string().max(255).optional().openapi({
        description: 'A payment method attached to this customer (`pm_…`), or `""` to clear it.',
      }),
    })
    .optional()
    .openapi({ description: "The customer's default payment method." }),
};

const CreateBody = z.strictObject({ ...fields, expand: expandBodyParam }).openapi("CustomerCreate", {
  example: { email: "jenny@example.com", name: "Jenny Rosen", metadata: { order_id: "6735" } },
});
const UpdateBody = z.strictObject({ ...fields, expand: expandBodyParam }).openapi("CustomerUpdate");

const ListQuery = queryWithExpand({
  ...listParams,
  email: z
    .string()
    .max(512)
    .optional()
    .openapi({ param: { name: "email", in: "query" }, description: "Only customers with exactly this email." }),
});

const IdParams = z.object({
  id: z
    .string()
    .max(255)
    .openapi({ param: { name: "id", in: "path" }, description: "The customer's id (`cus_…`)." }),
});

const common = { tags: ["Customers"], security: [{ merchantToken: [] }] };
const one = (description: string) => ({
  200: { description, content: { "application/json": { schema: CustomerSchema } } },
});
const read = requireScope("customers:read");
const write = requireScope("customers:write");

const createCustomerRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/customers",
  summary: "Create a customer",
  middleware: [write, expandable("customer")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...one("The new customer"), ...errorResponses(400, 401, 403) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/customers/{id}",
  summary: "Retrieve a customer",
  middleware: [read, expandable("customer")] as const,
  request: { params: IdParams, query: queryWithExpand({}) },
  responses: { ...one("The customer"), ...errorResponses(401, 403, 404) },
});

const updateRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/customers/{id}",
  summary: "Update a customer (metadata is merged)",
  middleware: [write, expandable("customer")] as const,
  request: { params: IdParams, body: formOrJsonBody(UpdateBody) },
  responses: { ...one("The updated customer"), ...errorResponses(400, 401, 403, 404) },
});

const deleteRoute = createRoute({
  ...common,
  method: "delete",
  path: "/v1/customers/{id}",
  summary: "Delete a customer; its payment methods are detached for good",
  middleware: [write] as const,
  request: { params: IdParams },
  responses: {
    200: { description: "The deleted customer", content: { "application/json": { schema: DeletedSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/customers",
  summary: "List customers, newest first",
  middleware: [read, expandable("customer", { list: true })] as const,
  request: { query: ListQuery },
  responses: {
    200: {
      description: "A page of customers",
      content: { "application/json": { schema: listSchema(CustomerSchema, "CustomerList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** The validated body as the service takes it. */
function input(body: z.infer<typeof UpdateBody>): CustomerInput {
  return {
    email: body.email,
    name: body.name,
    phone: body.phone,
    description: body.description,
    metadata: body.metadata,
    defaultPaymentMethod: body.invoice_settings?.default_payment_method,
  };
}

/** Registers the customer routes. */
export function registerCustomers(app: App): void {
  registerComponents(app, { Metadata: metadataParam });
  const deps = (c: Context<AppEnv>): CustomerDeps => ({
    db: c.var.merchantDb,
    now: c.var.payments.now,
    origin: c.var.payments.origin,
  });

  app.openapi(createCustomerRoute, async (c) => {
    const row = await createCustomer(deps(c), c.var.auth.merchantId, input(c.req.valid("json")), c.var.idempotencyKey);
    return c.json(await expanded(c, customerJson(row, isLive(c.env))), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadCustomer(deps(c), c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, customerJson(row, isLive(c.env))), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await updateCustomer(deps(c), c.var.auth.merchantId, id, input(c.req.valid("json")));
    return c.json(await expanded(c, customerJson(row, isLive(c.env))), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    await deleteCustomer(deps(c), c.var.auth.merchantId, id);
    return c.json({ id, object: "customer" as const, deleted: true as const }, 200);
  });

  app.openapi(listRoute, async (c) => {
    const { email, ...query } = c.req.valid("query");
    const page = pageOr404(await listCustomers(c.var.merchantDb, c.var.auth.merchantId, { email }, pageRequest(query)));
    const live = isLive(c.env);
    const answer = listEnvelope("/v1/customers", { ...page, data: page.data.map((r) => customerJson(r, live)) });
    return c.json(await expanded(c, answer), 200);
  });
}
