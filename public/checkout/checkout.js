/**
 * The hosted checkout page's script (no framework, nothing from another origin). It reads the session
 * id from the path, shows the session from GET /checkout/api/sessions/<id>, checks the card as it is
 * typed (brand by prefix, Luhn, expiry, CVC length) and pays with POST …/pay. The card goes only to
 * this origin; nothing here logs or stores it.
 */

const $ = (id) => document.getElementById(id);
const sessionId = decodeURIComponent(location.pathname.split("/").pop() ?? "");
const api = `/checkout/api/sessions/${encodeURIComponent(sessionId)}`;

/**
 * Card brands by prefix: the number lengths they use, the usual one (from which a failed Luhn check is
 * shown while typing) and the CVC length. The same ranges and lengths as the gateway's card rules
 * (src/domain/cards.ts), which check the card again.
 */
const BRANDS = [
  { name: "American Express", re: /^3[47]/, lengths: [15], usual: 15, cvc: 4 },
  { name: "Diners Club", re: /^3(0[0-5]|095|[689])/, lengths: [14, 15, 16, 17, 18, 19], usual: 14, cvc: 3 },
  { name: "JCB", re: /^35(2[89]|[3-8])/, lengths: [16, 17, 18, 19], usual: 16, cvc: 3 },
  { name: "Visa", re: /^4/, lengths: [13, 16, 19], usual: 16, cvc: 3 },
  { name: "Mastercard", re: /^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/, lengths: [16], usual: 16, cvc: 3 },
  { name: "Discover", re: /^(6011|64[4-9]|65)/, lengths: [16, 17, 18, 19], usual: 16, cvc: 3 },
  { name: "UnionPay", re: /^62/, lengths: [16, 17, 18, 19], usual: 16, cvc: 3 },
];
const ANY = { name: "", lengths: [12, 13, 14, 15, 16, 17, 18, 19], usual: 16, cvc: 3 };

/** The brand of a number's digits (ANY when no prefix matches yet). */
function brandOf(digits) {
  return BRANDS.find((b) => b.re.test(digits)) ?? ANY;
}

/** True when the digits pass the Luhn check. */
function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const onlyDigits = (s) => s.replace(/\D/g, "");

/** An amount in minor units as the currency is written, with edgepay's exponent for it. */
function money(amount, currency, exponent) {
  const code = currency.toUpperCase();
  const usual = new Intl.NumberFormat(undefined, { style: "currency", currency: code }).resolvedOptions()
    .maximumFractionDigits;
  const format = new Intl.NumberFormat(undefined, {
    style: "currency",
    currency: code,
    minimumFractionDigits: Math.min(exponent, usual),
    maximumFractionDigits: exponent,
  });
  return format.format(amount / 10 ** exponent);
}

const fields = {
  number: $("number"),
  exp: $("exp"),
  cvc: $("cvc"),
  email: $("email"),
};

/** Shows (or clears, with "") the error of one field, marking it invalid for assistive technology. */
function fieldError(name, message) {
  const input = fields[name];
  const box = $(`${name}-error`);
  if (!input || !box) return;
  input.setAttribute("aria-invalid", message ? "true" : "false");
  box.textContent = message;
  box.hidden = !message;
}

/** The gateway's error (or a notice) in the alert region, read out by screen readers. */
function formError(message) {
  $("form-error").textContent = message;
}

/** The number's problem, or "" when it looks like a card; `final` also judges a number still being typed. */
function numberProblem(final) {
  const digits = onlyDigits(fields.number.value);
  const brand = brandOf(digits);
  if (digits.length === 0) return final ? "Enter your card number." : "";
  if (!final && digits.length < brand.usual) return "";
  if (!final && !brand.lengths.includes(digits.length)) return "";
  if (!brand.lengths.includes(digits.length)) return "Your card number is incomplete.";
  if (!luhn(digits)) return "Your card number is invalid.";
  return "";
}

/** The expiry as {month, year} or its problem. */
function parseExpiry() {
  const m = /^(\d{1,2})\s*\/?\s*(\d{2})$/.exec(fields.exp.value.trim());
  if (!m) return { problem: "Enter the expiry date as MM / YY." };
  const month = Number(m[1]);
  const year = 2000 + Number(m[2]);
  if (month < 1 || month > 12) return { problem: "The expiry month is invalid." };
  const now = new Date();
  if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
    return { problem: "Your card's expiry date is in the past." };
  }
  return { month, year };
}

function cvcProblem() {
  const want = brandOf(onlyDigits(fields.number.value)).cvc;
  const cvc = onlyDigits(fields.cvc.value);
  return cvc.length === want ? "" : `Enter the ${want}-digit security code.`;
}

function emailProblem() {
  const v = fields.email.value.trim();
  return v === "" || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? "" : "Enter a valid email address.";
}

/** Groups the digits as printed on the card (4-6-5 for American Express, else groups of 4). */
function groupDigits(digits) {
  const brand = brandOf(digits);
  const max = Math.max(...brand.lengths);
  const d = digits.slice(0, max);
  if (brand.cvc === 4) return [d.slice(0, 4), d.slice(4, 10), d.slice(10)].filter(Boolean).join(" ");
  return d.replace(/(\d{4})(?=\d)/g, "$1 ");
}

fields.number.addEventListener("input", () => {
  const digits = onlyDigits(fields.number.value);
  fields.number.value = groupDigits(digits);
  $("brand").textContent = brandOf(digits).name;
  fieldError("number", numberProblem(false));
});
fields.number.addEventListener("blur", () => {
  if (fields.number.value) fieldError("number", numberProblem(true));
});
fields.exp.addEventListener("input", (e) => {
  let digits = onlyDigits(fields.exp.value).slice(0, 4);
  if (digits.length === 1 && digits > "1") digits = `0${digits}`;
  const deleting = e.inputType?.startsWith("delete");
  fields.exp.value =
    digits.length > 2 || (digits.length === 2 && !deleting) ? `${digits.slice(0, 2)} / ${digits.slice(2)}` : digits;
  if (fields.exp.getAttribute("aria-invalid") === "true") fieldError("exp", parseExpiry().problem ?? "");
});
fields.exp.addEventListener("blur", () => {
  if (fields.exp.value) fieldError("exp", parseExpiry().problem ?? "");
});
fields.cvc.addEventListener("input", () => {
  fields.cvc.value = onlyDigits(fields.cvc.value).slice(0, 4);
  if (fields.cvc.getAttribute("aria-invalid") === "true") fieldError("cvc", cvcProblem());
});
fields.cvc.addEventListener("blur", () => {
  if (fields.cvc.value) fieldError("cvc", cvcProblem());
});
fields.email.addEventListener("blur", () => fieldError("email", emailProblem()));

/** The field a gateway error's `param` names (`card[number]` → number), if the page has it. */
function fieldOf(param) {
  if (!param) return undefined;
  if (param.includes("number")) return "number";
  if (param.includes("exp_")) return "exp";
  if (param.includes("cvc")) return "cvc";
  if (param === "email") return "email";
  return undefined;
}

/** Replaces the form with the "expired" notice (with a way back when the merchant gave one). */
function showGone(cancelUrl) {
  $("checkout").hidden = true;
  $("loading").hidden = true;
  $("gone").hidden = false;
  if (cancelUrl) {
    $("gone-back").href = cancelUrl;
    $("gone-back").hidden = false;
  }
  $("main").setAttribute("aria-busy", "false");
  document.title = "Checkout session expired";
  $("gone-title").focus?.();
}

let session;

/** Shows the session: merchant, line items and total. */
function showSession(s) {
  session = s;
  const exponent = s.currency_exponent;
  document.title = `Pay ${s.merchant.name}`;
  $("merchant").textContent = s.merchant.name;
  const total = money(s.amount_total, s.currency, exponent);
  $("total-head").textContent = total;
  $("total").textContent = total;
  $("submit").textContent = `Pay ${total}`;
  const items = $("items");
  items.replaceChildren(
    ...s.line_items.map((item) => {
      const li = document.createElement("li");
      const left = document.createElement("span");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = item.name;
      const qty = document.createElement("span");
      qty.className = "qty";
      qty.textContent = `Qty ${item.quantity}`;
      left.append(name, qty);
      const amount = document.createElement("span");
      amount.textContent = money(item.amount, s.currency, exponent);
      li.append(left, amount);
      return li;
    }),
  );
  if (s.cancel_url) {
    $("back").href = s.cancel_url;
    $("back").textContent = `← Back to ${s.merchant.name}`;
    $("back").hidden = false;
  }
  $("loading").hidden = true;
  $("checkout").hidden = false;
  $("main").setAttribute("aria-busy", "false");
}

/** Loads the session; a complete one goes on to its success URL, any other missing one is "expired". */
async function load() {
  let res;
  try {
    res = await fetch(api, { headers: { accept: "application/json" }, cache: "no-store" });
  } catch {
    $("loading").textContent = "Could not reach the payment page. Check your connection and reload.";
    return;
  }
  if (!res.ok) return showGone(session?.cancel_url);
  const s = await res.json();
  if (s.status === "complete" && s.success_url) return location.replace(s.success_url);
  showSession(s);
  // Back from a 3-D Secure challenge that failed: say so, and let the shopper try again.
  if (new URLSearchParams(location.search).get("redirect_status") === "failed") {
    formError("Your card could not be authenticated. Try again or use another card.");
  }
}

/** Checks every field; returns the card to send, or undefined after marking what is wrong. */
function validForm() {
  const problems = {
    number: numberProblem(true),
    exp: parseExpiry().problem ?? "",
    cvc: cvcProblem(),
    email: emailProblem(),
  };
  for (const [name, problem] of Object.entries(problems)) fieldError(name, problem);
  const first = Object.keys(problems).find((name) => problems[name]);
  if (first) {
    fields[first].focus();
    return undefined;
  }
  const { month, year } = parseExpiry();
  return {
    number: onlyDigits(fields.number.value),
    exp_month: month,
    exp_year: year,
    cvc: onlyDigits(fields.cvc.value),
  };
}

let paying = false;

async function pay(event) {
  event.preventDefault();
  if (paying) return;
  formError("");
  const card = validForm();
  if (!card) return;
  const body = { card };
  const name = $("name").value.trim();
  const email = fields.email.value.trim();
  if (name) body.name = name;
  if (email) body.email = email;
  paying = true;
  const button = $("submit");
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Processing…";
  $("status").textContent = "Processing your payment…";
  try {
    const res = await fetch(`${api}/pay`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify(body),
      cache: "no-store",
    });
    const answer = await res.json().catch(() => ({}));
    if (res.ok && (answer.status === "complete" || answer.status === "requires_action") && answer.redirect) {
      $("status").textContent = answer.status === "complete" ? "Payment complete. Redirecting…" : "Redirecting…";
      location.assign(answer.redirect);
      return; // keep the button disabled while the browser leaves
    }
    if (res.ok && answer.status === "processing") {
      $("status").textContent = "";
      formError("Your payment is still processing. Do not pay again; check with the merchant shortly.");
      return; // no second payment from this page
    }
    $("status").textContent = "";
    if (res.status === 404) return showGone(session?.cancel_url);
    const error = answer.error ?? {};
    // Paid meanwhile (another tab): loading the session again goes on to its success URL.
    if (error.code === "checkout_session_unexpected_state") await load();
    formError(error.message ?? "The payment could not be completed. Try again.");
    const field = fieldOf(error.param);
    if (field) fieldError(field, error.message ?? "");
    fields.cvc.value = "";
  } catch {
    $("status").textContent = "";
    formError("Could not reach the payment server. Check your connection and try again.");
  }
  paying = false;
  button.disabled = false;
  button.textContent = label;
}

$("form").addEventListener("submit", pay);
load();
