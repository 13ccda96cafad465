// The web UI's progressive enhancement: Copy buttons, the repository filter that updates as you type, and times
// in the reader's own zone. Every page works without it; each part does nothing when its elements are absent.

/** How long a Copy button says "Copied". */
const COPIED_FOR_MS = 2000;
/** Typing pauses this long before the filter asks the server. */
const FILTER_DELAY_MS = 200;
/** Pagination cursors: a changed filter starts again at the first page. */
const PAGINATION_FIELDS: ReadonlySet<string> = new Set(['last']);
const COPY_BUTTONS = 'button.copy[data-copy]';

function start(): void {
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>(COPY_BUTTONS) : null;
    if (button !== null) void copyFrom(button);
  });
  for (const form of document.querySelectorAll<HTMLFormElement>('form.filter[data-live-filter]')) setUpLiveFilter(form);
  enhance(document);
}

/** What applies to any part of the page: at the start, and again to the results the filter swaps in. */
function enhance(root: ParentNode): void {
  const buttons = root.querySelectorAll<HTMLButtonElement>(COPY_BUTTONS);
  // The region exists before its first message: one created and filled at once is often not read out.
  if (buttons.length > 0) liveRegion();
  for (const button of buttons) button.hidden = false;
  localizeTimes(root);
}

// --- Copy buttons ---------------------------------------------------------------------------------------------

const copiedButtons = new WeakMap<HTMLButtonElement, { text: string; timer: number }>();

async function copyFrom(button: HTMLButtonElement): Promise<void> {
  const target = document.getElementById(button.dataset['copy'] ?? '');
  const text = target?.textContent?.trim() ?? '';
  if (text !== '' && (await writeClipboard(text))) {
    showCopied(button);
    announce('Copied to the clipboard');
    return;
  }
  // Selected, so that copying by hand is one keystroke.
  if (target) window.getSelection()?.selectAllChildren(target);
  announce('Copy failed: select the text and copy it by hand');
}

async function writeClipboard(text: string): Promise<boolean> {
  try {
    // Absent outside a secure context (a registry on plain HTTP); rejects when the browser refuses permission.
    if (typeof navigator.clipboard?.writeText !== 'function') return copyWithTextarea(text);
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyWithTextarea(text);
  }
}

/** The old way, for browsers without the Clipboard API: select a hidden textarea's text and copy it. */
function copyWithTextarea(text: string): boolean {
  const focused = document.activeElement;
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.className = 'visually-hidden';
  area.setAttribute('aria-hidden', 'true');
  document.body.append(area);
  let copied = false;
  try {
    area.focus({ preventScroll: true });
    area.select();
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  if (focused instanceof HTMLElement) focused.focus({ preventScroll: true });
  return copied;
}

function showCopied(button: HTMLButtonElement): void {
  const shown = copiedButtons.get(button);
  if (shown !== undefined) window.clearTimeout(shown.timer);
  const text = shown?.text ?? button.textContent ?? 'Copy';
  button.textContent = 'Copied';
  const timer = window.setTimeout(() => {
    button.textContent = text;
    copiedButtons.delete(button);
  }, COPIED_FOR_MS);
  copiedButtons.set(button, { text, timer });
}

/** The page's polite live region (#live-status), made when the page has none. */
function liveRegion(): HTMLElement {
  const existing = document.getElementById('live-status');
  if (existing !== null) return existing;
  const region = document.createElement('div');
  region.id = 'live-status';
  region.className = 'visually-hidden';
  region.setAttribute('role', 'status');
  region.setAttribute('aria-live', 'polite');
  (document.querySelector('main') ?? document.body).append(region);
  return region;
}

function announce(message: string): void {
  const region = liveRegion();
  // Emptied first and filled a moment later, so the same message twice in a row is read twice.
  region.textContent = '';
  window.setTimeout(() => {
    region.textContent = message;
  }, 50);
}

// --- Filter as you type ---------------------------------------------------------------------------------------

function setUpLiveFilter(form: HTMLFormElement): void {
  const results = document.getElementById('results');
  const status = document.getElementById('results-status');
  if (results === null || status === null) return;
  let timer: number | undefined;
  let inFlight: AbortController | undefined;
  const cancel = (): void => {
    window.clearTimeout(timer);
    inFlight?.abort();
    inFlight = undefined;
  };
  form.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      cancel();
      const controller = new AbortController();
      inFlight = controller;
      void refreshResults(filterUrl(form), results, status, controller.signal).finally(() => {
        if (inFlight === controller) inFlight = undefined;
      });
    }, FILTER_DELAY_MS);
  });
  // Enter submits the form as it does without the script; nothing still pending may change the page after it.
  form.addEventListener('submit', cancel);
}

/** Where the form would go when submitted, less an empty query and the pagination cursor. */
function filterUrl(form: HTMLFormElement): URL {
  const url = new URL(form.action);
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value !== 'string' || PAGINATION_FIELDS.has(name) || (name === 'q' && value.trim() === '')) continue;
    query.append(name, value);
  }
  url.search = query.toString();
  url.hash = '';
  return url;
}

/** Replaces #results and #results-status with the server's for `url`; on failure keeps the list and says why. */
async function refreshResults(url: URL, results: HTMLElement, status: HTMLElement, signal: AbortSignal): Promise<void> {
  try {
    const response = await fetch(url.href, { credentials: 'same-origin', headers: { Accept: 'text/html' }, signal });
    if (!response.ok) throw new Error(`the registry answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.getElementById('results');
    // The login page, say, when the session ended meanwhile.
    if (fresh === null) throw new Error('the answer held no list (reload the page)');
    if (signal.aborted) return;
    for (const script of fresh.querySelectorAll('script')) script.remove();
    results.replaceChildren(...Array.from(fresh.childNodes, (node) => document.importNode(node, true)));
    status.textContent = page.getElementById('results-status')?.textContent?.trim() ?? '';
    history.replaceState(history.state, '', url.href);
    enhance(results);
  } catch (error) {
    if (signal.aborted) return;
    const reason = error instanceof TypeError ? 'the registry did not answer' : error instanceof Error ? error.message : String(error);
    status.textContent = `The list could not be filtered: ${reason}. It is unchanged; press Enter to filter.`;
  }
}

// --- Local times ----------------------------------------------------------------------------------------------

/** Each `<time class="local">` in the reader's zone and locale; the server's UTC text stays in its tooltip. */
function localizeTimes(root: ParentNode): void {
  const times = root.querySelectorAll<HTMLTimeElement>('time.local[datetime]');
  if (times.length === 0) return;
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const time of times) {
    const date = new Date(time.dateTime);
    if (Number.isNaN(date.getTime())) continue;
    if (time.title === '') time.title = time.textContent?.trim() ?? '';
    time.textContent = format.format(date);
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();

// A module, so that nothing here is a global of the page (esbuild wraps it in a function anyway).
export {};
