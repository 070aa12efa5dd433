/**
 * Small progressive enhancements of the console's server-rendered pages. Every page works without them.
 *
 *   select[data-area-filter]   a role picker: the area picker it names shows only the areas of that role's level
 *   form[data-confirm]         asks before submitting (revoking a device)
 *   button[data-copy]          copies an enrollment link to the clipboard
 */

for (const role of document.querySelectorAll('select[data-area-filter]')) {
  const area = /** @type {HTMLSelectElement | null} */ (document.getElementById(role.dataset.areaFilter ?? ''));
  if (!area) continue;
  const sync = () => {
    const level = role.selectedOptions[0]?.dataset.level ?? '';
    for (const option of area.options) {
      const fits = option.value === '' ? level === '' : option.dataset.level === level;
      option.hidden = !fits;
      option.disabled = !fits;
    }
    if (area.selectedOptions[0]?.disabled) {
      const first = [...area.options].find((option) => !option.disabled);
      if (first) area.value = first.value;
    }
  };
  role.addEventListener('change', sync);
  sync();
}

for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm ?? '')) event.preventDefault();
  });
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(button.dataset.copy ?? '');
    button.textContent = button.dataset.copied ?? '';
  });
}
