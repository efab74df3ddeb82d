(function () {
  const data = JSON.parse(document.getElementById("knee-data").textContent);
  const canvas = document.getElementById("canvas");
  const overlay = document.getElementById("overlay");
  const info = document.getElementById("info");
  const HIGHLIGHT = data.highlight;
  document.getElementById("title").textContent = data.title;
  document.getElementById("footer").textContent = data.disclaimer + " Geometry: " + data.geometry + ". " + data.credits.join("; ") + ".";
  document.getElementById("disclaimer").textContent = data.disclaimer;
  document.getElementById("credits").textContent = [data.geometry + ". " + data.credits.join("; ") + ".",
                                                     ...data.notices].join(" ");
  const glossary = document.getElementById("glossary");
  for (const term of data.glossary) {
    const dt = document.createElement("dt"); dt.id = "glossary-" + term.id; dt.textContent = term.term;
    const dd = document.createElement("dd"); dd.textContent = term.definition;
    glossary.append(dt, dd);
  }

  function decode(b64, Type) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new Type(bytes.buffer);
  }
  // ---- geometry ----
  const structures = data.structures.map((s) => {
    const { positions, indices, normals } = creasedNormals(decode(s.positions, Float32Array), decode(s.indices, Uint32Array));
    let lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < positions.length; i += 3) {
      for (let k = 0; k < 3; k++) { lo[k] = Math.min(lo[k], positions[i + k]); hi[k] = Math.max(hi[k], positions[i + k]); }
    }
    return Object.assign({}, s, { positions, indices, normals, lo, hi });
  });
  const byId = Object.fromEntries(structures.map((s) => [s.id, s]));

  // ---- WebGL ----
  const gl = canvas.getContext("webgl2", { antialias: true, premultipliedAlpha: false, preserveDrawingBuffer: true });
  if (!gl) { info.textContent = "This page needs WebGL 2 to draw the knee."; return; }
  function shader(type, source) {
    const sh = gl.createShader(type); gl.shaderSource(sh, source); gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(sh));
    return sh;
  }
  const program = gl.createProgram();
  gl.attachShader(program, shader(gl.VERTEX_SHADER, `#version 300 es
    in vec3 position; in vec3 normal; uniform mat4 mvp; out vec3 vNormal; out vec3 vPos;
    void main() { vNormal = normal; vPos = position; gl_Position = mvp * vec4(position, 1.0); }`));
  gl.attachShader(program, shader(gl.FRAGMENT_SHADER, `#version 300 es
    precision highp float; in vec3 vNormal; in vec3 vPos; uniform vec3 colour; uniform float alpha;
    uniform vec3 eye; uniform vec4 clipPlane; out vec4 outColour;
    void main() {
      if (dot(vec4(vPos, 1.0), clipPlane) < 0.0) discard;
      vec3 n = normalize(vNormal); vec3 l = normalize(eye - vPos);
      float d = abs(dot(n, l)); vec3 h = l; float s = pow(max(abs(dot(n, h)), 0.0), 40.0) * 0.2;
      outColour = vec4(colour * (0.3 + 0.7 * d) + vec3(s), alpha);
    }`));
  gl.linkProgram(program);
  const loc = { position: gl.getAttribLocation(program, "position"), normal: gl.getAttribLocation(program, "normal"),
    mvp: gl.getUniformLocation(program, "mvp"), colour: gl.getUniformLocation(program, "colour"),
    alpha: gl.getUniformLocation(program, "alpha"), eye: gl.getUniformLocation(program, "eye"),
    clipPlane: gl.getUniformLocation(program, "clipPlane") };
  // Kept where dot([p, 1], CLIP) >= 0; [0, 0, 0, 1] keeps everything.
  const CLIP = data.clip || [0, 0, 0, 1];
  for (const s of structures) {
    s.vao = gl.createVertexArray(); gl.bindVertexArray(s.vao);
    for (const [name, array] of [["position", s.positions], ["normal", s.normals]]) {
      const buffer = gl.createBuffer(); gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, array, gl.STATIC_DRAW);
      gl.enableVertexAttribArray(loc[name]); gl.vertexAttribPointer(loc[name], 3, gl.FLOAT, false, 0, 0);
    }
    const ib = gl.createBuffer(); gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, ib);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, s.indices, gl.STATIC_DRAW);
  }
  gl.bindVertexArray(null);

  // ---- camera ----
  let camera = JSON.parse(JSON.stringify(data.camera));
  function matrices() {
    const w = canvas.clientWidth, h = canvas.clientHeight;
    return Object.assign(cameraMatrices(camera, w, h), { w, h });
  }
  function project(p, M) {
    return projectPoint(M.mvp, p, M.w, M.h);
  }

  // ---- drawing ----
  let selected = data.selected || null, labelsOn = data.labels;
  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(canvas.clientWidth * dpr), h = Math.round(canvas.clientHeight * dpr);
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    gl.viewport(0, 0, w, h); gl.clearColor(1, 1, 1, 1); gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST); gl.useProgram(program);
    const M = matrices();
    gl.uniformMatrix4fv(loc.mvp, false, M.mvp); gl.uniform3fv(loc.eye, camera.position);
    gl.uniform4fv(loc.clipPlane, CLIP);
    const visible = structures.filter((s) => s.visible);
    const passes = [visible.filter((s) => s.opacity >= 1), visible.filter((s) => s.opacity < 1)];
    passes.forEach((list, pass) => {
      if (pass === 1) { gl.enable(gl.BLEND); gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA); gl.depthMask(false); }
      for (const s of list) {
        const marked = s.highlight || s.id === selected;
        gl.uniform3fv(loc.colour, rgb(marked ? HIGHLIGHT : s.colour)); gl.uniform1f(loc.alpha, s.opacity);
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
  function drawLabels(M) {
    overlay.replaceChildren();
    if (!labelsOn) return;
    const chosen = structures.filter((s) => s.visible && ((s.labelled && s.seen !== false) || s.id === selected));
    const points = chosen.map((s) => ({ s, p: project(s.anchor, M) })).filter((a) => a.p[2]);
    const cx = M.w / 2, height = 17;
    for (const side of ["left", "right"]) {
      const list = points.filter((a) => (side === "left") === (a.p[0] < cx)).sort((a, b) => a.p[1] - b.p[1]);
      const ys = spread(list.map((a) => a.p[1]), height, 44, M.h - document.getElementById("footer").offsetHeight - 12);
      list.forEach((a, i) => {
        const x = side === "left" ? Math.min(M.w * 0.3, cx - 120) : Math.max(M.w * 0.7, cx + 120);
        const y = ys[i] + height / 2;
        const line = document.createElementNS(SVG, "line");
        line.setAttribute("x1", a.p[0]); line.setAttribute("y1", a.p[1]);
        line.setAttribute("x2", side === "left" ? x + 4 : x - 4); line.setAttribute("y2", y);
        line.setAttribute("stroke", "#222"); line.setAttribute("stroke-width", "1");
        const dotEl = document.createElementNS(SVG, "circle");
        dotEl.setAttribute("cx", a.p[0]); dotEl.setAttribute("cy", a.p[1]); dotEl.setAttribute("r", 2.5);
        const text = document.createElementNS(SVG, "text");
        text.setAttribute("x", x); text.setAttribute("y", y + 4);
        text.setAttribute("text-anchor", side === "left" ? "end" : "start");
        text.setAttribute("class", "label"); text.setAttribute("data-id", a.s.id);
        text.textContent = a.s.name;
        overlay.append(line, dotEl, text);
      });
    }
  }

  // ---- picking: the nearest triangle under the pointer ----
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
  function pickAt(x, y) {
    const { origin: o, dir: d } = ray(x, y);
    let best = null, bestT = Infinity, ghostBest = null, ghostT = Infinity;
    for (const s of structures) {
      if (!s.visible || !hitBox(s, o, d)) continue;
      const P = s.positions, I = s.indices;
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
        if (dist <= 0) continue;
        const hit = add(o, scale(d, dist));
        if (dot(hit, CLIP) + CLIP[3] < 0) continue;
        if (s.opacity >= 0.5 && dist < bestT) { bestT = dist; best = s.id; }
        if (s.opacity < 0.5 && dist < ghostT) { ghostT = dist; ghostBest = s.id; }
      }
    }
    return best || ghostBest;
  }

  // Label only structures whose anchor is not hidden behind another one; run when the camera comes to rest.
  function refreshOcclusion() {
    const M = matrices();
    for (const s of structures) {
      if (!s.labelled) continue;
      const p = project(s.anchor, M);
      s.seen = p[2] && p[0] >= 0 && p[1] >= 0 && p[0] <= M.w && p[1] <= M.h && pickAt(p[0], p[1]) === s.id;
    }
    redraw();
  }
  let restTimer = null;
  function atRest() { clearTimeout(restTimer); restTimer = setTimeout(refreshOcclusion, 150); }

  // ---- the information panel ----
  function show(id) {
    selected = id;
    info.replaceChildren();
    if (!id) { info.innerHTML = "<p>Drag to rotate, scroll to zoom. Click a structure to read about it.</p>"; redraw(); return; }
    const entry = data.info[id];
    const h2 = document.createElement("h2"); h2.className = "info-name"; h2.textContent = entry.name;
    const group = document.createElement("p"); group.className = "group"; group.textContent = entry.group;
    const text = document.createElement("div"); text.className = "info-text";
    text.innerHTML = entry.html;  // produced by the project's Markdown renderer, which escapes raw HTML
    info.append(h2, group, text);
    if (entry.causes.length) {
      const h3 = document.createElement("h3"); h3.textContent = "Pain behind the knee: causes involving it";
      info.append(h3);
      for (const cid of entry.causes) {
        const cause = data.causes[cid];
        const box = document.createElement("details"); box.className = "cause";
        const summary = document.createElement("summary"); summary.textContent = cause.name;
        box.append(summary);
        if (cause.urgent) {
          const urgent = document.createElement("p"); urgent.className = "urgent";
          urgent.textContent = "Urgent: this needs medical care the same day."; box.append(urgent);
        }
        const body = document.createElement("div"); body.innerHTML = cause.html; box.append(body);
        info.append(box);
      }
    }
    const credit = document.createElement("p"); credit.className = "credit"; credit.textContent = entry.credit;
    info.append(credit);
    redraw();
  }

  // ---- pointer: drag rotates, a click (under 4 px of movement) picks ----
  let press = null, last = null;
  canvas.addEventListener("pointerdown", (e) => { press = last = [e.clientX, e.clientY]; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", (e) => {
    if (!press) return;
    const dx = e.clientX - last[0], dy = e.clientY - last[1]; last = [e.clientX, e.clientY];
    const M = matrices(), offset = sub(camera.position, camera.focalPoint);
    let o = rotate(offset, camera.viewUp, -dx * 0.01);
    const right = norm(cross(scale(o, -1), camera.viewUp));
    o = rotate(o, right, -dy * 0.01);
    camera.viewUp = norm(rotate(camera.viewUp, right, -dy * 0.01));
    camera.position = add(camera.focalPoint, o); void M;
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
  document.getElementById("labels-toggle").addEventListener("click", () => { labelsOn = !labelsOn; redraw(); });
  document.getElementById("reset").addEventListener("click", () => { camera = JSON.parse(JSON.stringify(data.camera)); redraw(); atRest(); });
  window.addEventListener("resize", () => { redraw(); atRest(); });

  // For scripts and tests: where a structure's anchor is on screen, and picking by pixel.
  window.kneeExplorer = {
    screenPoint(id) { const p = project(byId[id].anchor, matrices()); return [p[0], p[1]]; },
    pickAt, select: show, get selected() { return selected; }, get camera() { return camera; },
  };
  if (selected) show(selected); else draw();
  refreshOcclusion();
})();
