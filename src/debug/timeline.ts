/**
 * The /debug/timeline page: one self-contained HTML document (inline CSS and script, no CDN, no build
 * step). It fetches `goroutines.json` (live goroutines), the goroutine dump (`pprof/goroutine?debug=2`)
 * and a short trace (`pprof/trace?seconds=…`) from the same handler, groups the goroutines by state,
 * wait reason and creation site, links each to its dump entry, and draws the trace as lanes (a lane per
 * goroutine, the thread lane on top) with zoom (buttons, or the mouse wheel) and pan (drag).
 */
export function timelinePage(base: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>goroutine timeline</title>
<style>
body{font:13px system-ui,sans-serif;margin:0;color:#222}
header{background:#1d3b53;color:#fff;padding:8px 14px;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0}
main{display:grid;grid-template-columns:380px 1fr;gap:0;height:calc(100vh - 40px)}
#groups{overflow:auto;border-right:1px solid #ccc;padding:8px}
#right{display:flex;flex-direction:column;overflow:hidden}
#lanes{flex:1;position:relative;overflow:hidden;border-bottom:1px solid #ccc}
canvas{display:block}
#dump{height:40%;overflow:auto;margin:0;padding:8px;background:#f7f7f7;font:12px ui-monospace,monospace}
.grp{margin:6px 0}.grp h3{font-size:13px;margin:4px 0;background:#eef;padding:2px 4px}
.grp a{display:inline-block;margin:1px 4px 1px 0;color:#0645ad;text-decoration:none}
.sel{background:#ffe98f}
button{font:inherit}
</style></head>
<body><header><h1>goroutine timeline</h1><span id="summary">loading…</span>
<button id="zin">zoom +</button><button id="zout">zoom −</button><button id="reload">record 1 s</button></header>
<main><section id="groups"></section><section id="right"><div id="lanes"><canvas id="cv"></canvas></div><pre id="dump"></pre></section></main>
<script>
"use strict";
const base=${JSON.stringify(base)};
const $=(id)=>document.getElementById(id);
const esc=(s)=>String(s).replace(/[&<>]/g,(c)=>({"&":"&amp;","<":"&lt;",">":"&gt;"}[c]));
function select(id){
  document.querySelectorAll(".sel").forEach((e)=>e.classList.remove("sel"));
  const e=document.getElementById("g"+id);
  if(e){e.classList.add("sel");e.scrollIntoView({block:"center"});}
}
async function loadGoroutines(){
  const [gs,dump]=await Promise.all([fetch(base+"goroutines.json").then((r)=>r.json()),fetch(base+"pprof/goroutine?debug=2").then((r)=>r.text())]);
  $("summary").textContent=gs.length+" goroutines";
  const by=(title,key)=>{
    const m=new Map();
    for(const g of gs){const k=key(g);if(!m.has(k))m.set(k,[]);m.get(k).push(g);}
    let h="<h2>by "+title+"</h2>";
    for(const [k,list] of [...m].sort((a,b)=>b[1].length-a[1].length)){
      h+='<div class="grp"><h3>'+esc(k)+" ("+list.length+")</h3>"+list.map((g)=>'<a href="#g'+g.id+'" data-g="'+g.id+'">G'+g.id+" "+esc(g.fn)+"</a>").join("")+"</div>";
    }
    return h;
  };
  $("groups").innerHTML=by("state",(g)=>g.state)+by("wait reason",(g)=>g.reason||"(not waiting)")+by("creation site",(g)=>g.created||"(unknown)");
  $("groups").querySelectorAll("a").forEach((a)=>a.addEventListener("click",(ev)=>{ev.preventDefault();select(a.dataset.g);}));
  $("dump").innerHTML=dump.split(/\\n(?=goroutine \\d+ \\[)/).map((e)=>{const m=/^goroutine (\\d+)/.exec(e);return '<div id="g'+(m?m[1]:"")+'" class="entry">'+esc(e)+"</div>";}).join("\\n");
}
let trace=null,view={t0:0,t1:1};
async function loadTrace(){
  const tr=await fetch(base+"pprof/trace?seconds=1").then((r)=>r.json());
  const lanes=new Map();
  let max=0;
  for(const e of tr.traceEvents){
    if(e.ph==="M"&&e.name==="thread_name"&&e.pid===2)lanes.set(e.tid,{name:e.args.name,slices:[]});
    if(e.ph==="X"){max=Math.max(max,e.ts+e.dur);const k=e.pid===1?-1:e.tid;if(!lanes.has(k))lanes.set(k,{name:e.pid===1?"main thread":"G"+k,slices:[]});lanes.get(k).slices.push(e);}
  }
  trace={lanes:[...lanes].sort((a,b)=>a[0]-b[0]),max:max||1};
  view={t0:0,t1:trace.max};
  draw();
}
const colors={running:"#2e8b57",runnable:"#e0b000"};
function draw(){
  const cv=$("cv"),box=$("lanes");
  const H=22,W=box.clientWidth;cv.width=W;cv.height=Math.max(box.clientHeight,(trace?trace.lanes.length:0)*H+20);
  const c=cv.getContext("2d");c.clearRect(0,0,cv.width,cv.height);c.font="11px sans-serif";
  if(!trace)return;
  const L=140,sx=(W-L)/(view.t1-view.t0);
  trace.lanes.forEach(([id,lane],i)=>{
    const y=i*H+4;c.fillStyle="#333";c.fillText(lane.name.slice(0,22),4,y+13);
    for(const s of lane.slices){
      const x=L+(s.ts-view.t0)*sx,w=Math.max(1,s.dur*sx);
      if(x+w<L||x>W)continue;
      c.fillStyle=s.pid===1?"#4169e1":colors[s.name]||"#c0392b";c.fillRect(Math.max(L,x),y,w,H-6);
    }
  });
  c.fillStyle="#666";c.fillText((view.t0/1000).toFixed(3)+" ms",L,cv.height-4);c.fillText((view.t1/1000).toFixed(3)+" ms",W-70,cv.height-4);
}
function zoom(f,at){const a=at??(view.t0+view.t1)/2;view={t0:a-(a-view.t0)*f,t1:a+(view.t1-a)*f};draw();}
$("zin").onclick=()=>zoom(0.5);$("zout").onclick=()=>zoom(2);$("reload").onclick=()=>loadTrace();
$("cv").addEventListener("wheel",(e)=>{e.preventDefault();const L=140,W=$("cv").width;zoom(e.deltaY<0?0.8:1.25,view.t0+(e.offsetX-L)/(W-L)*(view.t1-view.t0));});
let drag=null;$("cv").addEventListener("mousedown",(e)=>drag=e.clientX);window.addEventListener("mouseup",()=>drag=null);
window.addEventListener("mousemove",(e)=>{if(drag===null)return;const d=(e.clientX-drag)/($("cv").width-140)*(view.t1-view.t0);drag=e.clientX;view={t0:view.t0-d,t1:view.t1-d};draw();});
$("cv").addEventListener("click",(e)=>{if(!trace)return;const i=Math.floor((e.offsetY-4)/22);const l=trace.lanes[i];if(l&&l[0]>0)select(l[0]);});
window.addEventListener("resize",draw);
loadGoroutines().then(()=>{document.body.dataset.goroutines="loaded";return loadTrace();}).then(()=>{document.body.dataset.trace="loaded";});
</script></body></html>`;
}
