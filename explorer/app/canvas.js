// The 3D canvas: Panel's VTK pane plus picking, appearance, clipping and labels done in vtk.js.
const CLICK_TOLERANCE_PX = 4;

function vtkns() {
  return window.vtk;
}

function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

export function render({ model, view, el }) {
  // Panel may render again (e.g. once the child pane exists): drop the previous canvas first.
  if (el._kneeCleanup) el._kneeCleanup();
  el.querySelectorAll(".knee-canvas").forEach((node) => node.remove());
  const holder = document.createElement("div");
  holder.className = "knee-canvas";
  holder.setAttribute("role", "application");
  holder.setAttribute("aria-label", "3D view of the knee: drag to rotate, scroll to zoom, click a structure to read about it");
  const scene = model.get_child("scene");
  holder.appendChild(scene);
  const labelLayer = document.createElement("div");
  labelLayer.className = "knee-labels";
  labelLayer.setAttribute("aria-hidden", "true");
  holder.appendChild(labelLayer);

  const paneModel = () => view.model.data.scene;
  const renwin = () => {
    const rw = paneModel() && paneModel().renderer_el;
    if (!rw || !rw.getRenderer || !rw.getRenderer()) return null;
    return rw.getRenderer().getActors().length ? rw : null;
  };
  let actorsById = null;
  let actorsSource = null;

  function actors() {
    const rw = renwin();
    if (!rw) return null;
    if (actorsSource !== rw) {
      actorsById = new Map();
      for (const [id, ptr] of Object.entries(model.actor_ptrs)) {
        const found = paneModel().getActors(ptr);
        if (found.length) actorsById.set(id, found[0]);
      }
      actorsSource = rw;
    }
    return actorsById;
  }

  // Draw on the next animation frame, so the page (e.g. the info panel) updates first.
  let redrawPending = false;
  function redraw() {
    if (redrawPending) return;
    redrawPending = true;
    window.requestAnimationFrame(() => {
      redrawPending = false;
      const rw = renwin();
      if (rw) rw.getRenderWindow().render();
      updateLabels(true);
    });
  }

  function applyAppearance() {
    const byId = actors();
    if (!byId) return false;
    for (const [id, [visible, opacity, colour]] of Object.entries(model.appearance)) {
      const actor = byId.get(id);
      if (!actor) continue;
      actor.setVisibility(visible);
      actor.getProperty().setOpacity(opacity);
      actor.getProperty().setColor(...hexToRgb(colour));
    }
    return true;
  }

  function applyClip() {
    const byId = actors();
    if (!byId) return false;
    const clip = model.clip || {};
    for (const actor of byId.values()) {
      const mapper = actor.getMapper();
      mapper.removeAllClippingPlanes();
      if (clip.normal) {
        const plane = vtkns().Common.DataModel.vtkPlane.newInstance({ origin: clip.origin, normal: clip.normal });
        mapper.addClippingPlane(plane);
      }
    }
    return true;
  }

  function applyAll() {
    if (applyAppearance() && applyClip()) {
      const rw = renwin();
      rw.getRenderWindow().render();
      updateLabels(true);
      return true;
    }
    return false;
  }

  // Labels: HTML boxes placed over the canvas at each visible structure's anchor point.
  let lastCamera = "";
  function updateLabels(force) {
    const rw = renwin();
    if (!model.labels || !rw) {
      labelLayer.replaceChildren();
      lastCamera = "";
      return;
    }
    const renderer = rw.getRenderer();
    const camera = renderer.getActiveCamera();
    const glwin = rw.getOpenGLRenderWindow();
    const key = JSON.stringify([camera.getPosition(), camera.getFocalPoint(), camera.getViewUp(), glwin.getSize(), model.appearance]);
    if (!force && key === lastCamera) return;
    lastCamera = key;
    const canvas = glwin.getCanvas();
    const size = glwin.getSize();
    const rect = canvas.getBoundingClientRect();
    const hostRect = holder.getBoundingClientRect();
    const boxes = [];
    for (const [id, [name, x, y, z]] of Object.entries(model.label_anchors)) {
      const look = model.appearance[id];
      if (!look || !look[0] || look[1] < 0.3) continue;
      const [dx, dy] = glwin.worldToDisplay(x, y, z, renderer);
      const left = rect.left - hostRect.left + (dx / size[0]) * rect.width;
      const top = rect.top - hostRect.top + rect.height - (dy / size[1]) * rect.height;
      if (left < 0 || top < 0 || left > rect.width || top > rect.height) continue;
      const box = document.createElement("span");
      box.className = "knee-label";
      box.textContent = name;
      box.style.left = `${left}px`;
      box.style.top = `${top}px`;
      boxes.push(box);
    }
    labelLayer.replaceChildren(...boxes);
  }

  function pickAt(clientX, clientY) {
    const rw = renwin();
    const byId = actors();
    if (!rw || !byId) return;
    const renderer = rw.getRenderer();
    const glwin = rw.getOpenGLRenderWindow();
    const rect = glwin.getCanvas().getBoundingClientRect();
    const size = glwin.getSize();
    const x = ((clientX - rect.left) / rect.width) * size[0];
    const y = ((rect.bottom - clientY) / rect.height) * size[1];
    const picker = vtkns().Rendering.Core.vtkCellPicker.newInstance();
    picker.setTolerance(0);
    picker.setPickFromList(true);
    // Solid structures first, so a ghosted one in front does not catch the click.
    const shown = [...byId.values()].filter((a) => a.getVisibility());
    const solid = shown.filter((a) => a.getProperty().getOpacity() >= 0.5);
    let picked = null;
    for (const candidates of [solid, shown]) {
      if (!candidates.length) continue;
      picker.initializePickList();
      candidates.forEach((a) => picker.addPickList(a));
      picker.pick([x, y, 0], renderer);
      const hits = picker.getActors();
      if (hits.length) {
        picked = hits[0];
        break;
      }
    }
    let pickedId = "";
    for (const [id, actor] of byId.entries()) {
      if (actor === picked) pickedId = id;
    }
    model.send_msg({ picked: pickedId });
  }

  let press = null;
  holder.addEventListener("pointerdown", (event) => {
    press = event.button === 0 ? [event.clientX, event.clientY] : null;
  }, true);
  holder.addEventListener("pointerup", (event) => {
    if (!press || event.button !== 0) return;
    const [x0, y0] = press;
    press = null;
    if (Math.max(Math.abs(event.clientX - x0), Math.abs(event.clientY - y0)) > CLICK_TOLERANCE_PX) return;
    pickAt(event.clientX, event.clientY);
  }, true);

  // The pane builds its renderer asynchronously, and again after a full re-sync: watch for it.
  let appliedTo = null;
  let frame = null;
  function tick() {
    const rw = renwin();
    if (rw && appliedTo !== rw) {
      if (applyAll()) {
        appliedTo = rw;
        holder.dataset.ready = "true";
        holder.dataset.readyAt = String(Math.round(performance.now()));
      }
    }
    updateLabels(false);
    frame = window.requestAnimationFrame(tick);
  }
  frame = window.requestAnimationFrame(tick);

  model.on("appearance", () => { if (applyAppearance()) redraw(); });
  model.on("clip", () => { if (applyClip()) redraw(); });
  model.on("labels", () => updateLabels(true));
  el._kneeCleanup = () => window.cancelAnimationFrame(frame);
  model.on("remove", () => window.cancelAnimationFrame(frame));
  return holder;
}
