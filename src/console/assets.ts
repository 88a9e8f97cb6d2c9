/**
 * @module The console's stylesheet and client script, as strings compiled with the rest of Roster (no bundler, no
 * CDN). The script only enhances: every page works without it; it adds live apply progress and bulk selection.
 */

export const CONSOLE_CSS = `
:root{--fg:#101828;--muted:#475467;--line:#d0d5dd;--bg:#f9fafb;--card:#fff;--link:#1849a9;--accent:#1849a9;
--high-fg:#912018;--high-bg:#fee4e2;--medium-fg:#93370d;--medium-bg:#fef0c7;--low-fg:#194185;--low-bg:#d1e9ff;
--info-fg:#344054;--info-bg:#eaecf0;--ok-fg:#05603a;--ok-bg:#d1fadf}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #f79009;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem;z-index:10}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1.5rem;background:#101828;color:#fff}
header.top a{color:#fff;text-decoration:none;padding:.25rem .5rem;border-radius:4px}
header.top a[aria-current=page]{background:#344054;font-weight:600}
header.top .brand{font-weight:700;font-size:1.1rem;margin-right:1rem}
header.top nav ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
header.top .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;font-size:.9rem}
header.top .who button{background:none;border:1px solid #98a2b3;color:#fff}
main{max-width:1280px;margin:0 auto;padding:1.25rem 1.5rem 3rem}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem}
.card h2{margin-top:0}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600;background:#f2f4f7}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap}
.sev-high,.st-failed,.h-failing,.h-quarantined{color:var(--high-fg);background:var(--high-bg)}
.sev-medium,.st-pending,.st-task_open,.st-tasks_open,.st-draft,.h-syncing,.risk-high{color:var(--medium-fg);background:var(--medium-bg)}
.sev-low,.st-running,.st-applying,.st-approved,.risk-medium{color:var(--low-fg);background:var(--low-bg)}
.sev-info,.st-skipped,.st-cancelled,.h-never_synced,.risk-low{color:var(--info-fg);background:var(--info-bg)}
.st-succeeded,.st-applied,.h-ok,.ok{color:var(--ok-fg);background:var(--ok-bg)}
.banner{border-radius:8px;padding:.75rem 1rem;margin:1rem 0;border:1px solid}
.banner.warn{background:var(--medium-bg);color:var(--medium-fg);border-color:#fdb022}
.banner.bad{background:var(--high-bg);color:var(--high-fg);border-color:#fda29b}
.banner.good{background:var(--ok-bg);color:var(--ok-fg);border-color:#6ce9a6}
.banner.note{background:#eff8ff;color:var(--low-fg);border-color:#84caff}
.empty{color:var(--muted);font-style:italic}
.muted{color:var(--muted)}
.count{font-size:1.75rem;font-weight:700;display:block}
form.inline{display:inline}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:1rem}
label{display:block;font-size:.85rem;font-weight:600;color:var(--fg)}
input[type=text],input[type=search],input[type=password],select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #667085;border-radius:4px;min-width:12rem;background:#fff;color:var(--fg)}
textarea{width:100%;min-height:3rem}
button,.button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#b42318;border-color:#b42318}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.75rem 0}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.facts dt{color:var(--muted);font-weight:600}
dl.facts dd{margin:0}
.login{max-width:28rem;margin:4rem auto}
.login input{width:100%}
code{font-size:.85em;background:#f2f4f7;padding:0 .25rem;border-radius:3px}
details{margin:.5rem 0}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain li{margin:.3rem 0}
h3{font-size:1rem;margin:1rem 0 .4rem}
h4{font-size:.95rem;margin:.75rem 0 .3rem;color:var(--muted)}
@media (max-width:900px){main{padding:1rem}header.top{padding:.5rem 1rem}}
`;

export const CONSOLE_JS = `
(function () {
  'use strict';
  // Bulk selection: a "select all" box and a live count of what will go into the plan.
  document.querySelectorAll('[data-bulk]').forEach(function (form) {
    var all = form.querySelector('[data-select-all]');
    var boxes = function () { return form.querySelectorAll('input[type=checkbox][name=finding]'); };
    var count = form.querySelector('[data-selected-count]');
    var submit = form.querySelector('[data-bulk-submit]');
    var update = function () {
      var n = 0;
      boxes().forEach(function (b) { if (b.checked) n++; });
      if (count) count.textContent = n + ' selected';
      if (submit) submit.disabled = n === 0;
      if (all) all.checked = n > 0 && n === boxes().length;
    };
    if (all) all.addEventListener('change', function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      update();
    });
    form.addEventListener('change', update);
    update();
  });

  // Live apply progress: the server streams each op's status while an apply runs.
  var live = document.querySelector('[data-events]');
  if (live && window.EventSource) {
    var status = document.querySelector('[data-plan-status]');
    var log = document.querySelector('[data-progress-log]');
    var source = new EventSource(live.getAttribute('data-events'));
    var say = function (text) {
      if (!log) return;
      var li = document.createElement('li');
      li.textContent = text;
      log.appendChild(li);
    };
    source.addEventListener('op', function (e) {
      var op = JSON.parse(e.data);
      var cell = document.querySelector('[data-op-status="' + op.seq + '"]');
      if (cell && cell.textContent !== op.status) {
        cell.textContent = op.status;
        cell.className = 'badge st-' + op.status;
        say('op ' + op.seq + ' (' + op.appId + ' ' + op.kind + '): ' + op.status + (op.error ? ' — ' + op.error : ''));
      }
    });
    source.addEventListener('plan', function (e) {
      var plan = JSON.parse(e.data);
      if (status) {
        status.textContent = plan.status + (plan.applying ? ' (applying…)' : '');
        status.setAttribute('data-applying', plan.applying ? 'true' : 'false');
      }
    });
    source.addEventListener('end', function (e) {
      var plan = JSON.parse(e.data);
      say('apply finished: plan is ' + plan.status);
      if (status) status.setAttribute('data-applying', 'false');
      source.close();
    });
  }
})();
`;
