// The console's own script (the CSP allows scripts from the console only, none inline).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // Forms that go on by themselves (the sign-out hand-over to the identity provider).
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.submit();
  });
});

// A refusal answered to an htmx request replaces the target like any answer, so the
// service's reason shows where the person is looking (htmx ignores 4xx bodies by default).
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 409 || status === 422 || status === 403 || status === 404) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A long form post shows that it is under way: while the one request runs, the submit button is
// disabled (no second submission) and the form's status says what is being done, with how many
// of its boxes were ticked (`data-progress`, "{count}" in it; `data-progress-count`: the
// boxes' name). The page that answers replaces it all.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.progress) {
    return;
  }
  var name = form.dataset.progressCount || "";
  var ticked = form.querySelectorAll('input[type="checkbox"]:checked');
  var count = Array.prototype.filter.call(ticked, function (box) {
    return !name || box.name === name;
  }).length;
  var status = form.querySelector("[data-progress-status]");
  if (status) {
    status.textContent = form.dataset.progress.replace("{count}", String(count));
  }
  form.querySelectorAll('button[type="submit"]').forEach(function (button) {
    button.disabled = true;
  });
});
