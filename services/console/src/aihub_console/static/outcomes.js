// The outcome charts: each <script type="application/json" data-chart="ID"> block holds the
// Chart.js configuration of the <canvas id="ID"> (rendered by the server; no inline script).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") {
    return; // the tables under each chart say the same
  }
  document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (block) {
    var canvas = document.getElementById(block.getAttribute("data-chart"));
    if (canvas) {
      new Chart(canvas, JSON.parse(block.textContent));
    }
  });
});
