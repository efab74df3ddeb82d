// The 3D canvas: the knee drawn with WebGL 2 from the shared mesh block; drag, wheel, pinch and keys
// move the camera; a click picks the structure under the pointer from an id buffer.
// Hovering names the structure under the pointer; the selected structure keeps a label pinned to it.
// The vector maths, creasedNormals, cameraMatrices, projectPoint, planeCutsBox and the surface shaders
// come from draw3d.js, put before this.
const CLICK_TOLERANCE_PX = 4;
const ROTATE_PER_PX = 0.008;
const KEY_ROTATE = (10 * Math.PI) / 180;
const PIN_OFFSET = [28, 30];  // px from the anchor to the pinned label: outwards, up
const SVG_NS = "http://www.w3.org/2000/svg";

function unpack(entry, buffer) {
  const count = entry.vertices * 3;
  const quantised = new Uint16Array(buffer, entry.positions_at, count);
  const positions = new Float32Array(count);
  for (let i = 0; i < count; i++) positions[i] = entry.origin[i % 3] + quantised[i] * entry.step[i % 3];
  const Index = entry.index_bytes === 2 ? Uint16Array : Uint32Array;
  const indices = new Index(buffer, entry.indices_at, entry.triangles * 3);
  const centre = [0, 0, 0], lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    const k = i % 3;
    centre[k] += positions[i];
    lo[k] = Math.min(lo[k], positions[i]);
    hi[k] = Math.max(hi[k], positions[i]);
  }
  return Object.assign(creasedNormals(positions, indices), { centre: scale(centre, 3 / count), lo, hi, indexType: 0x1405 });
}

export function render({ model, el }) {
  // Panel may render again into the same element: drop the previous canvas and its GL context first.
  if (el._kneeCleanup) el._kneeCleanup();
  el.querySelectorAll(".knee-canvas").forEach((node) => node.remove());
  const holder = document.createElement("div");
  holder.className = "knee-canvas";
  holder.tabIndex = 0;
  holder.setAttribute("role", "application");
  holder.setAttribute("aria-label", "3D view of the knee: drag or use the arrow keys to rotate, scroll or press + and - to zoom, shift-drag to pan, click a structure to read about it");
  const canvas = document.createElement("canvas");
  const triad = document.createElement("canvas");
  triad.className = "knee-triad";
  triad.setAttribute("aria-hidden", "true");
  const labelLayer = document.createElement("div");
  labelLayer.className = "knee-labels";
  labelLayer.setAttribute("aria-hidden", "true");
  holder.append(canvas, triad, labelLayer);

  function notice(text) {
    const box = document.createElement("p");
    box.className = "knee-canvas-notice";
    box.setAttribute("role", "alert");
    box.textContent = text;
    holder.append(box);
  }

  const gl = canvas.getContext("webgl2", { antialias: true, premultipliedAlpha: false, preserveDrawingBuffer: true });
  if (!gl) {
    notice("This browser cannot draw the 3D view (WebGL 2 is off or missing). The structure list, search and texts still work.");
    return holder;
  }
  function shader(type, source) {
    const sh = gl.createShader(type);
    gl.shaderSource(sh, source);
    gl.compileShader(sh);
    return sh;
  }
  const program = gl.createProgram();
  gl.attachShader(program, shader(gl.VERTEX_SHADER, SURFACE_VERTEX_SHADER));
  gl.attachShader(program, shader(gl.FRAGMENT_SHADER, SURFACE_FRAGMENT_SHADER));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    console.error(gl.getProgramInfoLog(program));
    notice("This browser could not prepare the 3D drawing. The structure list, search and texts still work.");
    return holder;
  }
  const loc = {};
  for (const name of ["position", "normal"]) loc[name] = gl.getAttribLocation(program, name);
  for (const name of ["mvp", "colour", "alpha", "eye", "clipPlane", "capped", "pickMode"]) loc[name] = gl.getUniformLocation(program, name);
  Object.assign(loc, paintLocations(gl, program));

  let structures = [];  // {id, name, anchor, vao, count, indexType, centre, lo, hi}
  let camera = null;
  let view = null;

  function setCamera(next) {
    if (!next || !next.position || !next.focalPoint || !next.viewUp) return false;
    camera = { position: [...next.position], focalPoint: [...next.focalPoint], viewUp: [...next.viewUp] };
    return true;
  }
  setCamera(model.camera);

  function matrices() {
    return cameraMatrices(camera, canvas.width, canvas.height);
  }
  // A world point's position in CSS pixels over the canvas, and whether it lies in front of the camera.
  function project(p) {
    return projectPoint(view.mvp, p, canvas.clientWidth, canvas.clientHeight);
  }

  let appearance = {};
  function readLooks() {
    appearance = model.looks ? JSON.parse(model.looks) : {};
  }
  readLooks();
  function looks(s) {
    const look = appearance[s.id];
    return look ? { visible: look[0], opacity: look[1], colour: look[2], paint: look[3] || null }
      : { visible: false, opacity: 0, colour: "#000000", paint: null };
  }
  function clipPlane() {
    const clip = model.clip || {};
    if (!clip.normal) return [0, 0, 0, 1];
    const n = clip.normal;
    return [n[0], n[1], n[2], -dot(n, clip.origin)];
  }
  function drawOne(s, plane) {
    gl.uniform1i(loc.capped, planeCutsBox(plane, s.lo, s.hi) ? 1 : 0);
    gl.bindVertexArray(s.vao);
    gl.drawElements(gl.TRIANGLES, s.count, s.indexType, 0);
  }

  function shownStructures() {
    return structures.map((s, i) => ({ s, i, look: looks(s) })).filter(({ look }) => look.visible && look.opacity > 0);
  }
  function useProgram(pickMode) {
    gl.useProgram(program);
    gl.uniformMatrix4fv(loc.mvp, false, view.mvp);
    gl.uniform3fv(loc.eye, camera.position);
    gl.uniform4fv(loc.clipPlane, clipPlane());
    gl.uniform1i(loc.pickMode, pickMode ? 1 : 0);
    setLegAxis(gl, loc, model.leg_axis);
    setPaint(gl, loc, null);
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.enable(gl.DEPTH_TEST);
    gl.disable(gl.CULL_FACE);  // the back faces seen through a cut are drawn as the cut face
  }

  function draw() {
    if (!camera || !structures.length) return;
    view = matrices();
    idsDrawn = false;
    useProgram(false);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    const plane = clipPlane(), shown = shownStructures();
    gl.disable(gl.BLEND);
    gl.depthMask(true);
    for (const { s, look } of shown.filter(({ look }) => look.opacity >= 0.999)) {
      gl.uniform3fv(loc.colour, rgb(look.colour));
      gl.uniform1f(loc.alpha, 1);
      setPaint(gl, loc, look.paint);
      drawOne(s, plane);
    }
    setPaint(gl, loc, null);
    const depth = ({ s }) => dot(sub(s.centre, camera.position), view.f);
    const faint = shown.filter(({ look }) => look.opacity < 0.999).sort((a, b) => depth(b) - depth(a));
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.depthMask(false);
    for (const { s, look } of faint) {
      gl.uniform3fv(loc.colour, rgb(look.colour));
      gl.uniform1f(loc.alpha, look.opacity);
      setPaint(gl, loc, look.paint);
      drawOne(s, plane);
    }
    setPaint(gl, loc, null);
    gl.depthMask(true);
    gl.bindVertexArray(null);
    drawTriad();
    drawLabels();
    if (hoverAt) hoverSoon();
    if (holder.dataset.ready !== "true") {
      holder.dataset.ready = "true";
      holder.dataset.readyAt = String(Math.round(performance.now()));
    }
  }
  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(() => { pending = false; draw(); });
  }

  // Picking: the shown structures drawn in id colours off screen, once per frame drawn and only when
  // asked for (a click or the pointer resting over the view); a click or a hover reads one pixel of it.
  let pickTarget = null;
  let idsDrawn = false;
  // At half the canvas's resolution in each direction: a quarter of the work, and still finer than a finger.
  const PICK_SCALE = 0.5;
  function pickBuffer() {
    const w = Math.max(1, Math.round(canvas.width * PICK_SCALE)), h = Math.max(1, Math.round(canvas.height * PICK_SCALE));
    if (pickTarget && pickTarget.w === w && pickTarget.h === h) return pickTarget;
    if (pickTarget) { gl.deleteFramebuffer(pickTarget.fb); gl.deleteRenderbuffer(pickTarget.colour); gl.deleteRenderbuffer(pickTarget.depth); }
    const fb = gl.createFramebuffer(), colour = gl.createRenderbuffer(), depth = gl.createRenderbuffer();
    gl.bindRenderbuffer(gl.RENDERBUFFER, colour);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.RGBA8, w, h);
    gl.bindRenderbuffer(gl.RENDERBUFFER, depth);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH24_STENCIL8, w, h);
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, colour);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_STENCIL_ATTACHMENT, gl.RENDERBUFFER, depth);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    pickTarget = { fb, colour, depth, w, h };
    idsDrawn = false;
    return pickTarget;
  }
  function drawIds() {
    const target = pickBuffer();
    view = matrices();
    gl.bindFramebuffer(gl.FRAMEBUFFER, target.fb);
    useProgram(true);
    gl.viewport(0, 0, target.w, target.h);
    gl.disable(gl.BLEND);
    gl.depthMask(true);
    gl.clearColor(0, 0, 0, 0);
    gl.clearStencil(0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT | gl.STENCIL_BUFFER_BIT);
    // Solid structures mark the stencil; ghosted ones fill only what no solid one covers, so a ghosted
    // structure in front does not catch the click meant for the solid one behind it.
    gl.enable(gl.STENCIL_TEST);
    const plane = clipPlane(), shown = shownStructures();
    for (const solid of [true, false]) {
      gl.stencilFunc(solid ? gl.ALWAYS : gl.EQUAL, solid ? 1 : 0, 0xff);
      gl.stencilOp(gl.KEEP, gl.KEEP, solid ? gl.REPLACE : gl.KEEP);
      for (const { s, i } of shown.filter(({ look }) => (look.opacity >= 0.5) === solid)) {
        gl.uniform3f(loc.colour, ((i + 1) & 255) / 255, (((i + 1) >> 8) & 255) / 255, 0);
        drawOne(s, plane);
      }
    }
    gl.disable(gl.STENCIL_TEST);
    gl.bindVertexArray(null);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    idsDrawn = true;
  }
  // The structure drawn under a point of the page (or null), given to `found` once the GPU has drawn it. The
  // pixel is read into a buffer and fetched when a fence says it is there, so the page never waits on the GPU
  // (a software-drawn page would stall for as long as a frame takes).
  function structureAt(clientX, clientY, found) {
    if (!camera || !structures.length) return found(null);
    const rect = canvas.getBoundingClientRect();
    if (!idsDrawn) drawIds();
    const x = Math.floor(((clientX - rect.left) / rect.width) * pickTarget.w);
    const y = Math.floor(((rect.bottom - clientY) / rect.height) * pickTarget.h);
    if (x < 0 || y < 0 || x >= pickTarget.w || y >= pickTarget.h) return found(null);
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
    gl.bufferData(gl.PIXEL_PACK_BUFFER, 4, gl.STREAM_READ);
    gl.bindFramebuffer(gl.FRAMEBUFFER, pickTarget.fb);
    gl.readPixels(x, y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, 0);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    const fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush();
    const fetch = () => {
      if (gl.isContextLost()) return;
      if (gl.clientWaitSync(fence, 0, 0) === gl.TIMEOUT_EXPIRED) { window.setTimeout(fetch, 2); return; }
      gl.deleteSync(fence);
      const pixel = new Uint8Array(4);
      gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
      gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, pixel);
      gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
      gl.deleteBuffer(buffer);
      const index = pixel[0] + (pixel[1] << 8) - 1;
      found(pixel[3] && index >= 0 && index < structures.length ? structures[index] : null);
    };
    window.setTimeout(fetch, 0);
  }
  // A click reports the structure drawn under it and the ray from the eye through it (origin, direction).
  function pickAt(clientX, clientY) {
    if (!camera || !structures.length) return;
    const rect = canvas.getBoundingClientRect(), v = matrices();
    const nx = ((clientX - rect.left) / rect.width) * 2 - 1, ny = 1 - ((clientY - rect.top) / rect.height) * 2;
    const direction = norm(add(v.f, add(scale(v.r, (nx * v.aspect) / v.t), scale(v.u, ny / v.t))));
    const ray = [...camera.position, ...direction];
    structureAt(clientX, clientY, (picked) => model.send_msg({ picked: picked ? picked.id : "", ray }));
  }

  // Hover: the name of the structure under a mouse or pen at rest (not dragging), at most once a frame.
  const hoverTip = document.createElement("div");
  hoverTip.className = "knee-hover";
  hoverTip.setAttribute("aria-hidden", "true");
  hoverTip.hidden = true;
  holder.append(hoverTip);
  let hoverAt = null;
  let hoverPending = false;
  function hoverSoon() {
    if (hoverPending) return;
    hoverPending = true;
    window.requestAnimationFrame(() => { hoverPending = false; showHover(); });
  }
  function hideHover() {
    hoverAt = null;
    hoverTip.hidden = true;
    canvas.style.cursor = "grab";
  }
  let hoverReading = false;
  function showHover() {
    if (!hoverAt || pointers.size || hoverReading) return;
    const at = hoverAt;
    hoverReading = true;
    structureAt(at[0], at[1], (s) => {
      hoverReading = false;
      if (hoverAt === at && !pointers.size) nameUnderPointer(s);
      else if (hoverAt) hoverSoon();  // the pointer moved on while the pixel was read
    });
  }
  function nameUnderPointer(s) {
    if (!model.hover) { hoverTip.hidden = true; canvas.style.cursor = s ? "pointer" : "grab"; return; }
    canvas.style.cursor = s ? "pointer" : "grab";
    hoverTip.hidden = !s;
    if (!s) return;
    hoverTip.textContent = s.name;
    const rect = holder.getBoundingClientRect();
    const x = hoverAt[0] - rect.left, y = hoverAt[1] - rect.top;
    const w = hoverTip.offsetWidth, h = hoverTip.offsetHeight;
    // Below and right of the pointer, or on the other side where the view ends.
    const left = x + 14 + w <= holder.clientWidth ? x + 14 : Math.max(x - 8 - w, 0);
    const top = y + 18 + h <= holder.clientHeight ? y + 18 : Math.max(y - 8 - h, 0);
    hoverTip.style.left = `${left}px`;
    hoverTip.style.top = `${top}px`;
  }

  // Orientation: the frame's axes, seen as the camera sees them.
  function drawTriad() {
    const size = 96, dpr = Math.min(window.devicePixelRatio || 1, 2);
    triad.width = size * dpr;
    triad.height = size * dpr;
    const ctx = triad.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size, size);
    ctx.font = "600 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const axes = [[[1, 0, 0], "Lat", "#b3261e"], [[0, 1, 0], "Ant", "#2e7d32"], [[0, 0, 1], "Sup", "#1a5fb4"]];
    const projected = axes.map(([a, name, colour]) => [dot(a, view.r), dot(a, view.u), dot(a, view.f), name, colour]);
    projected.sort((a, b) => a[2] - b[2]).reverse();
    const c = size / 2, length = size * 0.26;
    for (const [x, y, z, name, colour] of projected) {
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      if (Math.hypot(x, y) < 0.3) {
        // An axis along the line of sight: a dot when it points at the viewer, a ring when away.
        ctx.arc(c, c, 3.5, 0, 2 * Math.PI);
        if (z < 0) ctx.fill(); else ctx.stroke();
        ctx.fillText(name, c + 14, c + 12);
        continue;
      }
      ctx.moveTo(c, c);
      ctx.lineTo(c + x * length, c - y * length);
      ctx.stroke();
      ctx.fillText(name, c + x * (length + 11), c - y * (length + 9));
    }
  }

  // Labels. The selected structure's is pinned beside it with a leader line, labels switch or not, and so
  // are those of the structures in model.named (a pain cause's: id -> the point to mark), each moved up or
  // down to keep clear of the others; with the switch on, the other names follow, nearest first, each left
  // out where it would overlap one placed.
  function drawLabels() {
    labelLayer.replaceChildren();
    if (!view) return;
    const plane = clipPlane();
    const named = new Map(Object.entries(model.named || {}));
    const placed = [];
    const selected = structures.find((s) => s.id === model.selected);
    const pins = [[selected, selected && pinPoint(selected, named), "knee-pin"],
                  ...structures.filter((s) => named.has(s.id) && s.id !== model.selected)
                    .map((s) => [s, named.get(s.id), "knee-named"])];
    const marker = model.marker || {};
    if (Array.isArray(marker.point) && marker.point.length === 3) pins.unshift([{ id: "", name: String(marker.text || "") }, marker.point, "knee-marker"]);
    for (const [s, point, kind] of pins) {
      const pin = s && pinAt(s, point, plane, kind);
      if (pin && placePin(pin, placed)) labelLayer.append(...pin.nodes);
    }
    if (model.labels) labelLayer.append(...nameLabels(plane, placed, named));
  }
  // The selected structure's label marks its own anchor while that is well inside the view, else the
  // point Python chose for it (the middle of its part near what is looked at: a long nerve's, by the knee).
  function pinPoint(s, named) {
    const [x, y, inFront] = project(s.anchor);
    const w = canvas.clientWidth, h = canvas.clientHeight, margin = 0.1;
    const inside = inFront && x > margin * w && x < (1 - margin) * w && y > margin * h && y < (1 - margin) * h;
    return inside || !named.has(s.id) ? s.anchor : named.get(s.id);
  }
  function nameLabels(plane, placed, named) {
    const candidates = [];
    for (const s of structures) {
      const l = looks(s);
      if (s.id === model.selected || named.has(s.id) || !l.visible || l.opacity < 0.3 || dot(s.anchor, plane) + plane[3] < 0) continue;  // cut away
      const [left, top, inFront] = project(s.anchor);
      if (!inFront || left < 0 || top < 0 || left > canvas.clientWidth || top > canvas.clientHeight) continue;
      const depth = dot(sub(s.anchor, camera.position), view.f);
      candidates.push({ s, left, top, depth });
    }
    candidates.sort((a, b) => a.depth - b.depth);
    const boxes = [];
    for (const c of candidates) {
      const half = [c.s.name.length * 3.4 + 6, 10];
      if (placed.some(([x, y, w, h]) => Math.abs(x - c.left) < w + half[0] && Math.abs(y - c.top) < h + half[1])) continue;
      placed.push([c.left, c.top, ...half]);
      const box = document.createElement("span");
      box.className = "knee-label";
      box.textContent = c.s.name;
      box.style.left = `${c.left}px`;
      box.style.top = `${c.top}px`;
      boxes.push(box);
    }
    return boxes;
  }
  // A label with a leader line to a point of a structure, or null when the structure is not shown or the
  // point lies behind the camera. Where the cut took the point away, it moves straight onto the cutting plane.
  function pinAt(s, point, plane, kind) {
    if (s.id && (!looks(s).visible || looks(s).opacity <= 0)) return null;
    const side = dot(point, plane) + plane[3];
    const anchor = side < 0 ? sub(point, scale(plane, side / dot(plane, plane))) : point;
    const [x, y, inFront] = project(anchor);
    if (!inFront) return null;
    const label = document.createElement("span");
    label.className = `knee-label ${kind}`;
    label.textContent = s.name;
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.classList.add("knee-leader");
    const line = document.createElementNS(SVG_NS, "line");
    const dotMark = document.createElementNS(SVG_NS, "circle");
    dotMark.setAttribute("cx", x);
    dotMark.setAttribute("cy", y);
    dotMark.setAttribute("r", kind === "knee-marker" ? "6" : "3");
    if (kind === "knee-marker") dotMark.classList.add("knee-marker-dot");
    svg.append(line, dotMark);
    return { x, y, label, line, nodes: [svg, label] };
  }
  // Puts a pinned label up and outwards of its point, wholly inside the view and clear of the boxes already
  // placed (moving it down or up if need be), and draws the leader line from its nearest edge to the point.
  // Returns false when there is no room for it.
  function placePin(pin, placed) {
    const width = canvas.clientWidth, height = canvas.clientHeight, margin = 4;
    labelLayer.append(pin.label);  // measured in place
    const w = pin.label.offsetWidth, h = pin.label.offsetHeight;
    pin.label.remove();
    const outwards = pin.x < width / 2 ? -1 : 1;
    const wantLeft = outwards > 0 ? pin.x + PIN_OFFSET[0] : pin.x - PIN_OFFSET[0] - w;
    const left = Math.min(Math.max(wantLeft, margin), Math.max(width - margin - w, margin));
    const clear = (top) => !placed.some(([x, y, hw, hh]) => Math.abs(x - (left + w / 2)) < hw + w / 2 + 2 && Math.abs(y - (top + h / 2)) < hh + h / 2 + 2);
    const first = pin.y - PIN_OFFSET[1] - h / 2;
    let top = null;
    for (let step = 0; step < 16 && top === null; step++) {
      const shift = (step % 2 ? 1 : -1) * Math.ceil(step / 2) * (h + 3);
      const candidate = Math.min(Math.max(first + shift, margin), Math.max(height - margin - h, margin));
      if (clear(candidate)) top = candidate;
    }
    if (top === null) return false;
    pin.label.style.left = `${left}px`;
    pin.label.style.top = `${top}px`;
    const end = [Math.min(Math.max(pin.x, left), left + w), Math.min(Math.max(pin.y, top), top + h)];
    for (const [name, value] of [["x1", end[0]], ["y1", end[1]], ["x2", pin.x], ["y2", pin.y]]) pin.line.setAttribute(name, value);
    placed.push([left + w / 2, top + h / 2, w / 2, h / 2]);
    return true;
  }

  // Camera moves. The new camera goes to Python (and the link) once a gesture ends.
  let syncTimer = null;
  function syncCamera() {
    window.clearTimeout(syncTimer);
    syncTimer = window.setTimeout(() => {
      const round = (v) => v.map((x) => Math.round(x * 1000) / 1000);
      model.camera = { position: round(camera.position), focalPoint: round(camera.focalPoint), viewUp: round(camera.viewUp) };
    }, 250);
  }
  function orbit(horizontal, vertical) {
    const offset = sub(camera.position, camera.focalPoint);
    const f = norm(scale(offset, -1)), right = norm(cross(f, camera.viewUp));
    let moved = rotate(offset, camera.viewUp, horizontal);
    let up = camera.viewUp;
    const r2 = rotate(right, camera.viewUp, horizontal);
    moved = rotate(moved, r2, vertical);
    up = norm(rotate(up, r2, vertical));
    camera.position = add(camera.focalPoint, moved);
    camera.viewUp = up;
  }
  function pan(dx, dy) {
    const v = matrices();
    const perPixel = (2 * v.distance * Math.tan(FOV / 2)) / Math.max(canvas.clientHeight, 1);
    const shift = add(scale(v.r, -dx * perPixel), scale(v.u, dy * perPixel));
    camera.position = add(camera.position, shift);
    camera.focalPoint = add(camera.focalPoint, shift);
  }
  function zoom(factor) {
    const offset = sub(camera.position, camera.focalPoint);
    const distance = Math.hypot(...offset);
    const next = Math.min(Math.max(distance * factor, 20), 5000);
    camera.position = add(camera.focalPoint, scale(offset, next / distance));
  }

  const pointers = new Map();
  let press = null;
  let pinch = null;
  canvas.addEventListener("pointerdown", (event) => {
    hideHover();
    canvas.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (pointers.size === 1) {
      const panning = event.button === 2 || event.button === 1 || event.shiftKey || event.ctrlKey;
      press = { x: event.clientX, y: event.clientY, last: [event.clientX, event.clientY], panning, moved: false, button: event.button };
    } else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { distance: Math.hypot(a[0] - b[0], a[1] - b[1]), centre: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
      if (press) press.moved = true;
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerType === "touch" || pointers.size) { hideHover(); return; }
    hoverAt = [event.clientX, event.clientY];
    hoverSoon();
  });
  canvas.addEventListener("pointerleave", hideHover);
  canvas.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId) || !camera) return;
    pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a[0] - b[0], a[1] - b[1]), centre = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      if (distance > 0) zoom(pinch.distance / distance);
      pan(centre[0] - pinch.centre[0], centre[1] - pinch.centre[1]);
      pinch = { distance, centre };
      redraw();
      return;
    }
    if (!press) return;
    const dx = event.clientX - press.last[0], dy = event.clientY - press.last[1];
    press.last = [event.clientX, event.clientY];
    if (Math.max(Math.abs(event.clientX - press.x), Math.abs(event.clientY - press.y)) > CLICK_TOLERANCE_PX) press.moved = true;
    if (!press.moved) return;
    if (press.panning) pan(dx, dy);
    else orbit(-dx * ROTATE_PER_PX, -dy * ROTATE_PER_PX);
    redraw();
  });
  function release(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size > 0) return;
    const ended = press;
    press = null;
    if (!ended) return;
    if (ended.moved) syncCamera();
    else if (ended.button === 0 && event.type === "pointerup") pickAt(event.clientX, event.clientY);
    if (event.pointerType !== "touch" && event.type === "pointerup") {
      hoverAt = [event.clientX, event.clientY];
      hoverSoon();
    }
  }
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("contextmenu", (event) => event.preventDefault());
  canvas.addEventListener("wheel", (event) => {
    if (!camera) return;
    event.preventDefault();
    zoom(Math.exp(Math.max(Math.min(event.deltaY, 200), -200) * 0.0015));
    redraw();
    syncCamera();
  }, { passive: false });
  holder.addEventListener("keydown", (event) => {
    if (!camera || event.target !== holder) return;
    const moves = {
      ArrowLeft: () => orbit(KEY_ROTATE, 0), ArrowRight: () => orbit(-KEY_ROTATE, 0),
      ArrowUp: () => orbit(0, KEY_ROTATE), ArrowDown: () => orbit(0, -KEY_ROTATE),
      "+": () => zoom(0.8), "=": () => zoom(0.8), "-": () => zoom(1.25),
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    move();
    redraw();
    syncCamera();
  });

  const resize = new ResizeObserver(() => {
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, Math.round(holder.clientWidth * dpr)), h = Math.max(1, Math.round(holder.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    redraw();
  });
  resize.observe(holder);

  fetch(model.mesh_url)
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.arrayBuffer();
    })
    .then((buffer) => {
      structures = model.manifest.map((entry) => {
        const data = unpack(entry, buffer);
        const vao = gl.createVertexArray();
        gl.bindVertexArray(vao);
        for (const [name, array] of [["position", data.positions], ["normal", data.normals]]) {
          gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
          gl.bufferData(gl.ARRAY_BUFFER, array, gl.STATIC_DRAW);
          gl.enableVertexAttribArray(loc[name]);
          gl.vertexAttribPointer(loc[name], 3, gl.FLOAT, false, 0, 0);
        }
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, gl.createBuffer());
        gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, data.indices, gl.STATIC_DRAW);
        gl.bindVertexArray(null);
        return { id: entry.id, name: entry.name, anchor: entry.anchor, vao, count: entry.triangles * 3,
                 indexType: data.indexType, centre: data.centre, lo: data.lo, hi: data.hi };
      });
      redraw();
    })
    .catch((error) => notice(`The 3D models could not be loaded (${error.message}). Reload the page to try again.`));

  model.on("looks", () => { readLooks(); redraw(); });
  model.on("clip", redraw);
  model.on("labels", redraw);
  model.on("selected", redraw);
  model.on("named", redraw);
  model.on("marker", redraw);
  model.on("hover", () => { if (!model.hover) hoverTip.hidden = true; });
  model.on("camera", () => {
    const next = model.camera;
    if (camera && next && JSON.stringify(next) === JSON.stringify(camera)) return;
    if (setCamera(next)) redraw();
  });
  const cleanup = () => {
    resize.disconnect();
    window.clearTimeout(syncTimer);
    const lose = gl.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext();
  };
  el._kneeCleanup = cleanup;
  model.on("remove", cleanup);
  return holder;
}
