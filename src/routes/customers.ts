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
import { errorResponses, formOrJsonBody } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App, AppEnv } from "../types";

const CustomerSchema = z
  .object({
    id: z.string().openapi({ example: "cus_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z.literal("customer"),
    address: z.null(),
    balance: z.int(),
    created: z.int(),
    currency: z.null(),
    default_source: z.null(),
    delinquent: z.boolean(),
    description: z.string().nullable(),
    email: z.string().nullable(),
    invoice_settings: z.object({
      custom_fields: z.null(),
      default_payment_method: expandableId(z.string().nullable(), "payment_method"),
      footer: z.null(),
      rendering_options: z.null(),
    }),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    preferred_locales: z.array(z.string()),
    shipping: z.null(),
    tax_exempt: z.literal("none"),
  })
  .openapi("Customer");

const DeletedSchema = z
  .object({ id: z.string(), object: z.literal("customer"), deleted: z.literal(true) })
  .openapi("DeletedCustomer");

const emailParam = z.union([z.literal(""), z.email().max(512)]).openapi({ type: "string", format: "email" });

/** The fields create and update share; on update `""` clears a field. */
const fields = {
  email: emailParam.optional(),
  name: z.string().max(256).optional(),
  phone: z.string().max(20).optional(),
  description: z.string().max(5000).optional(),
  metadata: metadataParam.optional(),
  invoice_settings: z
    .strictObject({
      default_payment_method: z.string().max(255).optional().openapi({
        description: 'A payment method attached to this customer (`pm_…`), or `""` to clear it.',
      }),
    })
    .optional(),
};

const CreateBody = z.strictObject({ ...fields, expand: expandBodyParam }).openapi("CustomerCreate");
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
    .openapi({ param: { name: "id", in: "path" } }),
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
