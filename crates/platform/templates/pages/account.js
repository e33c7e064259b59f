// The pages behind the links of Agora's emails (`verify-email`, `reset-password`), served by the
// server itself until a web application serves its own: they send the link's token to the API.
// Paths are relative, so the pages work wherever the server is mounted (`public_url`).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-action]");
  const status = document.getElementById("status");
  const show = (message, isError) => {
    status.textContent = message;
    status.classList.toggle("error", isError);
    status.hidden = false;
  };
  const token = new URLSearchParams(window.location.search).get("token");
  if (!token) {
    form.hidden = true;
    show("This link is incomplete. Open the link from the email again.", true);
    return;
  }
  const action = form.dataset.action;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { token };
    if (action === "reset-password") {
      if (form.elements.password.value !== form.elements.confirm.value) {
        show("The two passwords are not the same.", true);
        return;
      }
      body.new_password = form.elements.password.value;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(`api/v1/auth/${action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (response.ok) {
        form.hidden = true;
        show(form.dataset.done, false);
        return;
      }
      const problem = await response.json().catch(() => null);
      const field = problem && problem.errors && problem.errors[0];
      show((field && field.message) || (problem && problem.detail) || "Something went wrong.", true);
    } catch {
      show("The server cannot be reached. Try again in a moment.", true);
    } finally {
      button.disabled = false;
    }
  });
});
