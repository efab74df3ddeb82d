(function () {
  const data = JSON.parse(document.getElementById("knee-data").textContent);
  const canvas = document.getElementById("canvas");
  const overlay = document.getElementById("overlay");
  const info = document.getElementById("info");
  const HIGHLIGHT = data.highlight;
  const SEE_THROUGH = 0.2;
  const WELCOME = "Drag to rotate, scroll to zoom. Click a structure to read about it.";

  // ---- texts ----
  function fillTexts() {
    document.getElementById("title").textContent = data.title;
    document.getElementById("disclaimer").textContent = data.disclaimer;
    document.getElementById("credits").textContent = [data.geometry + ". " + data.credits.join("; ") + ".",
                                                       ...data.notices].join(" ");
    const glossary = document.getElementById("glossary");
    for (const term of data.glossary) {
      const dt = document.createElement("dt"); dt.id = "glossary-" + term.id; dt.textContent = term.term;
      const dd = document.createElement("dd"); dd.textContent = term.definition;
      glossary.append(dt, dd);
    }
    // A link to a glossary term opens the glossary, which starts closed.
    document.addEventListener("click", (e) => {
      const link = e.target.closest && e.target.closest('a[href^="#glossary-"]');
      if (!link) return;
      e.preventDefault();
      document.getElementById("glossary-box").open = true;
      const term = document.getElementById(link.getAttribute("href").slice(1));
      if (term) term.scrollIntoView({ block: "center" });
    });
  }
  fillTexts();
  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function button(text, action) {
    const b = element("button", "", text); b.type = "button"; b.addEventListener("click", action); return b;
  }

  // ---- meshes: base64 of zlib-compressed bytes, decoded as page.py's pack_mesh wrote them ----
  async function inflate(b64) {
    const text = atob(b64), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  function unpack(bytes, offset, layout) {
    const n = layout.points, m = 3 * n, c = 3 * layout.triangles, corners = offset + 2 * m;
    const indices = new Uint32Array(c);
    let newest = -1;
    for (let j = 0; j < c; j++) {
      const back = (bytes[corners + j] | (bytes[corners + c + j] << 8) | (bytes[corners + 2 * c + j] << 16)
                    | (bytes[corners + 3 * c + j] << 24)) >>> 0;
      indices[j] = newest + 1 - back; newest = Math.max(newest, indices[j]);
    }
    const grid = predict(n, indices, (v, guess) => [0, 1, 2].map((k) => {
      const j = k * n + v, z = bytes[offset + j] | (bytes[offset + m + j] << 8);
      return (((guess[k] + ((z >>> 1) ^ -(z & 1))) % 65536) + 65536) % 65536;
    }));
    const positions = new Float32Array(m);
    for (let i = 0; i < m; i++) positions[i] = layout.origin[i % 3] + grid[i] * layout.step[i % 3];
    return { positions, indices, end: corners + 4 * c };
  }
  // The vertices on the packing grid, each placed from the guess page.py's _predicted makes for it.
  function predict(n, indices, place) {
    const grid = new Float64Array(3 * n), at = (v) => [grid[3 * v], grid[3 * v + 1], grid[3 * v + 2]];
    const opposite = new Map(), edge = (a, b) => Math.min(a, b) * n + Math.max(a, b);
    const put = (v, guess) => { const xyz = place(v, guess); grid[3 * v] = xyz[0]; grid[3 * v + 1] = xyz[1]; grid[3 * v + 2] = xyz[2]; };
    let count = 0;
    for (let t = 0; t < indices.length; t += 3) {
      const triangle = [indices[t], indices[t + 1], indices[t + 2]];
      triangle.forEach((v, k) => {
        if (v !== count) return;
        const known = triangle.filter((w, j) => j !== k && w < count);
        let guess = [0, 0, 0];
        if (known.length === 2) {
          const across = opposite.get(edge(known[0], known[1])), a = at(known[0]), b = at(known[1]);
          guess = across !== undefined ? sub(add(a, b), at(across)) : a.map((value, q) => Math.floor((value + b[q]) / 2));
        } else if (known.length === 1) {
          guess = at(known[0]);
        } else if (count) {
          guess = at(count - 1);
        }
        put(v, guess); count++;
      });
      for (const [i, j, o] of [[0, 1, 2], [1, 2, 0], [2, 0, 1]]) opposite.set(edge(triangle[i], triangle[j]), triangle[o]);
    }
    for (let v = count; v < n; v++) put(v, v ? at(v - 1) : [0, 0, 0]);  // vertices no triangle uses
    return grid;
  }
  function buildStructures(bytes) {
    let offset = 0;
    return data.structures.map((s) => {
      const mesh = unpack(bytes, offset, s.mesh); offset = mesh.end;
      const { positions, indices, normals } = creasedNormals(mesh.positions, mesh.indices);
      const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
      for (let i = 0; i < positions.length; i += 3) {
        for (let k = 0; k < 3; k++) { lo[k] = Math.min(lo[k], positions[i + k]); hi[k] = Math.max(hi[k], positions[i + k]); }
      }
      return Object.assign({}, s, { positions, indices, normals, lo, hi, anchor: s.anchors[0], ownOpacity: s.opacity });
    });
  }

  // ---- WebGL: both faces drawn; with a cut, the inside of a cut structure is shaded flat as a cap ----
  const VERTEX = `#version 300 es
    in vec3 position; in vec3 normal; uniform mat4 mvp; out vec3 vNormal; out vec3 vPos;
    void main() { vNormal = normal; vPos = position; gl_Position = mvp * vec4(position, 1.0); }`;
  const FRAGMENT = `#version 300 es
    precision highp float; in vec3 vNormal; in vec3 vPos; uniform vec3 colour; uniform float alpha;
    uniform vec3 eye; uniform vec3 forward; uniform vec4 clipPlane; uniform bool capping; out vec4 outColour;
    ${PAINT_GLSL}
    void main() {
      if (dot(vec4(vPos, 1.0), clipPlane) < 0.0) discard;
      if (capping && !gl_FrontFacing) {
        float facing = abs(dot(normalize(clipPlane.xyz), forward));
        outColour = vec4(colour * 0.8 * (0.3 + 0.7 * facing), alpha);
        return;
      }
      vec3 n = normalize(vNormal); vec3 l = normalize(eye - vPos);
      float d = abs(dot(n, l)); float s = pow(d, 40.0) * 0.2;
      int painted = paintedPatch(vPos);
      vec3 base = painted >= 0 ? paintColour[painted] : colour;
      outColour = vec4(base * (0.3 + 0.7 * d) + vec3(s), painted >= 0 ? max(alpha, ${PAINT_OPACITY.toFixed(2)}) : alpha);
    }`;
  function compile(gl, type, source) {
    const sh = gl.createShader(type); gl.shaderSource(sh, source); gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(sh));
    return sh;
  }
  function makeProgram(gl) {
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    const loc = { position: gl.getAttribLocation(program, "position"), normal: gl.getAttribLocation(program, "normal") };
    for (const name of ["mvp", "colour", "alpha", "eye", "forward", "clipPlane", "capping"]) loc[name] = gl.getUniformLocation(program, name);
    Object.assign(loc, paintLocations(gl, program));
    return { program, loc };
  }
  function upload(gl, loc, s) {
    s.vao = gl.createVertexArray(); gl.bindVertexArray(s.vao);
    for (const [name, array] of [["position", s.positions], ["normal", s.normals]]) {
      const buffer = gl.createBuffer(); gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, array, gl.STATIC_DRAW);
      gl.enableVertexAttribArray(loc[name]); gl.vertexAttribPointer(loc[name], 3, gl.FLOAT, false, 0, 0);
    }
    const ib = gl.createBuffer(); gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, ib);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, s.indices, gl.STATIC_DRAW);
    gl.bindVertexArray(null);
  }

  // Kept where dot([p, 1], CLIP) >= 0; [0, 0, 0, 1] keeps everything.
  const CLIP = data.clip || [0, 0, 0, 1];
  let gl = null, program = null, loc = null, structures = [], byId = {};
  let camera = null, selected = data.selected || null, labelsOn = data.labels;

  // ---- camera ----
  function matrices() {
    const w = canvas.clientWidth, h = canvas.clientHeight;
    return Object.assign(cameraMatrices(camera, w, h), { w, h });
  }
  function project(p, M) { return projectPoint(M.mvp, p, M.w, M.h); }
  // A cause's page: its structures' sphere fills the height, and leaves room for the labels at the sides.
  function startCamera() {
    const base = JSON.parse(JSON.stringify(data.camera));
    if (!data.frame) return base;
    const tanHalf = Math.tan(FOV / 2), aspect = canvas.clientWidth / Math.max(canvas.clientHeight, 1);
    const half = Math.min(Math.atan(tanHalf * 0.9), Math.atan(tanHalf * aspect * 0.62));
    const back = norm(sub(base.position, base.focalPoint));
    return { position: add(data.frame.centre, scale(back, data.frame.radius / Math.sin(half))),
             focalPoint: data.frame.centre.slice(), viewUp: base.viewUp };
  }
  function lookFrom(view) {
    const distance = Math.hypot(...sub(camera.position, camera.focalPoint));
    camera = { position: add(camera.focalPoint, scale(view.direction, distance)), focalPoint: camera.focalPoint,
               viewUp: view.up.slice() };
    redraw(); atRest();
  }

  // ---- drawing ----
  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(canvas.clientWidth * dpr), h = Math.round(canvas.clientHeight * dpr);
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    gl.viewport(0, 0, w, h); gl.clearColor(1, 1, 1, 1); gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST); gl.useProgram(program);
    const M = matrices();
    gl.uniformMatrix4fv(loc.mvp, false, M.mvp); gl.uniform3fv(loc.eye, camera.position); gl.uniform3fv(loc.forward, M.f);
    gl.uniform4fv(loc.clipPlane, CLIP); gl.uniform1i(loc.capping, data.clip ? 1 : 0);
    setLegAxis(gl, loc, data.legAxis);
    // The selected nerve's skin territories, and its branches', painted on the skin (all of them for the skin).
    const paint = (selected && data.paint && data.paint[selected]) || null;
    const visible = structures.filter((s) => s.visible);
    const passes = [visible.filter((s) => s.opacity >= 1), visible.filter((s) => s.opacity < 1)];
    passes.forEach((list, pass) => {
      if (pass === 1) { gl.enable(gl.BLEND); gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA); gl.depthMask(false); }
      for (const s of list) {
        const painted = paint && (data.skin || []).includes(s.id);
        const marked = (s.highlight || s.id === selected) && !painted;
        gl.uniform3fv(loc.colour, rgb(marked ? HIGHLIGHT : s.colour)); gl.uniform1f(loc.alpha, s.opacity);
        setPaint(gl, loc, painted ? paint : null);
        gl.bindVertexArray(s.vao); gl.drawElements(gl.TRIANGLES, s.indices.length, gl.UNSIGNED_INT, 0);
      }
    });
    gl.disable(gl.BLEND); gl.depthMask(true); gl.bindVertexArray(null);
    drawLabels(M);
  }
  let pending = false;
  function redraw() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); } }

  // ---- labels with leader lines, in a column each side, never overlapping ----
  function spread(wanted, height, top, bottom) {
    const ys = wanted.map((w) => Math.min(Math.max(w - height / 2, top), bottom - height));
    for (let i = 1; i < ys.length; i++) ys[i] = Math.max(ys[i], ys[i - 1] + height);
    if (ys.length) ys[ys.length - 1] = Math.min(ys[ys.length - 1], bottom - height);
    for (let i = ys.length - 2; i >= 0; i--) ys[i] = Math.min(ys[i], ys[i + 1] - height);
    return ys;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attributes) {
    const el = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
    return el;
  }
  const measure = document.createElement("canvas").getContext("2d");
  function textWidth(text) {
    measure.font = "13px " + getComputedStyle(overlay).fontFamily;
    return measure.measureText(text).width;
  }
  function drawLabels(M) {
    overlay.replaceChildren();
    if (!labelsOn) return;
    const chosen = structures.filter((s) => s.visible && ((s.labelled && s.seen !== false) || s.id === selected));
    const points = chosen.map((s) => ({ s, p: project(s.anchor, M) })).filter((a) => a.p[2]);
    const cx = M.w / 2, height = 17;
    for (const side of ["left", "right"]) {
      const list = points.filter((a) => (side === "left") === (a.p[0] < cx)).sort((a, b) => a.p[1] - b.p[1]);
      const ys = spread(list.map((a) => a.p[1]), height, 6, M.h - 6);
      const column = side === "left" ? Math.min(M.w * 0.3, cx - 120) : Math.max(M.w * 0.7, cx + 120);
      list.forEach((a, i) => {
        // In the column, on the far side of its point, and whole on the canvas (which wins on a narrow one).
        const width = textWidth(a.s.name) + 4;
        const x = side === "left" ? Math.max(Math.min(column, a.p[0] - 10), width)
                                  : Math.min(Math.max(column, a.p[0] + 10), M.w - width);
        const y = ys[i] + height / 2;
        const text = svg("text", { x, y: y + 4, "text-anchor": side === "left" ? "end" : "start", class: "label",
                                   "data-id": a.s.id });
        text.textContent = a.s.name;
        overlay.append(svg("line", { x1: a.p[0], y1: a.p[1], x2: side === "left" ? x + 4 : x - 4, y2: y, stroke: "#222",
                                     "stroke-width": 1 }),
                       svg("circle", { cx: a.p[0], cy: a.p[1], r: 2.5 }), text);
      });
    }
  }

  // ---- picking: triangles under the pointer ----
  function ray(x, y) {
    const M = matrices();
    const px = (2 * x / M.w - 1) * M.aspect / M.t, py = (1 - 2 * y / M.h) / M.t;
    return { origin: camera.position, dir: norm(add(M.f, add(scale(M.r, px), scale(M.u, py)))) };
  }
  function hitBox(s, o, d) {
    let t0 = -Infinity, t1 = Infinity;
    for (let k = 0; k < 3; k++) {
      const inv = 1 / d[k]; let a = (s.lo[k] - o[k]) * inv, b = (s.hi[k] - o[k]) * inv;
      if (a > b) [a, b] = [b, a]; t0 = Math.max(t0, a); t1 = Math.min(t1, b);
    }
    return t1 >= Math.max(t0, 0);
  }
  // The distance along the ray to the nearest triangle of s on the kept side of the cut, or Infinity.
  function nearestHit(s, o, d) {
    if (!s.visible || !hitBox(s, o, d)) return Infinity;
    const P = s.positions, I = s.indices;
    let best = Infinity;
    for (let t = 0; t < I.length; t += 3) {
      const a = I[t] * 3, b = I[t + 1] * 3, c = I[t + 2] * 3;
      const e1 = [P[b] - P[a], P[b + 1] - P[a + 1], P[b + 2] - P[a + 2]];
      const e2 = [P[c] - P[a], P[c + 1] - P[a + 1], P[c + 2] - P[a + 2]];
      const pv = cross(d, e2), det = dot(e1, pv);
      if (Math.abs(det) < 1e-12) continue;
      const tv = [o[0] - P[a], o[1] - P[a + 1], o[2] - P[a + 2]];
      const u = dot(tv, pv) / det; if (u < 0 || u > 1) continue;
      const qv = cross(tv, e1), v = dot(d, qv) / det; if (v < 0 || u + v > 1) continue;
      const dist = dot(e2, qv) / det;
      if (dist <= 0 || dist >= best) continue;
      if (dot(add(o, scale(d, dist)), CLIP) + CLIP[3] < 0) continue;
      best = dist;
    }
    return best;
  }
  // The nearest solid structure under the pixel, else the nearest see-through one.
  function pickAt(x, y) {
    const { origin: o, dir: d } = ray(x, y);
    let best = null, bestT = Infinity, ghostBest = null, ghostT = Infinity;
    for (const s of structures) {
      const dist = nearestHit(s, o, d);
      if (s.opacity >= 0.5 && dist < bestT) { bestT = dist; best = s.id; }
      if (s.opacity < 0.5 && dist < ghostT) { ghostT = dist; ghostBest = s.id; }
    }
    return best || ghostBest;
  }
  // Whether the pixel shows s: it is hit there, and no solid structure is hit before it.
  function shows(s, x, y) {
    const { origin: o, dir: d } = ray(x, y);
    const own = nearestHit(s, o, d);
    if (own === Infinity) return false;
    return structures.every((other) => other === s || other.opacity < 0.5 || nearestHit(other, o, d) >= own);
  }

  // Each labelled structure points at the first of its anchors that is in the view and in sight;
  // a pain cause's structure is labelled even when all are hidden, at its first anchor in the view.
  function placeAnchors() {
    const M = matrices();
    for (const s of structures) {
      if (!s.labelled || !s.visible) continue;
      const inView = s.anchors.filter((a) => { const p = project(a, M); return p[2] && p[0] >= 0 && p[1] >= 0 && p[0] <= M.w && p[1] <= M.h; });
      const inSight = inView.find((a) => { const p = project(a, M); return shows(s, p[0], p[1]); });
      const involved = data.cause && data.cause.structures.includes(s.id);
      s.anchor = inSight || (involved && inView[0]) || s.anchors[0];
      s.seen = Boolean(inSight || (involved && inView.length));
    }
    redraw();
  }
  let restTimer = null;
  function atRest() { clearTimeout(restTimer); restTimer = setTimeout(placeAnchors, 150); }

  // ---- the information panel ----
  function causeBox(cid) {
    const cause = data.causes[cid];
    const box = element("details", "cause");
    box.append(element("summary", "", cause.name));
    if (cause.urgent) box.append(element("p", "urgent", "Urgent: this needs medical care the same day."));
    const body = element("div"); body.innerHTML = cause.html; box.append(body);  // the project's renderer escapes raw HTML
    return box;
  }
  function structureActions(id) {
    const s = byId[id], entry = data.info[id], actions = element("div", "actions");
    actions.append(button("Hide", () => { s.visible = false; show(null); atRest(); }),
                   button(s.opacity < 0.5 ? "Solid" : "Ghost", () => {
                     s.opacity = s.opacity < 0.5 ? 1 : SEE_THROUGH; show(id); atRest();
                   }));
    const group = structures.filter((other) => data.info[other.id].group === entry.group);
    if (group.length > 1) {
      actions.append(button("Hide all " + entry.groupName.toLowerCase(), () => {
        for (const other of group) other.visible = false;
        show(null); atRest();
      }));
    }
    return actions;
  }
  function showStructure(id) {
    const entry = data.info[id];
    if (data.cause) info.append(button("Back to " + data.cause.name, () => show(null)));
    const text = element("div", "info-text"); text.innerHTML = entry.html;  // escaped by the project's renderer
    info.append(element("h2", "info-name", entry.name), element("p", "group", entry.groupName));
    if (byId[id]) info.append(structureActions(id));
    info.append(text);
    if (entry.causes.length) {
      info.append(element("h3", "", "Pain behind the knee: causes involving it"));
      for (const cid of entry.causes) info.append(causeBox(cid));
    }
    info.append(element("p", "credit", entry.credit));
  }
  function showCause() {
    const cause = data.cause, card = element("section", "cause-card");
    card.setAttribute("aria-label", cause.name);
    const summary = element("div", "cause-summary"); summary.innerHTML = cause.summary;
    card.append(element("h2", "cause-name", cause.name), summary);
    if (cause.urgent) card.append(element("p", "urgent", "Urgent: this needs medical care the same day."));
    const flags = element("div", "red-flags"); flags.innerHTML = cause.redFlags;
    card.append(element("h3", "", "Red flags"), flags);
    const heading = element("h3", "", "Structures involved"); heading.id = "involved-heading";
    const list = element("ul", "involved"); list.setAttribute("aria-labelledby", "involved-heading");
    for (const id of cause.structures) {
      const item = element("li"), swatch = element("span", "swatch");
      swatch.style.background = byId[id].colour;
      const entry = button(data.info[id].name, () => show(id)); entry.dataset.id = id;
      entry.prepend(swatch); item.append(entry); list.append(item);
    }
    const more = element("details", "cause-more"), body = element("div");
    body.innerHTML = cause.more;
    more.append(element("summary", "", "How it presents, why it hurts, what helps"), body);
    card.append(heading, list, more);
    info.append(card, element("p", "group", WELCOME));
  }
  function show(id) {
    selected = id && (byId[id] || data.info[id]) ? id : null;  // a skin nerve with no model is its painted skin
    info.replaceChildren();
    if (selected) showStructure(selected);
    else if (data.cause) showCause();
    else info.append(element("p", "", WELCOME));
    info.scrollTop = 0;
    redraw();
  }

  // ---- pointer, wheel and buttons ----
  function listen() {
    let press = null, last = null;
    canvas.addEventListener("pointerdown", (e) => { press = last = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener("pointermove", (e) => {
      if (!press) return;
      const dx = e.clientX - last[0], dy = e.clientY - last[1]; last = [e.clientX, e.clientY];
      let o = rotate(sub(camera.position, camera.focalPoint), camera.viewUp, -dx * 0.01);
      const right = norm(cross(scale(o, -1), camera.viewUp));
      o = rotate(o, right, -dy * 0.01);
      camera.viewUp = norm(rotate(camera.viewUp, right, -dy * 0.01));
      camera.position = add(camera.focalPoint, o);
      redraw();
    });
    canvas.addEventListener("pointerup", (e) => {
      if (press && Math.max(Math.abs(e.clientX - press[0]), Math.abs(e.clientY - press[1])) <= 4) {
        const box = canvas.getBoundingClientRect();
        show(pickAt(e.clientX - box.left, e.clientY - box.top));
      } else if (press) {
        atRest();
      }
      press = null;
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const offset = sub(camera.position, camera.focalPoint);
      camera.position = add(camera.focalPoint, scale(offset, Math.exp(e.deltaY * 0.001)));
      redraw(); atRest();
    }, { passive: false });
    const views = document.getElementById("views");
    for (const view of data.views) { const b = button(view.label, () => lookFrom(view)); b.dataset.view = view.id; views.append(b); }
    document.getElementById("labels-toggle").addEventListener("click", () => { labelsOn = !labelsOn; redraw(); });
    document.getElementById("reset").addEventListener("click", () => { camera = startCamera(); redraw(); atRest(); });
    document.getElementById("show-all").addEventListener("click", () => {
      for (const s of structures) { s.visible = true; s.opacity = s.ownOpacity; }
      show(selected); atRest();
    });
    window.addEventListener("resize", () => { redraw(); atRest(); });
  }

  async function start() {
    gl = canvas.getContext("webgl2", { antialias: true, premultipliedAlpha: false, preserveDrawingBuffer: true });
    if (!gl) { info.textContent = "This page needs WebGL 2 to draw the knee."; return; }
    ({ program, loc } = makeProgram(gl));
    structures = buildStructures(await inflate(document.getElementById("knee-meshes").textContent.trim()));
    byId = Object.fromEntries(structures.map((s) => [s.id, s]));
    for (const s of structures) upload(gl, loc, s);
    camera = startCamera();
    listen();
    show(selected);
    placeAnchors();
    draw();
    // For scripts and tests: where a structure's label points on screen, picking by pixel, selecting.
    window.kneeExplorer = {
      screenPoint(id) { const p = project(byId[id].anchor, matrices()); return [p[0], p[1]]; },
      project(point) { const p = project(point, matrices()); return [p[0], p[1]]; },
      bounds(id) { return [byId[id].lo, byId[id].hi]; },
      isShown(id) { return byId[id].visible; },
      labelled() { return [...overlay.querySelectorAll("text.label")].map((t) => t.dataset.id); },
      pickAt, select: show, get selected() { return selected; }, get camera() { return camera; },
    };
  }
  start();
})();
