// alliancesim's pages: draw the Plotly figures the server describes, poll a job, cancel it.
"use strict";

function drawCharts() {
  if (typeof Plotly === "undefined") { return; }
  document.querySelectorAll("[data-figure]").forEach(function (el) {
    var fig = JSON.parse(el.getAttribute("data-figure"));
    Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false});
  });
}

function showErrors(box, errors) {
  box.textContent = "";
  if (!errors || !errors.length) { return; }
  var div = document.createElement("div");
  div.className = "errors";
  var ul = document.createElement("ul");
  errors.forEach(function (e) {
    var li = document.createElement("li");
    li.textContent = (e.line ? "line " + e.line + ": " : "") + (e.field ? e.field + ": " : "") + e.message;
    ul.appendChild(li);
  });
  div.appendChild(ul);
  box.appendChild(div);
}

function pollJob(el) {
  var id = el.getAttribute("data-job");
  var url = "/api/v1/jobs/" + encodeURIComponent(id);
  var state = document.getElementById("job-state");
  var message = document.getElementById("job-message");
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  var cancel = document.getElementById("cancel-form");
  cancel.addEventListener("submit", function (ev) {
    ev.preventDefault();
    fetch(url + "/cancel", {method: "POST", headers: {"Content-Type": "application/json"},
                            body: "{}", credentials: "same-origin"});
  });
  function tick() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      state.textContent = job.state;
      message.textContent = job.message;
      if (job.total) {
        bar.max = job.total; bar.value = job.done;
        count.textContent = job.done.toLocaleString() + " of " + job.total.toLocaleString();
      } else { bar.removeAttribute("value"); }
      if (job.state === "done") {
        bar.max = 1; bar.value = 1;
        window.location.assign("/results/" + encodeURIComponent(job.run_id));
        return;
      }
      if (job.state === "failed" || job.state === "cancelled") {
        cancel.hidden = true;
        if (job.state === "cancelled") { bar.value = 0; }
        showErrors(document.getElementById("job-errors"), job.errors);
        return;
      }
      window.setTimeout(tick, 400);
    }).catch(function () { window.setTimeout(tick, 1500); });
  }
  tick();
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts();
  var job = document.getElementById("job");
  if (job) { pollJob(job); }
  // the sequence's form: another scenario reloads the page with its crises offered
  var pick = document.getElementById("s-scenario");
  if (pick) {
    pick.addEventListener("change", function () {
      window.location.assign("/sequence?scenario=" + encodeURIComponent(pick.value));
    });
  }
});
