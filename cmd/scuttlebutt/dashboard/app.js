// The scuttlebutt agent's dashboard: plain JavaScript, no dependencies.
// It polls the agent's JSON API and follows its event stream.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat('en');
  const maxEvents = 500;

  let pollMs = 1000;
  let threshold = 8;
  let phiWindow = 5 * 60 * 1000;
  let phiSince = 0;
  const phi = new Map(); // peer ID -> [[unix ms, phi], ...]
  const rows = new Map(); // member ID -> row
  const flashes = new Map(); // "node\u0000key" -> unix ms of the change
  let members = [];
  let state = {};
  let prev = null; // previous stats, for rates
  let timer = null;
  let refreshing = false;
  const seenEvents = new Set();

  async function getJSON(path) {
    const r = await fetch(path, { cache: 'no-store' });
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }

  function setConn(s) {
    const el = $('conn');
    el.dataset.state = s;
    el.textContent = { live: 'live', lost: 'connection lost', connecting: 'connecting' }[s];
  }

  // refresh fetches everything the page shows but the event log.
  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      const [m, s, st, p] = await Promise.all([
        getJSON('/v1/members'), getJSON('/v1/state'), getJSON('/v1/stats'),
        getJSON('/v1/phi?since=' + phiSince),
      ]);
      members = m;
      state = s;
      threshold = st.phi_threshold || threshold;
      pollMs = Math.max(1000, st.interval_ms || 1000);
      phiWindow = p.window_ms || phiWindow;
      mergePhi(p);
      renderSelf(st);
      renderCounters(st);
      renderMembers();
    } catch (e) {
      setConn('lost');
    } finally {
      refreshing = false;
      clearTimeout(timer);
      timer = setTimeout(refresh, pollMs);
    }
  }

  // soon refreshes shortly after an event, at most once per burst.
  let soonTimer = null;
  function soon() {
    if (soonTimer) return;
    soonTimer = setTimeout(() => { soonTimer = null; refresh(); }, 150);
  }

  function mergePhi(p) {
    const oldest = p.now - phiWindow;
    for (const [id, samples] of Object.entries(p.peers || {})) {
      const s = phi.get(id) || [];
      for (const x of samples) {
        if (!s.length || x[0] > s[s.length - 1][0]) s.push(x);
        if (x[0] > phiSince) phiSince = x[0];
      }
      phi.set(id, s);
    }
    for (const [id, s] of phi) {
      while (s.length && s[0][0] < oldest) s.shift();
      if (!s.length) phi.delete(id);
    }
  }

  function duration(seconds) {
    seconds = Math.floor(seconds);
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    const m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d) return d + 'd ' + h + 'h';
    if (h) return h + 'h ' + m + 'm';
    if (m) return m + 'm ' + s + 's';
    return s + 's';
  }

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + ' ' + units[i];
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function renderSelf(st) {
    setText($('self-id'), st.node);
    setText($('self-cluster'), st.cluster);
    setText($('self-address'), st.address);
    setText($('self-uptime'), duration(st.uptime_seconds));
    setText($('self-writes'), st.write_enabled ? 'on' : 'off');
    document.title = 'scuttlebutt · ' + st.node;
  }

  function renderCounters(st) {
    const now = Date.now();
    const rate = (k) => {
      if (!prev || now <= prev.at) return '';
      return nf.format(Math.round((st[k] - prev.st[k]) * 1000 / (now - prev.at))) + '/s';
    };
    setText($('c-live'), nf.format(st.live));
    setText($('c-dead'), nf.format(st.dead));
    $('c-dead').classList.toggle('nonzero', st.dead > 0);
    setText($('c-rounds'), nf.format(st.rounds));
    setText($('c-sent'), nf.format(st.packets_sent));
    setText($('c-sent-rate'), bytes(st.bytes_sent) + ' · ' + rate('packets_sent'));
    setText($('c-received'), nf.format(st.packets_received));
    setText($('c-received-rate'), bytes(st.bytes_received) + ' · ' + rate('packets_received'));
    const drops = { malformed: st.dropped_malformed, auth: st.dropped_auth, cluster: st.dropped_cluster_mismatch,
      oversize: st.dropped_oversize, outgoing: st.dropped_outgoing };
    const total = Object.values(drops).reduce((a, b) => a + b, 0);
    setText($('c-dropped'), nf.format(total));
    $('c-dropped').classList.toggle('nonzero', total > 0);
    setText($('c-dropped-detail'), Object.entries(drops).map(([k, v]) => k + ' ' + nf.format(v)).join(' · '));
    setText($('c-wrong'), nf.format(st.wrong_cluster_replies));
    prev = { st, at: now };
  }

  function newRow(id) {
    const tr = document.createElement('tr');
    tr.dataset.id = id;
    const cell = (cls) => { const td = document.createElement('td'); td.className = cls; tr.appendChild(td); return td; };
    const r = { tr, id: cell('id'), status: cell('status-cell'), gen: cell('gen'), addr: cell('addr'),
      phi: cell('phi'), spark: cell('spark-cell'), version: cell('version'), keys: cell('keys'), keysKey: null };
    r.id.textContent = id;
    const dot = document.createElement('span');
    dot.className = 'status';
    r.status.appendChild(dot);
    r.statusText = dot;
    r.canvas = document.createElement('canvas');
    r.canvas.className = 'spark';
    r.spark.appendChild(r.canvas);
    return r;
  }

  function generationText(gen) {
    // The generation is the node's start time in nanoseconds.
    if (!gen) return ['–', 'not known'];
    const started = new Date(gen / 1e6);
    const pad = (n) => String(n).padStart(2, '0');
    const time = pad(started.getHours()) + ':' + pad(started.getMinutes()) + ':' + pad(started.getSeconds());
    const today = new Date().toDateString() === started.toDateString();
    const text = today ? time : pad(started.getMonth() + 1) + '-' + pad(started.getDate()) + ' ' + time;
    return [text, 'generation ' + gen + ': started ' + started.toString()];
  }

  function renderKeys(r, id, keys) {
    const names = Object.keys(keys || {}).sort();
    const now = Date.now();
    const flashing = names.filter((k) => now - (flashes.get(id + '\u0000' + k) || 0) < 2000);
    const key = JSON.stringify([keys, flashing]);
    if (key === r.keysKey) return;
    r.keysKey = key;
    r.keys.replaceChildren();
    r.keys.title = names.map((k) => k + '=' + keys[k]).join('\n');
    if (!names.length) {
      const none = document.createElement('span');
      none.className = 'none';
      none.textContent = '—';
      r.keys.appendChild(none);
      return;
    }
    for (const k of names) {
      const chip = document.createElement('span');
      chip.className = 'kv' + (flashing.includes(k) ? ' flash' : '');
      chip.textContent = k + '=' + keys[k];
      chip.title = k + '=' + keys[k];
      r.keys.appendChild(chip);
    }
  }

  // phiSpan is the time the sparklines cover: the history held, at least
  // ten seconds and at most the agent's window, the same for every row.
  function phiSpan(now) {
    let oldest = now;
    for (const s of phi.values()) if (s.length && s[0][0] < oldest) oldest = s[0][0];
    return Math.min(phiWindow, Math.max(10000, now - oldest));
  }

  function drawSpark(canvas, samples, status) {
    const w = 120, h = 20, dpr = window.devicePixelRatio || 1;
    if (canvas.width !== w * dpr) {
      canvas.width = w * dpr; canvas.height = h * dpr;
      canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const now = Date.now();
    const span = phiSpan(now);
    let top = threshold * 1.15;
    for (const s of samples) top = Math.max(top, s[1]);
    const y = (v) => h - 1 - (v / top) * (h - 3);
    ctx.setLineDash([3, 3]);
    ctx.strokeStyle = '#e3a1a1';
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, y(threshold)); ctx.lineTo(w, y(threshold)); ctx.stroke();
    ctx.setLineDash([]);
    if (!samples.length) return;
    ctx.strokeStyle = status === 'dead' ? '#d64545' : '#2f6fdd';
    ctx.lineWidth = 1.3;
    ctx.beginPath();
    samples.forEach((s, i) => {
      const x = w - ((now - s[0]) / span) * w;
      if (i === 0) ctx.moveTo(x, y(s[1])); else ctx.lineTo(x, y(s[1]));
    });
    ctx.stroke();
  }

  function matches(m, q) {
    if (!q) return true;
    if (m.id.toLowerCase().includes(q) || (m.address || '').toLowerCase().includes(q) || m.status === q) return true;
    return Object.entries(state[m.id] || {}).some(([k, v]) => (k + '=' + v).toLowerCase().includes(q));
  }

  function renderMembers() {
    const q = $('filter').value.trim().toLowerCase();
    const tbody = document.querySelector('#members tbody');
    const shown = members.filter((m) => matches(m, q));
    const rank = { dead: 0, pending: 1, live: 2 };
    const by = $('sort').value;
    if (by === 'problems') {
      shown.sort((a, b) => (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || a.id.localeCompare(b.id));
    } else if (by === 'phi') {
      shown.sort((a, b) => (b.phi ?? -1) - (a.phi ?? -1) || a.id.localeCompare(b.id));
    }
    const ids = new Set(members.map((m) => m.id));
    for (const [id, r] of rows) {
      if (!ids.has(id)) { r.tr.remove(); rows.delete(id); }
    }
    shown.forEach((m, i) => {
      let r = rows.get(m.id);
      if (!r) { r = newRow(m.id); rows.set(m.id, r); }
      const status = m.self ? 'live' : m.status;
      r.tr.dataset.status = status;
      r.tr.classList.toggle('self', m.self);
      setText(r.statusText, m.self ? 'live (self)' : m.status);
      const [gen, genTitle] = generationText(m.generation);
      setText(r.gen, gen);
      r.gen.title = genTitle;
      setText(r.addr, m.address || '–');
      setText(r.phi, m.phi == null ? '–' : m.phi.toFixed(2));
      setText(r.version, m.seen_version > m.version ? m.version + ' (behind ' + m.seen_version + ')' : String(m.version));
      renderKeys(r, m.id, state[m.id]);
      if (m.self) r.canvas.hidden = true; else drawSpark(r.canvas, phi.get(m.id) || [], status);
      if (tbody.children[i] !== r.tr) tbody.insertBefore(r.tr, tbody.children[i] || null);
    });
    while (tbody.children.length > shown.length) tbody.lastChild.remove();
    setText($('member-count'), q ? shown.length + ' of ' + members.length : String(members.length));
  }

  function addEvent(id, e) {
    if (seenEvents.has(id)) return;
    seenEvents.add(id);
    const li = document.createElement('li');
    li.dataset.kind = e.kind;
    li.dataset.type = e.type;
    const t = document.createElement('time');
    const at = new Date(e.time);
    t.dateTime = e.time;
    t.textContent = at.toLocaleTimeString('en-GB', { hour12: false });
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = e.kind === 'key' ? 'key' : e.type;
    const text = document.createElement('span');
    text.className = 'text';
    if (e.kind === 'key') {
      text.textContent = e.type === 'delete' ? e.node + ' deleted ' + e.key : e.node + ' set ' + e.key + '=' + e.value;
      if (Date.now() - at.getTime() < 2000) flashes.set(e.node + '\u0000' + e.key, Date.now());
    } else {
      text.textContent = e.type === 'update' ? e.node + ' changed its keys' : e.node + ' ' + e.type + (e.address ? ' · ' + e.address : '');
    }
    li.append(t, kind, text);
    const list = $('events');
    list.insertBefore(li, list.firstChild);
    while (list.children.length > maxEvents) list.lastChild.remove();
    setText($('event-count'), nf.format(seenEvents.size));
  }

  function follow() {
    // since=0 replays the events the agent kept; on reconnection the
    // browser sends Last-Event-ID, which the agent prefers.
    const es = new EventSource('/v1/events?since=0');
    const on = (ev) => {
      try { addEvent(ev.lastEventId, JSON.parse(ev.data)); } catch (e) { return; }
      soon();
    };
    es.addEventListener('node', on);
    es.addEventListener('key', on);
    es.onopen = () => setConn('live');
    es.onerror = () => setConn('lost');
  }

  $('filter').addEventListener('input', renderMembers);
  $('sort').addEventListener('change', renderMembers);
  follow();
  refresh();
})();
