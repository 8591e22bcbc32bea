/**
 * @module The status page's HTML and CSS, one self-contained document (no
 * external asset, so it works offline and behind a firewall). Light and
 * dark by prefers-color-scheme; every state is a word on a coloured badge.
 * The data arrives by script (page-script.ts) after the page loads.
 */
import { PAGE_SCRIPT } from './page-script.ts';

const CSS = String.raw`
:root { --bg:#f7f7f8; --fg:#1c1d21; --muted:#5f6370; --card:#fff; --line:#dcdde2; --accent:#2557c5;
  --ok-bg:#dff3e4; --ok-fg:#11602a; --warn-bg:#fff1cc; --warn-fg:#7a5200; --bad-bg:#fde0de; --bad-fg:#9b1c14; --off-bg:#e8e9ee; --off-fg:#44474f; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#141518; --fg:#e6e7ea; --muted:#a0a4ae; --card:#1d1f24; --line:#33363d; --accent:#8fb0ff;
    --ok-bg:#143d22; --ok-fg:#8be3a5; --warn-bg:#44360b; --warn-fg:#ffd76a; --bad-bg:#4a1714; --bad-fg:#ffaaa3; --off-bg:#2c2f36; --off-fg:#c3c6ce; }
}
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center; padding:.75rem 1rem; border-bottom:1px solid var(--line); background:var(--card); position:sticky; top:0; z-index:1; }
header h1 { font-size:1.1rem; margin:0; flex:1 1 auto; }
main { padding:1rem; max-width:1200px; margin:0 auto; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.75rem 1rem; margin-bottom:1rem; }
section h2 { font-size:1rem; margin:0 0 .5rem; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:0 .45em; border-radius:4px; font-size:.8rem; font-weight:600; white-space:nowrap; }
.ok { background:var(--ok-bg); color:var(--ok-fg); }
.warn { background:var(--warn-bg); color:var(--warn-fg); }
.bad { background:var(--bad-bg); color:var(--bad-fg); }
.off { background:var(--off-bg); color:var(--off-fg); }
.facts { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:.4rem 1rem; }
.facts div { overflow-wrap:anywhere; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:.9rem; }
th, td { text-align:left; padding:.3rem .5rem; border-top:1px solid var(--line); vertical-align:top; overflow-wrap:anywhere; }
th { color:var(--muted); font-weight:600; border-top:none; }
td.addr, pre, code { font-family:ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.host { border-top:1px solid var(--line); padding:.5rem 0; }
.host:first-of-type { border-top:none; }
.host-head { display:flex; flex-wrap:wrap; gap:.35rem .75rem; align-items:baseline; }
.host-name { font-weight:600; overflow-wrap:anywhere; }
.problems { margin:.25rem 0; padding-left:1.2rem; color:var(--bad-fg); }
details summary { cursor:pointer; color:var(--accent); }
pre { white-space:pre-wrap; overflow-wrap:anywhere; background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:.5rem; font-size:.8rem; }
input[type=search], input[type=password] { font:inherit; padding:.35rem .5rem; border:1px solid var(--line); border-radius:6px; background:var(--bg); color:var(--fg); width:100%; max-width:320px; }
button { font:inherit; padding:.35rem .8rem; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:var(--card); cursor:pointer; }
#token-form { display:none; }
#token-form.shown { display:block; }
.error { color:var(--bad-fg); }
@media (max-width: 640px) {
  header { position:static; }
  main { padding:.5rem; }
  section { padding:.5rem .6rem; }
  table.cards thead { display:none; }
  table.cards tr { display:block; border-top:1px solid var(--line); padding:.3rem 0; }
  table.cards td { display:flex; gap:.5rem; border:none; padding:.1rem 0; }
  table.cards td::before { content:attr(data-label); color:var(--muted); min-width:6.5rem; flex:none; }
}
`;

/** The page for one response; `nonce` allows its inline style and script under the CSP. */
export function statusPageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>haproxy-operator status</title>
<style nonce="${nonce}">${CSS}</style>
</head>
<body>
<header>
  <h1>haproxy-operator</h1>
  <span id="live" class="badge off">connecting</span>
  <span id="updated" class="muted"></span>
</header>
<main>
  <section id="token-form" aria-labelledby="token-title">
    <h2 id="token-title">Token required</h2>
    <p class="muted">This address is not in a trusted network. Enter the operator's MCP token; it is kept for this browser session only.</p>
    <form id="token"><input id="token-input" type="password" autocomplete="off" aria-label="token"> <button type="submit">Open</button></form>
    <p id="token-error" class="error"></p>
  </section>
  <section id="overview" aria-labelledby="overview-title"><h2 id="overview-title">Overview</h2><div class="facts" id="facts"><span class="muted">loading…</span></div></section>
  <section id="failing" aria-labelledby="failing-title"><h2 id="failing-title">Hosts answering 503</h2><div id="failing-list"></div></section>
  <section id="hosts" aria-labelledby="hosts-title">
    <h2 id="hosts-title">Hosts</h2>
    <input id="filter" type="search" placeholder="Filter hosts" aria-label="Filter hosts">
    <div id="host-list"></div>
  </section>
  <section id="containers" aria-labelledby="containers-title"><h2 id="containers-title">Containers</h2><div id="container-list" class="scroll"></div></section>
  <section id="certificates" aria-labelledby="certificates-title"><h2 id="certificates-title">Certificates</h2><div id="cert-list" class="scroll"></div></section>
  <section id="audit" aria-labelledby="audit-title"><h2 id="audit-title">Recent changes</h2><div id="audit-list" class="scroll"></div></section>
</main>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
