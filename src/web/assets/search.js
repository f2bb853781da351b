// Autocomplete for the site search box: an ARIA combobox over /api/autocomplete.
// Without JavaScript the form still submits to /search.
const input = document.getElementById('site-search');
const list = document.getElementById('site-search-list');
let items = [];
let active = -1;
let timer;

function close() {
  list.hidden = true;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
  active = -1;
}

function render() {
  list.replaceChildren(
    ...items.map((item, i) => {
      const li = document.createElement('li');
      li.id = `site-search-option-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === active));
      li.textContent = item.label;
      if (item.matched !== item.label) {
        const m = document.createElement('span');
        m.className = 'kind';
        m.textContent = item.matched;
        li.append(m);
      }
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = item.types.map((t) => t.replace(/^.*[#/]/, '')).join(', ');
      li.append(kind);
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        window.location.href = item.href;
      });
      return li;
    }),
  );
  list.hidden = items.length === 0;
  input.setAttribute('aria-expanded', String(items.length > 0));
  if (active >= 0) input.setAttribute('aria-activedescendant', `site-search-option-${active}`);
}

async function update() {
  const q = input.value.trim();
  if (q === '') {
    items = [];
    close();
    return;
  }
  const res = await fetch(`/api/autocomplete?q=${encodeURIComponent(q)}&limit=10`);
  if (!res.ok || input.value.trim() !== q) return;
  items = await res.json();
  active = -1;
  render();
}

if (input && list) {
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(update, 80);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      render();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      window.location.href = items[active].href;
    } else if (e.key === 'Escape') {
      close();
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}
