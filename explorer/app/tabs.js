// Tabs as the ARIA authoring practices describe them: a tablist of buttons before the panels; Left and
// Right (and Home, End) move between tabs and open them; Tab goes from the chosen tab into its panel.
export function render({ model, el }) {
  const list = document.createElement("div");
  list.setAttribute("role", "tablist");
  list.setAttribute("aria-label", model.label);
  list.className = "knee-tablist";
  const panels = model.get_child("objects").map((child, index) => {
    const panel = document.createElement("div");
    panel.setAttribute("role", "tabpanel");
    panel.id = `knee-panel-${index}`;
    panel.setAttribute("aria-labelledby", `knee-tab-${index}`);
    panel.className = "knee-tabpanel";
    panel.append(child);
    return panel;
  });
  const tabs = model.names.map((name, index) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.id = `knee-tab-${index}`;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", `knee-panel-${index}`);
    tab.textContent = name;
    tab.addEventListener("click", () => { model.active = index; });
    return tab;
  });
  list.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(event.target);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    model.active = (next + tabs.length) % tabs.length;
    tabs[model.active].focus();
  });

  function show() {
    tabs.forEach((tab, index) => {
      const chosen = index === model.active;
      tab.setAttribute("aria-selected", chosen ? "true" : "false");
      tab.tabIndex = chosen ? 0 : -1;
      panels[index].hidden = !chosen;
    });
  }

  list.append(...tabs);
  el.classList.add("knee-tabs-root");
  el.append(list, ...panels);
  model.on("active", show);
  show();
}
