// Connected apps: a Copy button for the link code, and the code marked as expired when its time is up.
// Progressive enhancement only: without JavaScript the button stays hidden and the code is selectable text.
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyWithSelection(element) {
    selectText(element);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!source || !status) {
      return;
    }
    function report(copied) {
      status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
      if (!copied) {
        selectText(source);
      }
    }
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { report(true); },
          function () { report(copyWithSelection(source)); }
        );
      } else {
        report(copyWithSelection(source));
      }
    });
    button.hidden = false;
  });

  document.querySelectorAll("[data-link-code][data-expires-at]").forEach(function (box) {
    var expiresAt = Date.parse(box.dataset.expiresAt);
    if (isNaN(expiresAt)) {
      return;
    }
    function expire() {
      var expiry = box.querySelector("[data-expired-text]");
      var status = box.querySelector("[role='status']");
      box.classList.add("link-code-expired");
      box.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = true; });
      if (expiry) {
        expiry.textContent = expiry.dataset.expiredText;
        if (status) {
          status.textContent = expiry.dataset.expiredText;  // announced: the status region is live
        }
      }
    }
    // setTimeout is capped near 24.8 days; a link code lives 10 minutes.
    window.setTimeout(expire, Math.max(0, expiresAt - Date.now()));
  });
})();
