// The self-test panel: choose a kind of question and a set, answer with real buttons, see the score.
// Everything shown comes from one JSON string (model.view); every press is sent back as a message.
// After a press in the panel, focus goes where the next step is (the question, the next button, the score).
function make(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

export function render({ model, el }) {
  const root = make("section", { class: "knee-quiz", "aria-label": "Self-test" });
  let focusAfter = null;  // what to focus once the answer to a press arrives

  function send(message, focus) {
    focusAfter = focus;
    model.send_msg(message);
  }

  function button(label, attrs, message, focus) {
    const node = make("button", { type: "button", ...attrs }, label);
    node.addEventListener("click", () => {
      if (node.getAttribute("aria-disabled") !== "true") send(message, focus);
    });
    return node;
  }

  function setup(view) {
    const form = make("form", { class: "quiz-setup" });
    const kinds = make("fieldset");
    kinds.append(make("legend", {}, "Kind of question"));
    for (const [value, label] of view.kinds) {
      const option = make("label", { class: "quiz-kind" });
      const radio = make("input", { type: "radio", name: "quiz-kind", value });
      radio.checked = value === view.kind;
      option.append(radio, ` ${label}`);
      kinds.append(option);
    }
    const setLabel = make("label", { for: "quiz-set" }, "Questions on");
    const select = make("select", { id: "quiz-set" });
    const groups = new Map();
    for (const [value, label, heading] of view.sets) {
      let parent = select;
      if (heading) {
        if (!groups.has(heading)) {
          groups.set(heading, make("optgroup", { label: heading }));
          select.append(groups.get(heading));
        }
        parent = groups.get(heading);
      }
      const option = make("option", { value }, label);
      option.selected = value === view.qset;
      parent.append(option);
    }
    const start = make("button", { type: "submit", "data-focus": "start" }, "Start a round");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const kind = form.querySelector("input[name=quiz-kind]:checked");
      send({ action: "start", kind: kind ? kind.value : view.kind, qset: select.value }, "question");
    });
    form.append(kinds, setLabel, select, start);
    return [make("p", {}, view.intro), form];
  }

  function question(view) {
    const nodes = [make("p", { class: "quiz-round" }, view.round)];
    if (view.note) nodes.push(make("p", { class: "quiz-note" }, view.note));
    nodes.push(make("h3", { id: "quiz-number", tabindex: "-1", "data-focus": "question" }, view.number));
    nodes.push(make("p", { id: "quiz-prompt", class: "quiz-prompt" }, view.prompt));
    if (view.hint) nodes.push(make("p", { id: "quiz-hint", class: "quiz-hint" }, view.hint));
    const group = make("div", { role: "group", class: "quiz-choices", "aria-labelledby": view.choices_label_id });
    for (const choice of view.choices) {
      const attrs = { "data-key": `choice-${choice.id}`, class: choice.mark ? `quiz-${choice.mark}` : "" };
      if (view.answered) attrs["aria-disabled"] = "true";
      const node = button(choice.label, attrs, { action: "answer", id: choice.id }, "next");
      if (choice.mark) node.append(make("span", { class: "quiz-mark" }, choice.mark === "right" ? " (right answer)" : " (your answer)"));
      group.append(node);
    }
    nodes.push(group);
    if (view.feedback) {
      nodes.push(make("p", { class: `quiz-feedback ${view.feedback.right ? "quiz-was-right" : "quiz-was-wrong"}` },
                      view.feedback.text));
      nodes.push(button(view.next_label, { class: "quiz-next", "data-focus": "next" }, { action: "next" }, "question"));
    }
    nodes.push(button("Stop the round", { class: "quiz-stop" }, { action: "stop" }, "start"));
    return nodes;
  }

  function end(view) {
    const nodes = [make("p", { class: "quiz-round" }, view.round),
                   make("h3", { id: "quiz-score", tabindex: "-1", "data-focus": "question" }, view.score)];
    if (view.note) nodes.push(make("p", { class: "quiz-note" }, view.note));
    if (view.misses.length) {
      nodes.push(make("h4", { id: "quiz-review" }, "Review of misses"));
      const list = make("ol", { class: "quiz-misses", "aria-labelledby": "quiz-review" });
      for (const miss of view.misses) {
        const item = make("li", {}, `${miss.text} `);
        item.append(button(`Show ${miss.name}`, { "data-key": `show-${miss.number}` }, { action: "show", id: miss.id }, null));
        list.append(item);
      }
      nodes.push(list);
    } else {
      nodes.push(make("p", {}, "No misses in this round."));
    }
    nodes.push(button("Same round again", { class: "quiz-again" }, { action: "again" }, "question"),
               button("New round", { class: "quiz-new" }, { action: "new" }, "start"));
    return nodes;
  }

  function build() {
    const view = JSON.parse(model.view);
    const active = root.getRootNode().activeElement;
    const kept = active && root.contains(active) ? active.getAttribute("data-key") : null;
    root.replaceChildren(...({ setup, question, end }[view.phase] || setup)(view));
    const target = focusAfter ? root.querySelector(`[data-focus=${focusAfter}]`)
      : kept ? root.querySelector(`[data-key="${CSS.escape(kept)}"]`) : null;
    focusAfter = null;
    if (target) target.focus();
  }

  model.on("view", build);
  build();
  el.append(root);
}
