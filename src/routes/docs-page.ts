/**
 * A self-contained API reference page: inline CSS and script that render /openapi.json.
 * It loads nothing from other hosts, so it works offline and under a strict CSP.
 */

/** The HTML of `GET /docs`. */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edgepay API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1a1a2e;background:#fafafa}
header{background:#1a1a2e;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:960px;margin:0 auto;padding:16px 24px}
section.op{background:#fff;border:1px solid #ddd;border-radius:6px;margin:12px 0;padding:12px 16px}
.m{display:inline-block;min-width:56px;font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.delete{background:#c62828}.put,.patch{background:#ef6c00}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f3f3f6;padding:8px;overflow:auto;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
h2{margin-top:28px;border-bottom:2px solid #1a1a2e}.muted{color:#666}
section.op>code{overflow-wrap:anywhere}
@media (max-width:600px){main{padding:12px 16px}table{display:block;overflow-x:auto}}
</style></head>
<body><header><h1>edgepay API reference</h1><div class="muted" id="info"></div></header>
<main id="root"><p>Loading <a href="/openapi.json">/openapi.json</a>…</p></main>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"})[c]);
const refName = (r) => r.split("/").pop();
function schemaText(s, spec, depth = 0) {
  if (!s) return "";
  if (s.$ref) return refName(s.$ref);
  if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map((x) => schemaText(x, spec, depth)).join(" | ");
  if (s.type === "array") return schemaText(s.items, spec, depth) + "[]";
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(" | ");
  return s.type || "object";
}
function props(s, spec) {
  if (s && s.$ref) s = spec.components.schemas[refName(s.$ref)];
  if (!s || !s.properties) return "";
  const req = new Set(s.required || []);
  return "<table><tr><th>field</th><th>type</th><th>description</th></tr>" + Object.entries(s.properties).map(([k, v]) =>
    "<tr><td><code>" + esc(k) + "</code>" + (req.has(k) ? " *" : "") + "</td><td><code>" + esc(schemaText(v, spec)) + "</code></td><td>" + esc(v.description) + "</td></tr>").join("") + "</table>";
}
fetch("/openapi.json").then((r) => r.json()).then((spec) => {
  document.getElementById("info").textContent = spec.info.title + " " + spec.info.version;
  const byTag = {};
  for (const [path, ops] of Object.entries(spec.paths || {})) for (const [method, op] of Object.entries(ops)) {
    (byTag[(op.tags || ["Other"])[0]] ||= []).push({ path, method, op });
  }
  let html = "<p>" + esc(spec.info.description) + "</p>";
  for (const [tag, ops] of Object.entries(byTag)) {
    html += "<h2>" + esc(tag) + "</h2>";
    for (const { path, method, op } of ops) {
      html += '<section class="op"><span class="m ' + method + '">' + method.toUpperCase() + "</span> <code>" + esc(path) + "</code><p>" + esc(op.summary) + "</p>";
      if (op.security && op.security.length) html += '<p class="muted">Auth: ' + esc(op.security.map((s) => Object.entries(s).map(([k, v]) => k + (v.length ? " (" + v.join(", ") + ")" : "")).join(" ")).join(" or ")) + "</p>";
      const params = op.parameters || [];
      if (params.length) html += "<table><tr><th>param</th><th>in</th><th>type</th></tr>" + params.map((p) => "<tr><td><code>" + esc(p.name) + "</code>" + (p.required ? " *" : "") + "</td><td>" + esc(p.in) + "</td><td><code>" + esc(schemaText(p.schema, spec)) + "</code></td></tr>").join("") + "</table>";
      const body = op.requestBody && op.requestBody.content && Object.values(op.requestBody.content)[0];
      if (body) html += "<p><b>Body</b> (form or JSON)</p>" + props(body.schema, spec);
      html += "<p><b>Responses</b></p><table>" + Object.entries(op.responses || {}).map(([code, r]) => "<tr><td>" + esc(code) + "</td><td>" + esc(r.description) + "</td></tr>").join("") + "</table></section>";
    }
  }
  document.getElementById("root").innerHTML = html;
}).catch((e) => { document.getElementById("root").textContent = "Could not load /openapi.json: " + e; });
</script></body></html>`;
