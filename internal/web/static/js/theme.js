// The colour theme: light, dark or the system's, remembered in this
// browser (localStorage). A classic script loaded in <head> before the
// style sheet applies, so the first paint already has the chosen colours;
// app.css keys its palette on <html data-theme="light|dark">.
//
// Any page with a <select id="theme-choice"> gets the switch. Charts
// listen for the "pb-theme" event on document to re-read the colours.
(() => {
  const KEY = 'pb-theme';
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const stored = () => {
    try {
      const v = localStorage.getItem(KEY);
      return v === 'light' || v === 'dark' ? v : 'system';
    } catch {
      return 'system'; // storage disabled: follow the system
    }
  };
  let choice = stored();

  const apply = () => {
    const root = document.documentElement;
    const theme = choice === 'dark' || (choice === 'system' && media.matches) ? 'dark' : 'light';
    root.dataset.themeChoice = choice;
    const sel = document.getElementById('theme-choice');
    if (sel) sel.value = choice;
    if (root.dataset.theme === theme) return;
    root.dataset.theme = theme;
    document.dispatchEvent(new CustomEvent('pb-theme', { detail: theme }));
  };

  apply();
  media.addEventListener('change', apply);
  // Another tab changed it.
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) {
      choice = stored();
      apply();
    }
  });
  document.addEventListener('DOMContentLoaded', () => {
    const sel = document.getElementById('theme-choice');
    if (!sel) return;
    sel.value = choice;
    sel.addEventListener('change', () => {
      choice = sel.value;
      try {
        if (choice === 'system') localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, choice);
      } catch {
        // not remembered, but applied for this page
      }
      apply();
    });
  });
})();
