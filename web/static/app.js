// kubesim web UI. Plain JavaScript, no dependencies, no build step.
//
// Rule: every piece of data from the server reaches the DOM through
// textContent, attribute properties or CSSOM values, never as markup.
'use strict';

const $ = (sel) => document.querySelector(sel);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// setText writes a text only when it changed: writing the same text
// still replaces the node and makes the browser restyle and lay out.
function setText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}

// ---- formatting -------------------------------------------------------

function fmtDur(sec) {
  if (!isFinite(sec)) return '?';
  const neg = sec < 0; sec = Math.abs(sec);
  let out;
  if (sec < 60) out = (sec < 10 && sec % 1 ? sec.toFixed(1) : Math.floor(sec)) + 's';
  else if (sec < 3600) out = Math.floor(sec / 60) + 'm' + (Math.floor(sec % 60) ? Math.floor(sec % 60) + 's' : '');
  else out = Math.floor(sec / 3600) + 'h' + (Math.floor(sec % 3600 / 60) ? Math.floor(sec % 3600 / 60) + 'm' : '');
  return (neg ? '-' : '') + out;
}
function fmtCPU(m) { return m >= 1000 ? (m / 1000).toFixed(m % 1000 ? 2 : 0) : m + 'm'; }
function fmtMem(b) {
  const Mi = 1 << 20, Gi = 1 << 30;
  return b >= Gi ? (b / Gi).toFixed(1) + 'Gi' : Math.round(b / Mi) + 'Mi';
}

// Colours by workload: a stable hue from the owner's name.
const colourCache = new Map();
function colourOf(owner) {
  if (!owner) return 'hsl(220, 8%, 55%)';
  let c = colourCache.get(owner);
  if (!c) {
    let h = 2166136261;
    for (let i = 0; i < owner.length; i++) { h ^= owner.charCodeAt(i); h = Math.imul(h, 16777619); }
    const hue = (h >>> 0) % 360;
    c = owner.startsWith('DaemonSet/') ? `hsl(${hue}, 12%, 58%)` : `hsl(${hue}, 62%, 46%)`;
    colourCache.set(owner, c);
  }
  return c;
}

const knownStates = new Set(['Pending', 'ContainerCreating', 'Running', 'CrashLoopBackOff', 'Terminating', 'Completed', 'Error']);
// state is kubectl's STATUS column (the server computes it once, in sim/podutil).
function stateClass(state) {
  if (knownStates.has(state)) return 'st-' + state;
  if (state === 'PodInitializing' || /^Init:\d/.test(state)) return 'st-ContainerCreating';
  return /Err|BackOff|Fail|OOM|Evicted|ExitCode|Signal/.test(state) ? 'st-other-bad' : 'st-other';
}

// ---- API ----------------------------------------------------------------

async function api(method, url, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  let data = null;
  try { data = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const err = new Error((data && data.error) || (r.status + ' ' + r.statusText));
    err.data = data; err.status = r.status;
    throw err;
  }
  return data;
}

function showMessage(text, isError) {
  const m = $('#message');
  m.textContent = text;
  m.className = 'message' + (isError ? ' error' : '');
  m.hidden = !text;
  clearTimeout(showMessage.timer);
  if (text && !isError) showMessage.timer = setTimeout(() => { m.hidden = true; }, 6000);
}

async function control(body) {
  try { await api('POST', '/api/control', body); } catch (e) { showMessage(e.message, true); }
}

async function command(cmd, okText) {
  try {
    const r = await api('POST', '/api/command', cmd);
    showMessage(r.output || okText || 'done', false);
    return true;
  } catch (e) {
    showMessage(e.message, true);
    return false;
  }
}

// ---- state ----------------------------------------------------------------

const state = {
  view: null,
  session: 0,
  scrubbing: false,
  lastHistory: 0,
  drawer: null, // {kind, ns, name}
  lastDetail: 0,
};

// ---- cluster: nodes as bins, pods as blocks --------------------------------

const zoneEls = new Map();   // zone -> {root, list}
const nodeEls = new Map();   // name -> {root, name, badges, type, cpu, mem, cpuLabel, memLabel, pods}
const podEls = new Map();    // ns/name -> element
const podInfo = new Map();   // ns/name -> {state, owner}
const ANIMATE_LIMIT = 3000;  // beyond this many pods, skip the motion

function podKey(p) { return p.ns + '/' + p.name; }

// place puts child at position i of parent, touching the DOM only when it
// is not there already (a moved element loses its hover and identity).
function place(parent, child, i) {
  const at = parent.children[i] || null;
  if (at !== child) parent.insertBefore(child, at);
}

function nodeCard(name) {
  const root = el('div', 'node');
  root.dataset.node = name;
  const head = el('div', 'node-head');
  const nm = el('span', 'node-name', name);
  const badges = el('span', 'badges');
  const type = el('span', 'node-type');
  head.append(nm, badges, type);
  const cpuLabel = el('div', 'lane-label');
  const cpu = el('div', 'lane cpu');
  const memLabel = el('div', 'lane-label');
  const mem = el('div', 'lane mem');
  const pods = el('div', 'pods');
  root.append(head, cpuLabel, cpu, memLabel, mem, pods);
  root.addEventListener('click', () => openDrawer('Node', '', name));
  return { root, badges, type, cpu, mem, cpuLabel, memLabel, pods };
}

function zoneColumn(zone) {
  const root = el('div', 'zone');
  root.dataset.zone = zone;
  root.append(el('h2', null, zone || 'no zone'));
  const list = el('div', 'zone-nodes');
  root.append(list);
  return { root, list };
}

function podBlock(p) {
  const e = el('div', 'pod');
  e.dataset.key = podKey(p);
  e.addEventListener('click', (ev) => { ev.stopPropagation(); openDrawer('Pod', p.ns, p.name); });
  return e;
}

function updatePod(e, p, alloc, node) {
  const binW = 232;
  const share = alloc.cpu > 0 ? p.cpu / alloc.cpu : 0;
  const w = Math.max(10, Math.min(binW, Math.round(share * 4 * binW) - 2));
  e.style.width = w + 'px';
  e.style.backgroundColor = colourOf(p.owner);
  e.className = 'pod ' + stateClass(p.state) + (p.ready ? '' : ' unready') + (e.classList.contains('new') ? ' new' : '');
  e.dataset.state = p.state;
  e.dataset.owner = p.owner || '';
  e.dataset.node = node || '';
  e.title = `${p.ns}/${p.name}\n${p.state}${p.restarts ? ' (' + p.restarts + ' restarts)' : ''}\n${p.owner || 'bare pod'}\ncpu ${fmtCPU(p.cpu)}  memory ${fmtMem(p.mem)}`;
  const label = w >= 40 ? (p.owner ? p.owner.split('/')[1] : p.name) : '';
  if (e.firstChild === null || e.firstChild.nodeType !== Node.TEXT_NODE) e.prepend(document.createTextNode(''));
  if (e.firstChild.nodeValue !== label) e.firstChild.nodeValue = label;
  let r = e.querySelector('.restarts');
  if (p.restarts) {
    if (!r) { r = el('span', 'restarts'); e.append(r); }
    r.textContent = '↻' + p.restarts;
  } else if (r) r.remove();
}

function lane(container, pods, key, total) {
  const frag = document.createDocumentFragment();
  for (const p of pods) {
    if (total <= 0 || p[key] <= 0) continue;
    const seg = el('i');
    seg.style.width = Math.min(100, p[key] / total * 100) + '%';
    seg.style.backgroundColor = colourOf(p.owner);
    frag.append(seg);
  }
  container.replaceChildren(frag);
}

function renderCluster(v) {
  const totalPods = v.nodes ? v.nodes.reduce((n, x) => n + (x.pods ? x.pods.length : 0), 0) : 0;
  const animate = totalPods <= ANIMATE_LIMIT && !document.hidden;
  // FLIP, first: where every pod block is now.
  const first = new Map();
  if (animate) for (const [k, e] of podEls) first.set(k, e.getBoundingClientRect());
  const departures = new Map(); // owner -> [rect] of pods that left or started terminating
  const depart = (owner, rect) => {
    if (!owner || !rect) return;
    if (!departures.has(owner)) departures.set(owner, []);
    departures.get(owner).push(rect);
  };

  const zones = [...new Set((v.nodes || []).map((n) => n.zone))].sort();
  const cluster = $('#cluster');
  const seenZones = new Set(zones);
  for (const [z, ze] of zoneEls) if (!seenZones.has(z)) { ze.root.remove(); zoneEls.delete(z); }
  zones.forEach((z, i) => {
    let ze = zoneEls.get(z);
    if (!ze) { ze = zoneColumn(z); zoneEls.set(z, ze); }
    place(cluster, ze.root, i);
    ze.count = 0;
  });

  const seenNodes = new Set();
  const seenPods = new Set();
  const added = new Set();
  for (const n of v.nodes || []) {
    seenNodes.add(n.name);
    let ne = nodeEls.get(n.name);
    if (!ne) { ne = nodeCard(n.name); nodeEls.set(n.name, ne); }
    const ze = zoneEls.get(n.zone);
    place(ze.list, ne.root, ze.count++);
    const notReady = n.ready !== 'True';
    ne.root.classList.toggle('notready', notReady);
    ne.root.classList.toggle('cordoned', n.unschedulable);
    ne.root.dataset.ready = n.ready;
    const badges = [];
    if (notReady) badges.push(['notready', n.ready === 'Unknown' ? 'NotReady (Unknown)' : 'NotReady']);
    if (n.unschedulable) badges.push(['cordoned', 'SchedulingDisabled']);
    ne.badges.replaceChildren(...badges.map(([c, t]) => el('span', 'badge ' + c, t)));
    ne.type.textContent = n.instanceType || n.group;
    ne.root.title = `${n.name}  ${n.zone}  ${n.instanceType}\nReady: ${n.ready}${n.taints && n.taints.length ? '\ntaints: ' + n.taints.join(', ') : ''}`;
    ne.cpuLabel.replaceChildren(el('span', null, 'cpu'), el('span', null, `${fmtCPU(n.requested.cpu)} / ${fmtCPU(n.allocatable.cpu)}`));
    ne.memLabel.replaceChildren(el('span', null, 'memory'), el('span', null, `${fmtMem(n.requested.mem)} / ${fmtMem(n.allocatable.mem)}`));
    const pods = n.pods || [];
    lane(ne.cpu, pods, 'cpu', n.allocatable.cpu);
    lane(ne.mem, pods, 'mem', n.allocatable.mem);
    pods.forEach((p, i) => {
      const k = podKey(p);
      seenPods.add(k);
      let e = podEls.get(k);
      const prev = podInfo.get(k);
      if (!e) {
        e = podBlock(p); podEls.set(k, e);
        e.classList.add('new');
        setTimeout(() => e.classList.remove('new'), 500);
        added.add(k);
      } else if (prev && prev.state !== 'Terminating' && p.state === 'Terminating') {
        depart(p.owner, first.get(k));
      }
      podInfo.set(k, { state: p.state, owner: p.owner });
      updatePod(e, p, n.allocatable, n.name);
      place(ne.pods, e, i); // in the view's order
    });
  }
  for (const [name, ne] of nodeEls) if (!seenNodes.has(name)) { ne.root.remove(); nodeEls.delete(name); }
  for (const [k, e] of podEls) {
    if (seenPods.has(k)) continue;
    const info = podInfo.get(k);
    if (animate) {
      const r = first.get(k);
      if (info && info.state !== 'Terminating') depart(info.owner, r);
      if (r) ghost(e, r);
    }
    e.remove(); podEls.delete(k); podInfo.delete(k);
  }

  if (!animate) return;
  // FLIP, last and invert: a pod that moved, or a replacement of a pod
  // that left, starts where the old one was and glides into place.
  const moving = [];
  for (const [k, e] of podEls) {
    let from = first.get(k);
    if (!from) {
      const owner = podInfo.get(k).owner;
      const list = departures.get(owner);
      if (list && list.length && added.has(k)) { from = list.shift(); e.classList.remove('new'); }
    }
    if (!from) continue;
    const to = e.getBoundingClientRect();
    const dx = from.left - to.left, dy = from.top - to.top;
    if (Math.abs(dx) < 1 && Math.abs(dy) < 1) continue;
    e.style.transition = 'none';
    e.style.transform = `translate(${dx}px, ${dy}px)`;
    moving.push(e);
  }
  if (moving.length) {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      for (const e of moving) { e.style.transition = ''; e.style.transform = ''; }
    }));
  }
}

// ghost leaves a fading copy of a removed pod where it was.
function ghost(e, r) {
  const g = el('div', 'ghost');
  g.style.left = r.left + 'px'; g.style.top = r.top + 'px';
  g.style.width = r.width + 'px'; g.style.height = r.height + 'px';
  g.style.backgroundColor = e.style.backgroundColor;
  document.body.append(g);
  requestAnimationFrame(() => requestAnimationFrame(() => { g.style.opacity = '0'; g.style.transform = 'scale(.3)'; }));
  setTimeout(() => g.remove(), 900);
}

// ---- compact map: many nodes as tiles on a canvas ----------------------------
//
// Beyond what fits as cards (a few dozen nodes), the cluster is drawn on
// one canvas, like kube-ops-view: each node a small tile, grouped by zone
// and node group, its pods as squares coloured by workload, two bars for
// the CPU and memory requested. A few canvases instead of 30,000 elements:
// the map is cut into bands of a few tile rows, each its own canvas, so a
// node that changes repaints (and the browser uploads and composites) one
// band of ~200 pixels, not a picture thousands of pixels tall.

const PX = 4, PITCH = 5;       // a pod square and its spacing
const BAND_ROWS = 4;           // tile rows per canvas
// map.canvas is the map's box (#map), holding the bands' canvases.
const map = { canvas: null, bands: [], tiles: [], sections: [], cols: 6, selected: '' };

// wantCompact: the cards of the fullest zone would be far taller than the
// window.
function wantCompact(v) {
  if (v.compact) return true; // the server sends a big cluster's pods without names: only the map draws them
  const perZone = new Map();
  for (const n of v.nodes || []) perZone.set(n.zone, (perZone.get(n.zone) || 0) + 1);
  let most = 0;
  for (const c of perZone.values()) most = Math.max(most, c);
  return most * 130 > 2 * Math.max(400, window.innerHeight);
}

function leaveCards() {
  for (const ne of nodeEls.values()) ne.root.remove();
  nodeEls.clear();
  for (const ze of zoneEls.values()) ze.root.remove();
  zoneEls.clear();
  podEls.clear(); podInfo.clear();
}

function ensureMap() {
  if (map.canvas) return;
  const cluster = $('#cluster');
  const legend = el('div', 'map-legend muted',
    'compact view: each tile a node, grouped by zone and node group; squares are pods coloured by workload ' +
    '(faded: not ready, hollow: pending or creating, grey: terminating, red: failing); ' +
    'bars: CPU and memory requested; red border NotReady, dashed amber cordoned. Click a tile or a pod.');
  legend.id = 'map-legend';
  const c = el('div');
  c.id = 'map';
  c.addEventListener('click', async (ev) => {
    const hit = mapHit(ev);
    if (!hit) return;
    if (!hit.pod) { openDrawer('Node', '', hit.node.name); return; }
    const p = await namedPod(hit);
    if (p) openDrawer('Pod', p.ns, p.name); else openDrawer('Node', '', hit.node.name);
  });
  const title = (hit, p) => !hit ? '' : hit.pod ? `${p ? `${p.ns}/${p.name}` : hit.pod.owner || 'pod'}\n${hit.pod.state}\non ${hit.node.name}` :
    `${hit.node.name}  ${hit.node.zone}  ${hit.node.instanceType}\nReady: ${hit.node.ready}\ncpu ${fmtCPU(hit.node.requested.cpu)} / ${fmtCPU(hit.node.allocatable.cpu)} requested`;
  c.addEventListener('mousemove', async (ev) => {
    const hit = mapHit(ev);
    const t = title(hit, hit && hit.pod && hit.pod.name ? hit.pod : null);
    if (c.title !== t) c.title = t;
    if (hit && hit.pod && !hit.pod.name) {
      const p = await namedPod(hit);
      const again = mapHit(ev);
      if (p && again && again.node === hit.node && again.pod === hit.pod) c.title = title(hit, p);
    }
  });
  cluster.replaceChildren(legend, c);
  cluster.classList.add('compact');
  map.canvas = c;
}

// clusterWidth is the cluster panel's width, kept by a ResizeObserver:
// reading clientWidth after the panels' writes would make the browser lay
// the page out in the middle of every update.
let clusterW = 0;
function clusterWidth() {
  if (!clusterWidth.observer) {
    const c = $('#cluster');
    clusterW = c.clientWidth;
    clusterWidth.observer = new ResizeObserver((entries) => {
      const w = Math.round(entries[entries.length - 1].contentRect.width);
      if (w !== clusterW) { clusterW = w; if (map.canvas && state.view) drawMap(state.view); }
    });
    clusterWidth.observer.observe(c);
  }
  return clusterW;
}

function leaveMap() {
  if (!map.canvas) return;
  $('#cluster').replaceChildren();
  $('#cluster').classList.remove('compact');
  map.canvas = null; map.bands = []; map.tiles = []; map.layout = ''; map.byName = null;
}

function mapHit(ev) {
  const r = map.canvas.getBoundingClientRect();
  const x = ev.clientX - r.left, y = ev.clientY - r.top;
  for (const t of map.tiles) {
    if (x < t.x || y < t.y || x >= t.x + t.w || y >= t.y + t.h) continue;
    const gx = Math.floor((x - t.px) / PITCH), gy = Math.floor((y - t.py) / PITCH);
    const i = gy * map.cols + gx;
    const pods = t.node.pods || [];
    if (gx >= 0 && gx < map.cols && gy >= 0 && i < pods.length) return { node: t.node, pod: pods[i] };
    return { node: t.node };
  }
  return null;
}

// A compact view's pods have no names (the map does not need them): a
// node's pods are asked for when one is pointed at, once per version of
// the node (the node object is replaced when any of its pods changes).
const nodePods = new WeakMap(); // node object -> Promise of its pods
function namedPod(hit) {
  if (hit.pod.name) return Promise.resolve(hit.pod);
  let got = nodePods.get(hit.node);
  if (!got) {
    got = api('GET', '/api/pods?node=' + encodeURIComponent(hit.node.name)).then((r) => r.pods, () => null);
    nodePods.set(hit.node, got);
  }
  return got.then((pods) => {
    const p = pods && pods[hit.pod.i];
    return p && (p.owner || '') === hit.pod.owner ? p : null;
  });
}

// expand gives a compact node (pods as indices of owners and states in
// the view's strings, see compactPods in json.go) the pods the map draws:
// owner, state, ready and the index to ask its name by.
function expand(n) {
  if (!n.pk) return n;
  const pods = new Array(n.pk.length / 2), strs = stream.strings;
  for (let i = 0, j = 0; j < n.pk.length; i++, j += 2) {
    const s = n.pk[j + 1];
    pods[i] = { i, owner: strs[n.pk[j]], state: strs[s >> 1], ready: (s & 1) === 1 };
  }
  n.pods = pods;
  return n;
}

function podFill(p) {
  if (p.state === 'Terminating') return '#9ca3af';
  if (/Err|BackOff|Fail|OOM|Evicted/.test(p.state)) return '#dc2626';
  return colourOf(p.owner);
}

// drawMap lays the tiles out (zone, then node group, then name order) and
// paints them. changed, when given, names the only nodes that changed
// since the last call: if the layout stayed the same, only their tiles
// (and the section headings) are repainted — at 1,000 nodes a node
// failing repaints a few dozen tiles, not 30,000 pods.
function drawMap(v, changed) {
  ensureMap();
  const c = map.canvas;
  const nodes = v.nodes || [];
  let most = 1;
  for (const n of nodes) most = Math.max(most, (n.pods || []).length, n.allocatable.pods > 0 ? Math.min(n.allocatable.pods, 64) : 0);
  const cols = Math.max(4, Math.ceil(Math.sqrt(most)));
  const rows = Math.ceil(most / cols);
  const width = Math.max(300, clusterWidth());
  const sel = state.drawer && state.drawer.kind === 'Node' ? state.drawer.name : '';
  const layout = `${width}|${cols}|${rows}|${nodes.length}`;
  if (changed && map.layout === layout && map.names === stream.names && map.byName) {
    repaintMap(v, changed, sel);
    return;
  }
  map.cols = cols;
  const tw = 3 + 2 * 3 + cols * PITCH + 2, th = Math.max(14, rows * PITCH + 5);
  const groups = new Map();
  for (const n of nodes) {
    const k = (n.zone || 'no zone') + '\u0000' + (n.group || '');
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(n);
  }
  const keys = [...groups.keys()].sort();
  const perRow = Math.max(1, Math.floor((width - 4) / (tw + 3)));
  let y = 0;
  const sections = [];
  const layoutBands = [];
  for (const k of keys) {
    const list = groups.get(k);
    const sec = { y, key: k, list, width, heading: '' };
    sections.push(sec);
    const rowsN = Math.ceil(list.length / perRow);
    for (let r0 = 0; r0 < rowsN; r0 += BAND_ROWS) {
      const top = r0 === 0 ? y : y + 18 + r0 * (th + 3);
      const bottom = y + 18 + Math.min(rowsN, r0 + BAND_ROWS) * (th + 3);
      const b = { y: top, h: bottom - top };
      if (r0 === 0) sec.band = b;
      layoutBands.push(b);
    }
    y += 18 + rowsN * (th + 3) + 6;
  }
  const dpr = window.devicePixelRatio || 1;
  const H = Math.max(40, y);
  c.style.width = width + 'px'; c.style.height = H + 'px';
  // the bands' canvases, reused in order
  layoutBands.forEach((b, i) => {
    const old = map.bands[i];
    b.canvas = old ? old.canvas : el('canvas');
    if (!old) c.append(b.canvas);
    if (b.canvas.width !== Math.round(width * dpr) || b.canvas.height !== Math.round(b.h * dpr)) {
      b.canvas.width = Math.round(width * dpr); b.canvas.height = Math.round(b.h * dpr);
    }
    b.canvas.style.top = b.y + 'px'; b.canvas.style.width = width + 'px'; b.canvas.style.height = b.h + 'px';
    b.g = b.canvas.getContext('2d');
    b.g.setTransform(dpr, 0, 0, dpr, 0, -b.y * dpr); // the map's coordinates
    b.g.clearRect(0, b.y, width, b.h);
    b.paint = new Map(); // style key -> [x, y, x, y, ...] of pod squares
  });
  for (const b of map.bands.slice(layoutBands.length)) b.canvas.remove();
  map.bands = layoutBands;
  const tiles = [];
  const byName = new Map();
  for (const sec of sections) {
    sec.list.forEach((n, i) => {
      const x = 2 + (i % perRow) * (tw + 3), ty = sec.y + 18 + Math.floor(i / perRow) * (th + 3);
      const band = layoutBands.find((b) => ty >= b.y && ty < b.y + b.h);
      const t = { x, y: ty, w: tw, h: th, px: x + 9, py: ty + 3, node: n, sec, band };
      tiles.push(t);
      byName.set(n.name, t);
      paintTile(band.g, t, sel, band.paint);
    });
  }
  for (const b of layoutBands) paintPods(b.g, b.paint);
  map.tiles = tiles;
  map.sections = sections;
  map.byName = byName;
  map.selected = sel;
  map.layout = layout;
  map.names = stream.names;
  paintHeadings();
  // The Performance API's record of the first map (the browser tests
  // read it: the first render at 1,000 nodes must stay under 2 s).
  if (!performance.getEntriesByName('kubesim-first-map').length) performance.mark('kubesim-first-map');
  c.dataset.nodes = String(tiles.length);
  c.dataset.version = String(v.version);
}

// selectOnMap outlines the node whose drawer is open: only its tile and
// the one outlined before are repainted (a drawer opening at 1,000 nodes
// does not redraw 30,000 pods).
function selectOnMap() {
  if (!map.canvas || !state.view) return;
  const sel = state.drawer && state.drawer.kind === 'Node' ? state.drawer.name : '';
  if (!map.byName) { drawMap(state.view); return; }
  const was = map.selected;
  if (was === sel) return;
  map.selected = sel;
  repaintMap(state.view, [was, sel].filter(Boolean), sel);
}

// repaintMap repaints the tiles of the changed nodes in place, in their
// bands' canvases only.
function repaintMap(v, changed, sel) {
  const touched = new Set();
  for (const name of changed) {
    const t = map.byName.get(name);
    const n = stream.nodes.get(name);
    if (!t || !n) continue;
    t.node = n;
    const list = t.sec.list;
    const i = list.findIndex((x) => x.name === name);
    if (i >= 0) list[i] = n;
    const b = t.band;
    if (!touched.has(b)) { touched.add(b); b.paint = new Map(); }
    b.g.clearRect(t.x - 1, t.y - 1, t.w + 2, t.h + 2);
    paintTile(b.g, t, sel, b.paint);
  }
  for (const b of touched) paintPods(b.g, b.paint);
  paintHeadings();
  map.canvas.dataset.version = String(v.version);
  map.repaints = (map.repaints || 0) + 1;
}

// paintHeadings writes each section's heading (zone, node group, Ready)
// in its first band, when its text changed.
function paintHeadings() {
  for (const sec of map.sections) {
    const [zone, group] = sec.key.split('\u0000');
    const ready = sec.list.filter((n) => n.ready === 'True').length;
    const text = `${zone} · ${group || 'nodes'} · ${ready}/${sec.list.length} Ready`;
    if (text === sec.heading) continue;
    sec.heading = text;
    const g = sec.band.g;
    g.font = '600 12px system-ui, sans-serif';
    g.textBaseline = 'top';
    g.clearRect(0, sec.y, sec.width, 17);
    g.fillStyle = ready < sec.list.length ? '#b91c1c' : '#4b5563';
    g.fillText(text, 2, sec.y + 2);
  }
}

// mapPicture is the map's pixels, band by band (the tests compare it).
function mapPicture() {
  return map.bands.map((b) => b.canvas.toDataURL()).join('\n');
}

// paintTile draws a tile's frame and bars, and adds its pods to paint.
function paintTile(g, t, sel, paint) {
  const n = t.node, x = t.x, ty = t.y, tw = t.w, th = t.h;
  const notReady = n.ready !== 'True';
  g.fillStyle = notReady ? '#fde8e8' : '#ffffff';
  g.fillRect(x, ty, tw, th);
  // requested CPU and memory, as two bars rising from the bottom
  const bar = (bx, req, alloc) => {
    const f = alloc > 0 ? Math.min(1, req / alloc) : 0;
    g.fillStyle = '#e5e7eb'; g.fillRect(bx, ty + 2, 2, th - 4);
    g.fillStyle = f >= 0.98 ? '#dc2626' : f >= 0.9 ? '#ea580c' : f >= 0.7 ? '#d97706' : '#1f9d55';
    const h = Math.round(f * (th - 4));
    g.fillRect(bx, ty + 2 + (th - 4 - h), 2, h);
  };
  bar(x + 2, n.requested.cpu, n.allocatable.cpu);
  bar(x + 5, n.requested.mem, n.allocatable.mem);
  // Pods are batched by how they are painted: setting a colour costs
  // more than a square, and there are few colours and many squares.
  const pods = n.pods || [];
  for (let j = 0; j < pods.length; j++) {
    const p = pods[j];
    const px = t.px + (j % map.cols) * PITCH, py = t.py + Math.floor(j / map.cols) * PITCH;
    const hollow = p.state === 'Pending' || p.state === 'ContainerCreating';
    const key = (hollow ? 'o' : p.state === 'Running' && !p.ready ? 'f' : 's') + podFill(p);
    let list = paint.get(key);
    if (!list) { list = []; paint.set(key, list); }
    list.push(px, py);
  }
  g.lineWidth = n.name === sel ? 3 : notReady ? 2 : 1;
  g.strokeStyle = n.name === sel ? '#2563eb' : notReady ? '#dc2626' : n.unschedulable ? '#d97706' : '#cbd5e1';
  g.setLineDash(n.unschedulable ? [3, 2] : []);
  g.strokeRect(x + 0.5, ty + 0.5, tw - 1, th - 1);
  g.setLineDash([]);
}

function paintPods(g, paint) {
  for (const [key, xy] of paint) {
    const col = key.slice(1);
    g.globalAlpha = key[0] === 'f' ? 0.45 : 1;
    if (key[0] === 'o') {
      g.strokeStyle = col; g.lineWidth = 1;
      for (let i = 0; i < xy.length; i += 2) g.strokeRect(xy[i] + 0.5, xy[i + 1] + 0.5, PX - 1, PX - 1);
    } else {
      g.fillStyle = col;
      for (let i = 0; i < xy.length; i += 2) g.fillRect(xy[i], xy[i + 1], PX, PX);
    }
  }
  g.globalAlpha = 1;
}

// ---- side panels -------------------------------------------------------------

// The pending list is rebuilt only when its pods or their reasons change;
// otherwise only the ages that moved are rewritten.
let pendingRows = { key: null, ages: [] };
function renderPending(v) {
  const list = $('#pending');
  const pending = (v.pending || []).slice(0, 200);
  const total = v.pendingTotal === undefined ? pending.length : v.pendingTotal; // the server lists the oldest 200
  setText($('#pending-count'), String(total));
  const key = total + '\u0000' + pending.map((p) => `${podKey(p)}|${p.owner}|${p.reason || p.state}`).join('\u0000');
  if (key !== pendingRows.key) {
    const frag = document.createDocumentFragment();
    const ages = [];
    for (const p of pending) {
      const li = el('li');
      li.dataset.key = podKey(p);
      const name = el('a', null, `${p.ns}/${p.name}`);
      name.href = '#';
      name.addEventListener('click', (ev) => { ev.preventDefault(); openDrawer('Pod', p.ns, p.name); });
      const sw = el('span', 'swatch'); sw.style.backgroundColor = colourOf(p.owner);
      const age = el('span', 'muted');
      ages.push(age);
      li.append(sw, name, age, el('span', 'reason', p.reason || p.state));
      frag.append(li);
    }
    if (total > pending.length) frag.append(el('li', 'muted', `… and ${total - pending.length} more`));
    list.replaceChildren(frag);
    pendingRows = { key, ages };
  }
  pending.forEach((p, i) => setText(pendingRows.ages[i], ` ${fmtDur(v.time - (p.created || 0))}`));
}

const workloadRows = new Map();
function renderWorkloads(v) {
  const body = $('#workloads tbody');
  const seen = new Set();
  for (const w of v.workloads || []) {
    const k = `${w.kind}/${w.ns}/${w.name}`;
    seen.add(k);
    let row = workloadRows.get(k);
    if (!row) {
      row = { tr: el('tr'), cells: [] };
      row.tr.dataset.workload = `${w.kind}/${w.name}`;
      const nameTd = el('td');
      const sw = el('span', 'swatch'); sw.style.backgroundColor = colourOf(`${w.kind}/${w.name}`);
      nameTd.append(sw, el('span', null, `${w.kind.toLowerCase()}/${w.name}`));
      if (w.ns !== 'default') nameTd.append(el('span', 'muted', ` -n ${w.ns}`));
      row.tr.append(nameTd);
      for (let i = 0; i < 3; i++) { const td = el('td'); row.cells.push(td); row.tr.append(td); }
      const act = el('td');
      if (w.kind === 'Deployment' || w.kind === 'StatefulSet') {
        const input = el('input'); input.type = 'number'; input.min = '0'; input.max = '10000';
        input.value = String(w.desired);
        const btn = el('button', null, 'scale'); btn.type = 'button';
        btn.addEventListener('click', () => {
          const n = Number(input.value);
          if (!Number.isInteger(n) || n < 0) { showMessage('replicas must be a whole number ≥ 0', true); return; }
          command({ verb: 'scale', kind: w.kind.toLowerCase(), namespace: w.ns, name: w.name, replicas: n });
        });
        act.append(input, btn);
        row.input = input;
      }
      row.tr.append(act);
      workloadRows.set(k, row);
    }
    setText(row.cells[0], `${w.ready}/${w.desired}`);
    setText(row.cells[1], String(w.upToDate));
    setText(row.cells[2], String(w.available));
    if (row.input && document.activeElement !== row.input && row.desired !== w.desired) row.input.value = String(w.desired);
    row.desired = w.desired;
    place(body, row.tr, seen.size - 1);
  }
  for (const [k, row] of workloadRows) if (!seen.has(k)) { row.tr.remove(); workloadRows.delete(k); }
}

// The events table follows a sliding window of the newest events: rows
// already shown are kept (most updates drop a few old rows and add a few
// new ones; rebuilding 150 rows cost ~50 ms of a loaded machine's page
// at 1,000 nodes), and only the ages are rewritten as time moves.
let eventRows = []; // {key, t, age: td, tr}, as shown
let lastEventsSecond = -1;
const eventKey = (e) => `${e.t}|${e.type}|${e.reason}|${e.object}|${e.count}|${e.message}`;
function renderEvents(v) {
  const evs = (v.events || []).slice(-150);
  const keys = evs.map(eventKey);
  const second = Math.floor(v.time);
  // the largest overlap: the rows from shift on are the new list's first
  let shift = -1;
  for (let s = 0; s <= eventRows.length; s++) {
    const n = eventRows.length - s;
    if (n > keys.length) continue;
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = eventRows[s + i].key === keys[i];
    if (ok) { shift = s; break; }
  }
  const unchanged = shift === 0 && eventRows.length === keys.length;
  if (unchanged && second === lastEventsSecond) return;
  lastEventsSecond = second;
  followEvents();
  const body = $('#events tbody');
  if (!unchanged) {
    if (shift < 0) { body.replaceChildren(); eventRows = []; shift = 0; }
    for (const r of eventRows.slice(0, shift)) r.tr.remove();
    eventRows = eventRows.slice(shift);
    const frag = document.createDocumentFragment();
    for (let i = eventRows.length; i < evs.length; i++) {
      const e = evs[i];
      const tr = el('tr', e.type === 'Warning' ? 'warning' : null);
      const msg = e.count > 1 ? `${e.message} (x${e.count})` : e.message;
      const age = el('td');
      tr.append(age, el('td', null, e.type), el('td', null, e.reason), el('td', null, e.object), el('td', null, msg));
      frag.append(tr);
      eventRows.push({ key: keys[i], t: e.t, age, tr });
    }
    body.append(frag);
  }
  for (const r of eventRows) setText(r.age, fmtDur(v.time - r.t));
}

// followEvents keeps the events' scroll box at its newest row while the
// reader has not scrolled up, without reading the layout in an update (a
// read after the update's writes would lay the page out once more): the
// position is judged when the reader scrolls, and the box is scrolled
// down when the table grows, by a ResizeObserver, after the frame's
// layout.
function followEvents() {
  if (followEvents.on) return;
  followEvents.on = true;
  const scroll = $('.events-scroll');
  let follow = true;
  scroll.addEventListener('scroll', () => { follow = scroll.scrollTop + scroll.clientHeight >= scroll.scrollHeight - 4; }, { passive: true });
  new ResizeObserver(() => { if (follow) scroll.scrollTop = scroll.scrollHeight; }).observe($('#events'));
}

let etcdDetail = new Map(); // member -> {appliedIndex}
let etcdKey = '';
function renderEtcd(v) {
  const q = $('#quorum');
  setText(q, v.etcd.quorum ? `quorum · leader ${v.etcd.leader}` : 'NO QUORUM');
  const qc = 'pill ' + (v.etcd.quorum ? 'ok' : 'bad');
  if (q.className !== qc) q.className = qc;
  const key = (v.etcd.members || []).map((m) => { const d = etcdDetail.get(m.name); return `${m.name}|${m.zone}|${m.state}|${d ? d.appliedIndex : ''}`; }).join(',');
  if (key === etcdKey) return; // the table is rebuilt only when a member's line changes
  etcdKey = key;
  const frag = document.createDocumentFragment();
  for (const m of v.etcd.members || []) {
    const tr = el('tr');
    tr.dataset.member = m.name;
    const st = el('span', 'pill ' + (m.state === 'leader' ? 'ok' : m.state === 'follower' ? '' : 'bad'), m.state);
    const d = etcdDetail.get(m.name);
    const td = el('td'); td.append(st);
    const btn = el('button', m.state === 'down' ? null : 'danger', m.state === 'down' ? 'start' : 'stop');
    btn.type = 'button';
    btn.addEventListener('click', () => command({ verb: m.state === 'down' ? 'etcd-start' : 'etcd-stop', member: m.name }));
    const part = el('button', null, m.state === 'partitioned' ? 'heal' : 'partition');
    part.type = 'button';
    part.disabled = m.state === 'down';
    part.addEventListener('click', () => command({ verb: m.state === 'partitioned' ? 'etcd-heal' : 'etcd-partition', member: m.name }));
    const act = el('td'); act.append(btn, ' ', part);
    tr.append(el('td', null, m.name), el('td', null, m.zone), td, el('td', null, d ? String(d.appliedIndex || 0) : '–'), act);
    frag.append(tr);
  }
  $('#etcd tbody').replaceChildren(frag);
}

async function pollEtcd() {
  try {
    const r = await api('GET', '/api/etcd');
    etcdDetail = new Map(r.members.map((m) => [m.name, m]));
    if (state.view) renderEtcd(state.view);
  } catch (_) { /* shown by the next snapshot */ }
}

// ---- header ------------------------------------------------------------------

function renderHeader(v) {
  const t = $('#time');
  setText(t, fmtDur(v.time));
  t.dataset.seconds = String(v.time);
  setText($('#scenario'), v.scenario);
  const rs = $('#runstate');
  setText(rs, v.paused ? 'paused' : (v.speed ? `×${v.speed}` : 'max'));
  const rc = 'pill ' + (v.paused ? 'warn' : 'ok');
  if (rs.className !== rc) rs.className = rc;
  setText($('#play'), v.paused ? 'Play' : 'Pause');
  const sel = $('#speed');
  if (sel.options.length !== v.speeds.length + 1) {
    sel.replaceChildren(...v.speeds.map((s) => { const o = el('option', null, '×' + s); o.value = String(s); return o; }));
    const o = el('option', null, 'max'); o.value = 'max'; sel.append(o);
  }
  if (document.activeElement !== sel) sel.value = v.speed ? String(v.speed) : 'max';
  const c = v.counts;
  const counts = $('#counts');
  if (counts.children.length !== 5) {
    counts.replaceChildren(el('span'), el('span', 'cost'), el('span'), el('span'), el('span'));
  }
  const [nodes, cost, running, pending, failed] = counts.children;
  setText(nodes, `nodes ${c.nodesReady}/${c.nodes} ready`);
  setText(cost, `$${(c.costPerHour || 0).toFixed(3)}/h ($${(c.costTotal || 0).toFixed(2)} so far)`);
  setText(running, `pods ${c.running} running`);
  setText(pending, `${c.pending} pending`);
  pending.classList.toggle('warn', c.pending > 0);
  setText(failed, c.failed ? `${c.failed} failed` : '');
  document.body.dataset.version = String(v.version);
  document.body.dataset.session = String(v.session);
}

// ---- timeline ----------------------------------------------------------------

let history = [];
// The timeline spans what happened plus a fifth more (the scrubber may run
// ahead that far), so the charts stay readable early on.
// The span is rounded up to a quarter of its power of ten, so that it
// changes now and then rather than with every update (a new span redraws
// every chart).
function timelineMax(v) {
  const last = history.length ? history[history.length - 1].t : 0;
  const want = Math.max(60, Math.ceil(Math.max(v.time, last) * 1.2));
  const step = Math.pow(10, Math.floor(Math.log10(want))) / 4;
  return Math.ceil(want / step) * step;
}

// chart draws a chart's lines again only when its samples or its time
// scale changed; otherwise only the cursor moves.
function chart(svg, samples, series, tmax, now) {
  const W = 300, H = 90;
  const x = (now / tmax * W).toFixed(1);
  if (svg.drawn && svg.drawn.samples === samples && svg.drawn.tmax === tmax) {
    if (svg.drawn.x !== x) { svg.drawn.cursor.setAttribute('x1', x); svg.drawn.cursor.setAttribute('x2', x); svg.drawn.x = x; }
    return;
  }
  let ymax = 1;
  for (const s of samples) for (const se of series) ymax = Math.max(ymax, se.get(s));
  ymax *= 1.1;
  const kids = [];
  for (const se of series) {
    const pts = samples.map((s) => `${(s.t / tmax * W).toFixed(1)},${(H - se.get(s) / ymax * H).toFixed(1)}`).join(' ');
    kids.push(svgEl('polyline', { points: pts, stroke: se.colour }));
  }
  const cursor = svgEl('line', { class: 'cursor', x1: x, x2: x, y1: 0, y2: H });
  kids.push(cursor);
  const title = svgEl('title', {});
  title.textContent = series.map((se) => se.label).join(', ');
  kids.push(title);
  svg.replaceChildren(...kids);
  svg.drawn = { samples, tmax, x, cursor };
}

function renderTimeline(v) {
  const tmax = timelineMax(v);
  const now = state.scrubbing ? Number($('#scrubber').value) : v.time;
  const GiB = 1 << 30;
  chart($('#chart-phase'), history, [
    { get: (s) => s.running, colour: '#1f9d55', label: 'running' },
    { get: (s) => s.pending, colour: '#d97706', label: 'pending' },
    { get: (s) => s.failed, colour: '#dc2626', label: 'failed' },
    { get: (s) => s.succeeded, colour: '#6b7280', label: 'succeeded' }], tmax, now);
  chart($('#chart-cpu'), history, [
    { get: (s) => s.cpuAlloc / 1000, colour: '#9ca3af', label: 'allocatable' },
    { get: (s) => s.cpuReq / 1000, colour: '#2563eb', label: 'requested' }], tmax, now);
  chart($('#chart-mem'), history, [
    { get: (s) => s.memAlloc / GiB, colour: '#9ca3af', label: 'allocatable' },
    { get: (s) => s.memReq / GiB, colour: '#7c3aed', label: 'requested' }], tmax, now);
  chart($('#chart-pending'), history, [{ get: (s) => s.pending, colour: '#d97706', label: 'pending' }], tmax, now);
  chart($('#chart-nodes'), history, [{ get: (s) => s.machines || 0, colour: '#0f766e', label: 'billed machines' }], tmax, now);
  chart($('#chart-cost'), history, [{ get: (s) => s.costPerHour || 0, colour: '#b45309', label: 'USD per hour' }], tmax, now);
  const sc = $('#scrubber');
  if (!state.scrubbing) {
    if (sc.max !== String(tmax)) sc.max = String(tmax);
    if (sc.value !== String(Math.floor(v.time))) sc.value = String(Math.floor(v.time));
    setText($('#scrub-label'), `${fmtDur(v.time)} of ${fmtDur(tmax)}`);
  }
  if ($('#resume').hidden !== !v.paused) $('#resume').hidden = !v.paused;
}

async function refreshHistory() {
  try {
    const r = await api('GET', '/api/history');
    history = r.samples || [];
    if (state.view) renderTimeline(state.view);
  } catch (_) { /* next time */ }
}

// ---- detail drawer -------------------------------------------------------------

function openDrawer(kind, ns, name) {
  state.drawer = { kind, ns, name };
  $('#drawer').hidden = false;
  $('#drawer').dataset.kind = kind;
  $('#drawer').dataset.name = name;
  $('#drawer-title').textContent = `${kind.toLowerCase()}/${name}` + (ns ? `  (${ns})` : '');
  const acts = $('#drawer-actions');
  const btn = (label, action, cmd, cls) => {
    const b = el('button', cls || null, label); b.type = 'button'; b.dataset.action = action;
    b.addEventListener('click', async () => { if (await command(cmd, `${label}: ${name}`)) refreshDetail(true); });
    return b;
  };
  if (kind === 'Node') {
    acts.replaceChildren(
      btn('Fail node', 'fail', { verb: 'fail', node: name }, 'danger'),
      btn('Recover', 'recover', { verb: 'recover', node: name }),
      btn('Cordon', 'cordon', { verb: 'cordon', node: name }),
      btn('Uncordon', 'uncordon', { verb: 'uncordon', node: name }),
      btn('Drain', 'drain', { verb: 'drain', node: name }, 'danger'));
  } else if (kind === 'Pod') {
    acts.replaceChildren(btn('Delete pod', 'delete', { verb: 'delete-pod', namespace: ns, name }, 'danger'));
  } else acts.replaceChildren();
  $('#drawer-yaml').textContent = 'loading…';
  selectOnMap();
  refreshDetail(true);
}

function closeDrawer() {
  state.drawer = null; $('#drawer').hidden = true;
  selectOnMap();
}

async function refreshDetail(force) {
  const d = state.drawer;
  if (!d) return;
  const now = Date.now();
  // At most once a second, or rarer when the server takes long to answer
  // (a huge cluster): the drawer must not keep the simulation busy. But
  // at least every 10 s: one slow answer on a busy machine must not
  // freeze the drawer for minutes.
  if (!force && now - state.lastDetail < Math.min(10000, Math.max(1000, 20 * (state.detailCost || 0)))) return;
  state.lastDetail = now;
  const q = new URLSearchParams({ kind: d.kind, ns: d.ns, name: d.name });
  try {
    const r = await api('GET', '/api/detail?' + q.toString());
    state.detailCost = Date.now() - now;
    if (state.drawer !== d) return;
    $('#drawer-yaml').textContent = r.yaml;
    $('#drawer-conditions tbody').replaceChildren(...r.conditions.map((c) => {
      const tr = el('tr', c.status === 'True' ? null : 'warning');
      tr.append(el('td', null, c.type), el('td', null, c.status), el('td', null, c.reason), el('td', null, c.message));
      return tr;
    }));
    const t = state.view ? state.view.time : 0;
    $('#drawer-events tbody').replaceChildren(...r.events.map((e) => {
      const tr = el('tr', e.type === 'Warning' ? 'warning' : null);
      tr.append(el('td', null, fmtDur(t - e.t) + ' ago'), el('td', null, e.type), el('td', null, e.reason),
        el('td', null, e.count > 1 ? `${e.message} (x${e.count})` : e.message));
      return tr;
    }));
    refreshWhy(d, q);
  } catch (e) {
    if (state.drawer !== d) return;
    $('#drawer-why').replaceChildren();
    $('#drawer-yaml').textContent = e.status === 404 ? `${d.kind} ${d.name} no longer exists.` : e.message;
    $('#drawer-conditions tbody').replaceChildren();
    $('#drawer-events tbody').replaceChildren();
  }
}

// refreshWhy fills the drawer's causal chain: each step's time, the gap
// since the step before, the component, what it did and the upstream rule.
async function refreshWhy(d, q) {
  let steps = [];
  try { steps = (await api('GET', '/api/explain?' + q.toString())).steps; } catch (_) { /* nothing recorded */ }
  if (state.drawer !== d) return;
  $('#drawer-why').replaceChildren(...steps.map((s, i) => {
    const li = el('li');
    const gap = i > 0 ? ` (+${fmtDur(s.t - steps[i - 1].t)})` : '';
    li.append(el('span', 'when', fmtDur(s.t) + gap), ' ',
      el('b', null, s.component), ` ${s.verb} ${s.kind.toLowerCase()}/${s.name}` + (s.summary ? `: ${s.summary}` : ''));
    if (s.rule) li.append(el('span', 'rule', 'why: ' + s.rule));
    return li;
  }));
}

// ---- scenario loading ------------------------------------------------------------

function showLoadErrors(e) {
  const lines = [e.message];
  if (e.data && e.data.errors && e.data.errors.length) {
    lines.length = 0;
    for (const p of e.data.errors) lines.push(`${p.file} line ${p.line}, column ${p.column}: ${p.message}${p.hint ? '\n  hint: ' + p.hint : ''}`);
  }
  showMessage('Cannot load the scenario:\n' + lines.join('\n'), true);
}

async function loadScenarios() {
  try {
    const r = await api('GET', '/api/scenarios');
    document.querySelector('.loader').hidden = !r.loadable;
    const sel = $('#library');
    const placeholder = el('option', null, 'library scenario…');
    placeholder.value = ''; placeholder.disabled = true;
    sel.replaceChildren(placeholder, ...r.library.map((e) => { const o = el('option', null, e.name); o.value = e.name; o.title = e.description; return o; }));
    sel.value = r.library.some((e) => e.name === r.current) ? r.current : '';
  } catch (_) { /* keep the old list */ }
}

async function load(body) {
  try {
    const r = await api('POST', '/api/load', body);
    showMessage(`loaded ${r.scenario}`, false);
    closeDrawer();
  } catch (e) { showLoadErrors(e); }
}

// ---- manifest ------------------------------------------------------------------------

async function applyManifest() {
  const ta = $('#manifest');
  const list = $('#apply-errors');
  list.replaceChildren();
  try {
    const r = await api('POST', '/api/command', { verb: 'apply', manifest: ta.value });
    showMessage(r.output || 'applied', false);
  } catch (e) {
    const errs = (e.data && e.data.errors) || [];
    if (!errs.length) { list.append(el('li', null, e.message)); return; }
    for (const p of errs) {
      const li = el('li', null, `line ${p.line}, column ${p.column}: ${p.message}${p.hint ? ' — ' + p.hint : ''}`);
      li.dataset.line = String(p.line);
      li.addEventListener('click', () => selectLine(ta, p.line));
      list.append(li);
    }
  }
}

function selectLine(ta, line) {
  const lines = ta.value.split('\n');
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  ta.focus();
  ta.setSelectionRange(start, start + (lines[line - 1] || '').length);
}

// ---- the stream ----------------------------------------------------------------------

function render(v) {
  const newSession = v.session !== state.session;
  state.session = v.session;
  state.view = v;
  if (newSession) {
    history = []; refreshHistory(); loadScenarios(); pollEtcd();
    for (const e of podEls.values()) e.remove();
    podEls.clear(); podInfo.clear();
    for (const ne of nodeEls.values()) ne.root.remove();
    nodeEls.clear();
    for (const row of workloadRows.values()) row.tr.remove();
    workloadRows.clear();
    leaveMap();
  }
  timed('header', () => renderHeader(v));
  const compactNow = wantCompact(v);
  const mode = compactNow ? 'compact' : 'cards';
  if (document.body.dataset.mode !== mode) document.body.dataset.mode = mode;
  timed('cluster', () => {
    if (compactNow) { if (nodeEls.size || zoneEls.size) leaveCards(); drawMap(v, newSession ? null : stream.changed); } else { leaveMap(); renderCluster(v); }
  });
  timed('pending', () => renderPending(v));
  timed('workloads', () => renderWorkloads(v));
  timed('events', () => renderEvents(v));
  timed('etcd', () => renderEtcd(v));
  const now = Date.now();
  timed('timeline', () => { if (now - state.lastHistory > 1000) { state.lastHistory = now; refreshHistory(); } else renderTimeline(v); });
  refreshDetail(false);
}

// timed runs one part of an update and adds its time to stream.parts
// (the scale test logs where an update's time goes).
function timed(part, work) {
  const t0 = performance.now();
  work();
  stream.parts[part] = (stream.parts[part] || 0) + performance.now() - t0;
}

// The stream: a whole view first, then deltas (the view without its
// nodes and events, the events that came since, the nodes that changed,
// and the node order when it changed). The page keeps the newest events
// as the whole view listed them.
const maxEvents = 200;
const stream = { names: [], nodes: new Map(), events: [], strings: [], lastMsg: 0, lastVersion: 0, lastChange: 0, samples: [], status: '',
  // views and deltas received, their size, and the time spent parsing and
  // drawing them (the scale test reads these)
  messages: 0, bytes: 0, workMs: 0, worstWorkMs: 0, renders: 0, parts: {} };

function measured(work) {
  const t0 = performance.now();
  try { work(); } catch (err) { console.error(err); }
  const ms = performance.now() - t0;
  stream.workMs += ms; stream.worstWorkMs = Math.max(stream.worstWorkMs, ms);
}

// Messages are parsed and applied to the stream's state as they come,
// and drawn at most once an animation frame, with the nodes changed by
// every message since the last drawing: on a busy machine several deltas
// arrive within one frame, and drawing each would spend the frame on
// pictures nobody sees. (A hidden page draws nothing until it shows.)
const frame = { v: null, changed: new Set(), all: false, id: 0 };
function queueRender(v) {
  frame.v = v;
  if (stream.changed === null) frame.all = true; else for (const n of stream.changed) frame.changed.add(n);
  if (!frame.id) frame.id = requestAnimationFrame(flushRender);
}
function flushRender() {
  if (frame.id) cancelAnimationFrame(frame.id);
  frame.id = 0;
  const v = frame.v;
  if (!v) return;
  stream.changed = frame.all ? null : [...frame.changed];
  frame.v = null; frame.all = false; frame.changed.clear();
  stream.renders++;
  measured(() => { render(v); judgeConn(); });
}

function applyView(v) {
  stream.changed = null; // everything
  stream.strings = v.strings || [];
  stream.names = (v.nodes || []).map((n) => n.name);
  stream.nodes = new Map((v.nodes || []).map((n) => [n.name, expand(n)]));
  stream.events = v.events || [];
  return v;
}

function applyDelta(d) {
  if (d.strings) stream.strings = d.stringsReset ? d.strings : stream.strings.concat(d.strings);
  for (const n of d.nodes || []) stream.nodes.set(n.name, expand(n));
  stream.changed = d.names ? null : (d.nodes || []).map((n) => n.name);
  if (d.names) {
    stream.names = d.names;
    const keep = new Set(d.names);
    for (const k of stream.nodes.keys()) if (!keep.has(k)) stream.nodes.delete(k);
  }
  stream.events = d.eventsReset ? d.events || [] : stream.events.concat(d.events || []);
  if (stream.events.length > maxEvents) stream.events = stream.events.slice(-maxEvents);
  const v = d.head;
  v.nodes = stream.names.map((n) => stream.nodes.get(n));
  v.events = stream.events;
  return v;
}

// setConn shows the stream's true state: connecting (nothing yet),
// live, catching up (the simulation runs behind its speed or is busy
// with a long step), stalled (the server has gone quiet), reconnecting.
function setConn(status) {
  if (stream.status === status) return;
  stream.status = status;
  const conn = $('#conn');
  conn.textContent = status;
  conn.className = 'pill ' + ({ live: 'ok', 'catching up…': 'warn', connecting: '', stalled: 'bad', 'reconnecting…': 'bad' }[status] || '');
  conn.dataset.status = status;
}

function received(v) {
  const now = performance.now();
  stream.lastMsg = now;
  if (!v) return;
  if (v.version !== stream.lastVersion) { stream.lastVersion = v.version; stream.lastChange = now; }
  stream.samples.push({ wall: now, t: v.time });
  while (stream.samples.length > 2 && now - stream.samples[0].wall > 3000) stream.samples.shift();
}

function judgeConn() {
  const now = performance.now();
  const v = state.view;
  if (!v) return;
  if (now - stream.lastMsg > 12000) { setConn('stalled'); return; }
  if (!v.paused) {
    const a = stream.samples[0], b = stream.samples[stream.samples.length - 1];
    if (v.catchingUp) { setConn('catching up…'); return; } // the session says it runs behind its speed
    const busy = now - stream.lastChange > 3000; // pings arrive, the simulation does not move
    const behind = v.speed > 0 && b && b.wall - a.wall > 1500 && (b.t - a.t) / ((b.wall - a.wall) / 1000) < 0.5 * v.speed;
    if (busy || behind) { setConn('catching up…'); return; }
  }
  setConn('live');
}

function connect() {
  setConn('connecting');
  if (!performance.getEntriesByName('kubesim-connect').length) performance.mark('kubesim-connect');
  const es = new EventSource('/events');
  es.addEventListener('error', () => { setConn('reconnecting…'); });
  es.addEventListener('view', (e) => {
    // Performance marks of the first view: connecting (above), received,
    // parsed (then the first map or cards are drawn).
    const first = !performance.getEntriesByName('kubesim-view-received').length;
    if (first) performance.mark('kubesim-view-received');
    stream.messages++; stream.bytes += e.data.length;
    measured(() => {
      const v = applyView(JSON.parse(e.data));
      if (first) performance.mark('kubesim-view-parsed');
      received(v); queueRender(v);
    });
    if (first) flushRender(); // the first picture does not wait for a frame
  });
  es.addEventListener('delta', (e) => {
    stream.messages++; stream.bytes += e.data.length;
    measured(() => { const v = applyDelta(JSON.parse(e.data)); received(v); queueRender(v); });
  });
  es.addEventListener('ping', () => { received(null); judgeConn(); });
  setInterval(judgeConn, 1000);
}

function wire() {
  $('#play').addEventListener('click', () => control({ action: state.view && state.view.paused ? 'resume' : 'pause' }));
  $('#step').addEventListener('click', () => control({ action: 'step' }));
  $('#speed').addEventListener('change', (e) => {
    const v = e.target.value;
    control({ action: 'speed', speed: v === 'max' ? 'max' : Number(v) });
  });
  $('#resume').addEventListener('click', () => control({ action: 'resume' }));
  const sc = $('#scrubber');
  sc.addEventListener('input', () => {
    state.scrubbing = true;
    $('#scrub-label').textContent = `travel to ${fmtDur(Number(sc.value))}`;
    if (state.view) renderTimeline(state.view);
  });
  sc.addEventListener('change', async () => {
    const t = Number(sc.value);
    $('#scrub-label').textContent = `travelling to ${fmtDur(t)}…`;
    await control({ action: 'rewind', t });
    state.scrubbing = false;
    refreshHistory();
  });
  $('#drawer-close').addEventListener('click', closeDrawer);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDrawer();
    const tag = (e.target && e.target.tagName) || '';
    if (e.key === ' ' && !/INPUT|TEXTAREA|SELECT|BUTTON/.test(tag)) { e.preventDefault(); control({ action: 'toggle' }); }
  });
  $('#load').addEventListener('click', () => {
    const name = $('#library').value;
    if (name) load({ library: name }); else showMessage('choose a library scenario first', true);
  });
  $('#upload').addEventListener('change', async (e) => {
    const f = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!f) return;
    if (f.size > 900 * 1024) { showMessage('that file is too large for a scenario (900 KiB at most)', true); return; }
    load({ filename: f.name, source: await f.text() });
  });
  $('#apply').addEventListener('click', applyManifest);
  $('#kubectl-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const line = $('#kubectl').value.trim().replace(/^kubectl\s+/, '');
    if (line) command({ verb: 'kubectl', line });
  });
  setInterval(pollEtcd, 2000);
}

wire();
connect();
