// Progressive enhancement for upvote forms: vote without reloading the page. Without this
// script the forms post and redirect back, which works just as well.
(function () {
  if (!window.fetch || !window.FormData) return;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("upvote")) return;
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("action"), { method: "POST", body: body, headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (state) {
        var button = form.querySelector("button");
        var action = form.querySelector("input[name=action]");
        action.value = state.upvoted ? "remove" : "add";
        button.setAttribute("aria-pressed", state.upvoted ? "true" : "false");
        button.classList.toggle("voted", state.upvoted);
        if (button.textContent.indexOf("Upvote") >= 0) button.textContent = state.upvoted ? "▲ Upvoted" : "▲ Upvote";
        var count = form.parentNode.querySelector(".count");
        if (count && count.dataset.noun) {
          count.textContent = state.upvotes + " " + count.dataset.noun + (state.upvotes === 1 ? "" : "s");
        } else if (count) {
          count.textContent = state.upvotes;
        }
      })
      .catch(function () { form.submit(); });
  });
})();
