// The structure tree: groups with visibility checkboxes and selectable structure names.
function make(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

export function render({ model }) {
  const nav = make("nav", { "aria-label": "Structures by group", class: "knee-tree" });
  let rows = new Map();
  let groupBoxes = new Map();

  function setVisible(ids, shown) {
    const visible = new Set(model.shown);
    ids.forEach((id) => (shown ? visible.add(id) : visible.delete(id)));
    model.shown = [...visible];
  }

  function build() {
    rows = new Map();
    groupBoxes = new Map();
    const matches = model.matches === null ? null : new Set(model.matches);
    const list = make("ul", { class: "groups" });
    for (const group of model.groups) {
      const members = group.structures.filter((s) => matches === null || matches.has(s.id));
      if (!members.length) continue;
      const item = make("li", { class: "group" });
      const head = make("div", { class: "row group-row" });
      const withMesh = members.filter((s) => s.mesh).map((s) => s.id);
      if (withMesh.length) {
        const box = make("input", { type: "checkbox", "aria-label": `Show all ${group.name}`, "data-group": group.id });
        box.addEventListener("change", () => setVisible(withMesh, box.checked));
        groupBoxes.set(group.id, [box, withMesh]);
        head.append(box);
      }
      head.append(make("span", { class: "group-name", id: `group-${group.id}` }, group.name));
      if (withMesh.length) {
        const only = make("button", { type: "button", class: "only", "aria-label": `Show only ${group.name}`,
                                      "data-group": group.id }, "only");
        only.addEventListener("click", () => model.send_msg({ isolate: withMesh }));
        head.append(only);
      }
      item.append(head);
      const sub = make("ul", { "aria-labelledby": `group-${group.id}` });
      for (const s of members) {
        const row = make("li", { class: "row structure-row" });
        if (s.mesh) {
          const box = make("input", { type: "checkbox", "aria-label": `Show ${s.name}`, "data-structure": s.id });
          box.addEventListener("change", () => setVisible([s.id], box.checked));
          row.append(box);
        } else {
          row.append(make("span", { class: "no-mesh", title: "no 3D model" }));
        }
        const name = make("button", { type: "button", class: "name", "data-structure": s.id }, s.name);
        name.addEventListener("click", () => {
          model.selected = model.selected === s.id ? "" : s.id;
        });
        row.append(name);
        sub.append(row);
        rows.set(s.id, row);
      }
      item.append(sub);
      list.append(item);
    }
    if (!list.children.length) list.append(make("li", { class: "empty" }, "No structure matches."));
    nav.replaceChildren(list);
    update();
  }

  function update() {
    const visible = new Set(model.shown);
    for (const [id, row] of rows.entries()) {
      const box = row.querySelector("input");
      if (box) box.checked = visible.has(id);
      const name = row.querySelector("button");
      const chosen = model.selected === id;
      name.setAttribute("aria-pressed", chosen ? "true" : "false");
      row.classList.toggle("selected", chosen);
      if (chosen) reveal(row);
    }
    for (const [box, ids] of groupBoxes.values()) {
      const shown = ids.filter((id) => visible.has(id)).length;
      box.checked = shown === ids.length;
      box.indeterminate = shown > 0 && shown < ids.length;
    }
  }

  // Scroll the panel holding the tree so the chosen row shows, never the page or the text above the tree.
  function reveal(row) {
    let node = nav;
    while (node && node !== document.body) {
      const style = node instanceof Element ? getComputedStyle(node) : null;
      if (style && /(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) break;
      node = node.parentNode || node.host;
    }
    if (!node || node === document.body) return;
    const view = node.getBoundingClientRect(), box = row.getBoundingClientRect();
    if (box.top < view.top) node.scrollTop -= view.top - box.top;
    else if (box.bottom > view.bottom) node.scrollTop += box.bottom - view.bottom;
  }

  // Up and down arrows move between structure names; Home and End jump to the first and last.
  nav.addEventListener("keydown", (event) => {
    if (!event.target.matches("button.name")) return;
    const names = [...nav.querySelectorAll("button.name")];
    const at = names.indexOf(event.target);
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: names.length - 1 }[event.key];
    if (next === undefined || !names[next]) return;
    event.preventDefault();
    names[next].focus();
  });

  model.on(["groups", "matches"], build);
  model.on(["shown", "selected"], update);
  build();
  return nav;
}
