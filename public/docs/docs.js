/*
 * The API reference at /docs: fetches the OpenAPI document the gateway generates (/openapi.json) and
 * the guides (Markdown files beside this script), puts the guides into the document's introduction,
 * where each `#` heading becomes an entry of the navigation and of the search, and renders it with
 * Scalar's vendored standalone bundle. Everything comes from this origin: Scalar's web fonts,
 * telemetry, API client, agent and MCP integrations are off, so the page makes no other request.
 */

/** The guides, in the order the navigation shows them (public/docs/guides/<name>.md). */
const GUIDES = ["authentication", "errors", "idempotency", "pagination", "rate-limits", "webhooks", "test-cards"];

/** Fetches `url` as text or JSON, failing on anything but a 200. */
async function load(url, as) {
  const res = await fetch(url, { headers: { accept: as === "json" ? "application/json" : "text/markdown" } });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return as === "json" ? res.json() : res.text();
}

/** Shows a plain message in place of the reference. */
function fail(message) {
  const root = document.getElementById("reference");
  root.textContent = "";
  const p = document.createElement("p");
  p.className = "loading";
  p.textContent = message;
  root.append(p);
}

async function main() {
  const [spec, ...guides] = await Promise.all([
    load("/openapi.json", "json"),
    ...GUIDES.map((name) => load(`/docs/guides/${name}.md`, "text")),
  ]);
  spec.info.description = [spec.info.description, ...guides].join("\n\n");
  document.getElementById("reference").textContent = "";
  window.Scalar.createApiReference("#reference", {
    content: spec,
    // Nothing from another host: no web fonts, no telemetry, no hosted API client or agent.
    withDefaultFonts: false,
    telemetry: false,
    hideClientButton: true,
    hideTestRequestButton: true,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
    documentDownloadType: "none",
    // Only the samples the document carries (x-codeSamples: curl and the stripe SDK).
    hiddenClients: true,
    defaultOpenFirstTag: false,
    hideModels: false,
    theme: "default",
  });
}

main().catch((err) => fail(`The API reference could not be loaded: ${err.message}`));
