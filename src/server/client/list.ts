/**
 * The runs page's script (bundled into dist/public/list.js): every 2 s, the table's rows again
 * from the server (/fragments/runs, the same filters), keeping the runs ticked for comparison.
 */
const main = document.getElementById("main") as HTMLElement;
const body = document.getElementById("runs") as HTMLElement;
const query = main.dataset.query ?? "";

async function refresh(): Promise<void> {
  try {
    const r = await fetch(`/fragments/runs${query ? `?${query}` : ""}`);
    if (!r.ok) return;
    const ticked = new Set([...body.querySelectorAll<HTMLInputElement>("input[name=ids]:checked")].map((i) => i.value));
    body.innerHTML = await r.text();
    for (const i of body.querySelectorAll<HTMLInputElement>("input[name=ids]")) i.checked = ticked.has(i.value);
  } catch {
    // the server is away: try again at the next tick
  }
}

setInterval(() => void refresh(), 2000);
