/**
 * The console's only assets: one style sheet and one small script, inlined
 * in every page. Hand-written and shipped as part of the compiled package,
 * so the console needs no network, CDN or build step (docs/console.md says why).
 */
export const CONSOLE_STYLE = `
:root{--ok:#1a7f37;--skip:#57606a;--warn:#9a6700;--bad:#cf222e;--block:#8250df;--imp:#6e7781;--run:#0969da;--bg:#fff;--fg:#1f2328;--line:#d0d7de}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.5rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid var(--line);flex-wrap:wrap}
nav{display:flex;gap:1rem;flex-wrap:wrap}nav a{color:var(--fg)}nav a[aria-current=page]{font-weight:700}
main{padding:1rem;max-width:100%;overflow-x:auto}h1{font-size:1.3rem;margin:.2rem 0 1rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem;z-index:9}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--run);outline-offset:1px}
table{border-collapse:collapse}caption{text-align:left;caption-side:top;padding:.2rem 0}th,td{border:1px solid var(--line);padding:.2rem .4rem;text-align:left;vertical-align:top}
.scroll{overflow:auto;max-height:75vh;max-width:100%}
table.grid th.d{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:400;font-size:12px;padding:.3rem .1rem}
table.grid thead th{position:sticky;top:0;background:#f6f8fa;z-index:1}
table.grid th[scope=row]{position:sticky;left:0;background:#fff;white-space:nowrap;font-weight:500}
table.grid td{padding:0;text-align:center;width:1.6rem;height:1.6rem}
table.grid td a{display:block;text-decoration:none;color:inherit;line-height:1.6rem}
.st-completed{background:#dafbe1;color:var(--ok)}.st-skipped{background:#eaeef2;color:var(--skip)}
.st-partial{background:#fff8c5;color:var(--warn)}.st-failed{background:#ffebe9;color:var(--bad)}
.st-blocked{background:#fbefff;color:var(--block)}.st-impossible{background:#f6f8fa;color:var(--imp)}
.st-running{background:#ddf4ff;color:var(--run)}.st-pending{color:#8c959f}
.badge{border-radius:1em;padding:0 .5em;white-space:nowrap;border:1px solid currentColor}
.legend{display:flex;gap:.4rem;flex-wrap:wrap}form.filters{display:flex;gap:.8rem;align-items:end;flex-wrap:wrap;margin-bottom:.8rem}
label{display:flex;flex-direction:column;font-size:12px}input,select,button{font:inherit;padding:.25rem .4rem}
.pager{display:flex;gap:1rem;margin:.6rem 0;flex-wrap:wrap}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-width:100%;white-space:pre-wrap;overflow-wrap:anywhere}
.bar{position:relative;height:1rem;min-width:12rem;background:#f6f8fa}.bar span{position:absolute;top:0;bottom:0;min-width:2px}
svg.dag{border:1px solid var(--line);max-width:none}svg.dag a:focus{outline:none}
svg.dag a:focus rect,svg.dag a.sel rect{stroke:#0969da;stroke-width:3}
svg.dag .edge{fill:none;stroke:#8c959f;stroke-width:1}svg.dag .edge.up{stroke:#bf3989;stroke-width:2.5}
svg.dag .edge.down{stroke:#0969da;stroke-width:2.5}svg.dag a.up rect{stroke:#bf3989;stroke-width:3}svg.dag a.down rect{stroke:#0969da;stroke-width:3}
svg.dag.focused a:not(.up):not(.down):not(.sel){opacity:.35}
svg.dag rect{stroke:#57606a;rx:4}svg.dag text{font-size:12px;fill:#1f2328;pointer-events:none}
.note{color:#57606a}
@media (max-width:700px){main{padding:.5rem}dl.facts{grid-template-columns:1fr}}
`;

/**
 * Arrow keys move between grid cells (one tab stop for the whole grid);
 * selecting a graph node highlights its upstream and downstream; a running
 * run's page refreshes its live section until the run ends.
 */
export const CONSOLE_SCRIPT = `
(function(){
var grid=document.querySelector('table.grid');
if(grid){var links=grid.querySelectorAll('td a');links.forEach(function(a,i){a.tabIndex=i===0?0:-1});
grid.addEventListener('keydown',function(e){var a=e.target.closest&&e.target.closest('td a');if(!a)return;var td=a.parentElement,tr=td.parentElement,col=td.cellIndex,next=null;
if(e.key==='ArrowRight')next=td.nextElementSibling;else if(e.key==='ArrowLeft')next=td.previousElementSibling;
else if(e.key==='ArrowDown'&&tr.nextElementSibling)next=tr.nextElementSibling.cells[col];else if(e.key==='ArrowUp'&&tr.previousElementSibling)next=tr.previousElementSibling.cells[col];
var n=next&&next.querySelector&&next.querySelector('a');if(n){e.preventDefault();a.tabIndex=-1;n.tabIndex=0;n.focus()}});}
var dag=document.querySelector('svg.dag');
if(dag){var data=JSON.parse(document.getElementById('dag-data').textContent);var up={},down={};
data.edges.forEach(function(e){(up[e[1]]=up[e[1]]||[]).push(e[0]);(down[e[0]]=down[e[0]]||[]).push(e[1])});
function walk(start,next){var seen={},todo=[start];while(todo.length){var n=todo.pop();(next[n]||[]).forEach(function(m){if(!seen[m]){seen[m]=1;todo.push(m)}})}return seen}
var nodes={};dag.querySelectorAll('a[data-name]').forEach(function(a){nodes[a.getAttribute('data-name')]=a});
var status=document.getElementById('dag-selection');
function select(name){var u=walk(name,up),d=walk(name,down);dag.classList.add('focused');
Object.keys(nodes).forEach(function(k){var a=nodes[k];a.classList.toggle('sel',k===name);a.classList.toggle('up',!!u[k]);a.classList.toggle('down',!!d[k])});
dag.querySelectorAll('.edge').forEach(function(p){var f=p.getAttribute('data-from'),t=p.getAttribute('data-to');
p.classList.toggle('up',!!((t===name||u[t])&&u[f]));p.classList.toggle('down',!!((f===name||d[f])&&d[t]))});
if(status)status.textContent=name+': '+Object.keys(u).length+' upstream ('+Object.keys(u).sort().join(', ')+'), '+Object.keys(d).length+' downstream ('+Object.keys(d).sort().join(', ')+')';}
Object.keys(nodes).forEach(function(k){var a=nodes[k];a.addEventListener('focus',function(){select(k)});a.addEventListener('mouseenter',function(){select(k)})});}
var live=document.querySelector('[data-live]');
if(live){var timer=setInterval(function(){fetch(live.getAttribute('data-live'),{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null}).then(function(html){
if(html===null)return;live.innerHTML=html;var s=live.querySelector('[data-run-status]');if(s&&s.getAttribute('data-run-status')!=='running')clearInterval(timer)}).catch(function(){})},1000);}
})();
`;
