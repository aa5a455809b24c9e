// The workbench's shortcuts are HTML access keys, which work without JavaScript but under a
// different chord in each browser (Alt in Chromium on Linux, Alt+Shift in Firefox, Ctrl+Option
// in Safari). This gives them the one chord the page lists, Alt+Shift+key, everywhere: it does
// what the browser's access key does (focus the element; press it if it is a link or button).
document.addEventListener("keydown", (event) => {
  if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
  const letter = /^Key([A-Z])$/.exec(event.code);
  if (!letter) return;
  const target = document.querySelector(`[accesskey="${letter[1].toLowerCase()}"]`);
  if (!target || target.disabled) return;
  event.preventDefault();
  target.focus();
  if (target.matches("a, button")) target.click();
});
