// The inspector page's HTML shell and styles. Everything the page needs is served by the inspector
// itself (no CDN, no web fonts). Colours always come with text (status words, tier names), so the
// page reads without colour; focus is always visible; the layout fits a 1280x800 laptop screen.

export function inspectorHtml(basePath: string): string {
  const base = escapeAttribute(basePath);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ctxstore inspector</title>
<style>${STYLES}</style>
</head>
<body>
<a class="skip" href="#results">Skip to results</a>
<div id="app" data-base="${base}"><p class="loading">Loading the inspector…</p></div>
<noscript>The ctxstore inspector needs JavaScript.</noscript>
<script type="module" src="${base}/inspector.js"></script>
</body>
</html>
`;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (character) => `&#${character.charCodeAt(0)};`);
}

const STYLES = `
:root {
  --fg: #1d2430; --muted: #5b6577; --bg: #f6f7f9; --panel: #ffffff; --line: #d9dde4; --focus: #1a56db;
  --ok: #146c2e; --ok-bg: #e3f4e8; --empty: #0b5c7a; --empty-bg: #e0f2f8;
  --warn: #7a4b00; --warn-bg: #fdf0d5; --bad: #a3161b; --bad-bg: #fde4e4; --skip: #4b5563; --skip-bg: #eceef1;
  --batch: #3949ab; --stream: #00796b; --realtime: #c2410c; --vector: #7b1fa2;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
header { display: flex; align-items: baseline; gap: 16px; padding: 10px 20px; background: #1d2430; color: #fff; }
header h1 { font-size: 18px; margin: 0; } header p { margin: 0; color: #c9d1de; }
main { padding: 12px 20px 40px; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; }
.columns.compare { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin-bottom: 12px; overflow-x: auto; }
.panel h2 { font-size: 15px; margin: 0 0 8px; } .panel h3 { font-size: 14px; margin: 0; }
form.request { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px 12px; align-items: end; }
form.request .wide { grid-column: 1 / -1; }
label { display: block; font-weight: 600; font-size: 12px; color: var(--muted); margin-bottom: 2px; }
input, select, textarea { width: 100%; font: inherit; padding: 5px 7px; border: 1px solid #aab2bf; border-radius: 4px; background: #fff; color: var(--fg); }
textarea { min-height: 38px; resize: vertical; }
button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 4px; border: 1px solid #1a3f9c; background: #1a56db; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1a3f9c; }
.toolbar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 4px 0 12px; }
.toolbar input[type=checkbox] { width: auto; }
.toolbar .inline { display: flex; gap: 6px; align-items: center; font-weight: 600; color: var(--fg); font-size: 14px; margin: 0; }
.share { font-family: ui-monospace, Menlo, monospace; font-size: 12px; word-break: break-all; color: var(--muted); }
.error { border-color: var(--bad); background: var(--bad-bg); color: var(--bad); }
.badge { display: inline-block; font-size: 11px; font-weight: 700; letter-spacing: .02em; text-transform: uppercase; padding: 1px 6px; border-radius: 3px; border: 1px solid currentColor; white-space: nowrap; }
.status-ok { color: var(--ok); background: var(--ok-bg); } .status-empty { color: var(--empty); background: var(--empty-bg); }
.status-missing, .status-stale { color: var(--warn); background: var(--warn-bg); }
.status-timeout, .status-error, .status-invalid { color: var(--bad); background: var(--bad-bg); }
.status-skipped { color: var(--skip); background: var(--skip-bg); }
.tier { color: #fff; border-color: transparent; }
.tier-batch, .seg-batch { background: var(--batch); } .tier-stream, .seg-stream { background: var(--stream); }
.tier-realtime, .seg-realtime { background: var(--realtime); } .tier-vector, .seg-vector { background: var(--vector); }
.unknown { color: var(--warn); } .unknown strong { text-transform: uppercase; font-size: 11px; }
.bar { display: flex; height: 22px; border: 1px solid #8a93a3; border-radius: 4px; overflow: hidden; background: repeating-linear-gradient(45deg, #fff, #fff 6px, #f0f1f4 6px, #f0f1f4 12px); }
.bar span { display: block; height: 100%; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px; font-size: 13px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.prompt section { border-left: 5px solid var(--line); padding: 4px 0 4px 10px; margin: 8px 0; }
.prompt section.sec-batch { border-color: var(--batch); } .prompt section.sec-stream { border-color: var(--stream); }
.prompt section.sec-realtime { border-color: var(--realtime); } .prompt section.sec-vector { border-color: var(--vector); }
.prompt section > div.heading { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.block { display: grid; grid-template-columns: minmax(150px, max-content) 1fr; gap: 8px; margin-top: 4px; }
.block .meta { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--muted); }
.block pre { margin: 0; white-space: pre-wrap; font: 12.5px/1.45 ui-monospace, Menlo, Consolas, monospace; background: #f8f9fb; padding: 4px 6px; border-radius: 3px; }
.block.not-fact pre { background: var(--warn-bg); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); }
td:last-child { min-width: 200px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.changed { font-weight: 700; }
.muted { color: var(--muted); } .loading { padding: 20px; }
.warnings li { color: var(--warn); }
.help { margin: 0; font-size: 12px; color: var(--muted); }
.run-as { margin: 0 0 8px; font-weight: 600; }
.prompt details { margin-top: 10px; } .prompt details pre { white-space: pre-wrap; font: 12.5px/1.45 ui-monospace, Menlo, Consolas, monospace; background: #f8f9fb; padding: 6px 8px; border-radius: 3px; }
@media (max-width: 1100px) { .columns.compare { grid-template-columns: 1fr; } }
`;
