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
