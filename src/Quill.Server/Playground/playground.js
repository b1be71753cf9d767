// The playground's wiring: settings panel, modes, running and stopping a streamed request, View code; no HTTP details (api.js).
import { ApiError, chatBody, completionBody, listModels, streamRequest } from './api.js';
import { csharpChat, csharpCompletion, curlCommand } from './code.js';
import { TokenStream, attachTokenTooltip, tokenInfos } from './tokens.js';

const $ = id => document.getElementById(id);
const KeyStorage = 'quill.playground.apiKey';
const ModelStorage = 'quill.playground.model';
const MaxStopSequences = 4;
/** Model ids that look like embedding models: listed apart, since they cannot complete text. */
const EmbeddingLike = /embed|minilm|bge|e5-|gte-|bert/i;

const state = {
  mode: 'complete',
  stop: [],
  /** @type {{role: string, content: string}[]} the chat history (user and assistant turns; the system box is separate). */
  messages: [],
  /** @type {AbortController|null} */ running: null,
  lastCompletion: '',
};

// ---------- settings ----------

/** Keeps a range slider and its number box in step, clamped to the slider's bounds. */
function pairSlider(rangeId, numberId) {
  const range = $(rangeId);
  const number = $(numberId);
  range.addEventListener('input', () => { number.value = range.value; });
  number.addEventListener('change', () => {
    const v = Number(number.value);
    if (!Number.isFinite(v) || number.value === '') { number.value = range.value; return; }
    const clamped = Math.min(Number(range.max), Math.max(Number(range.min), v));
    number.value = String(clamped);
    range.value = String(clamped);
  });
  number.addEventListener('input', () => {
    const v = Number(number.value);
    if (number.value !== '' && Number.isFinite(v) && v >= Number(range.min) && v <= Number(range.max)) range.value = String(v);
  });
}

function settings() {
  const seedText = $('seed').value.trim();
  return {
    model: $('model').value,
    temperature: Number($('temperature-value').value),
    maxTokens: Math.round(Number($('max-tokens-value').value)),
    topP: Number($('top-p-value').value),
    seed: seedText === '' || !Number.isFinite(Number(seedText)) ? null : Math.trunc(Number(seedText)),
    stop: [...state.stop],
    showProbabilities: $('show-probabilities').checked,
  };
}

function apiKey() {
  return $('api-key').value.trim();
}

/** Renders the stop-sequence chips before the input (escaped whitespace shown, e.g. \n). */
function renderStops() {
  const box = $('stop-chips');
  box.querySelectorAll('.chip').forEach(c => c.remove());
  const input = $('stop-input');
  state.stop.forEach((s, i) => {
    const chip = document.createElement('span');
    chip.className = 'chip';
    chip.dataset.testid = 'stop-chip';
    const text = document.createElement('span');
    text.textContent = JSON.stringify(s).slice(1, -1);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove stop sequence ${text.textContent}`);
    remove.addEventListener('click', () => { state.stop.splice(i, 1); renderStops(); input.focus(); });
    chip.append(text, remove);
    box.insertBefore(chip, input);
  });
  input.disabled = state.stop.length >= MaxStopSequences;
  input.placeholder = state.stop.length >= MaxStopSequences ? '' : 'e.g. \\n or ###';
}

/** Adds the typed stop sequence; `\n` and `\t` typed as two characters mean newline and tab. */
function addStop() {
  const input = $('stop-input');
  const raw = input.value;
  if (raw === '' || state.stop.length >= MaxStopSequences) return;
  const value = raw.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  if (!state.stop.includes(value)) state.stop.push(value);
  input.value = '';
  renderStops();
}

async function loadModels() {
  const select = $('model');
  const hint = $('model-hint');
  const previous = select.value || localStorage.getItem(ModelStorage);
  try {
    const models = await listModels(apiKey());
    select.replaceChildren();
    const generative = models.filter(m => !EmbeddingLike.test(m.id));
    const other = models.filter(m => EmbeddingLike.test(m.id));
    for (const m of generative) select.append(new Option(m.id, m.id));
    if (other.length > 0) {
      const group = document.createElement('optgroup');
      group.label = 'Embedding models (cannot complete)';
      for (const m of other) group.append(new Option(m.id, m.id));
      select.append(group);
    }
    if (previous && models.some(m => m.id === previous)) select.value = previous;
    const contextLength = models.find(m => m.id === select.value)?.context_length;
    if (Number.isInteger(contextLength) && contextLength > 0) setMaxTokensLimit(contextLength);
    hint.textContent = models.length === 0 ? 'The server lists no models.' : '';
    select.dataset.loaded = 'true';
    if (state.mode && !state.running) hideError();
  } catch (e) {
    hint.textContent = 'Could not list models.';
    showError(e.message);
  }
}

function setMaxTokensLimit(limit) {
  for (const id of ['max-tokens', 'max-tokens-value']) $(id).max = String(limit);
}

// ---------- modes ----------

function setMode(mode) {
  state.mode = mode;
  for (const tab of document.querySelectorAll('.modes [role=tab]')) {
    const selected = tab.dataset.mode === mode;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  $('panel-complete').hidden = mode !== 'complete';
  $('panel-chat').hidden = mode !== 'chat';
  $('insert').hidden = mode !== 'complete';
  hideError();
}

// ---------- errors and usage ----------

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

function hideError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

/** Tracks timing and token counts of one run for the line shown after it. */
class RunStats {
  constructor() {
    this.started = performance.now();
    this.firstToken = null;
    this.usage = null;
    this.finishReason = null;
  }

  text(countedTokens, stopped) {
    const seconds = (performance.now() - this.started) / 1000;
    const completion = this.usage?.completion_tokens ?? countedTokens;
    const parts = [];
    if (this.usage?.prompt_tokens !== undefined) parts.push(`${this.usage.prompt_tokens} prompt tokens`);
    parts.push(`${completion} completion tokens${this.usage ? '' : ' (counted)'}`);
    parts.push(`${seconds.toFixed(2)} s`);
    if (completion > 0 && seconds > 0) parts.push(`${(completion / seconds).toFixed(1)} tokens/s`);
    if (this.firstToken !== null) parts.push(`first token ${Math.round(this.firstToken - this.started)} ms`);
    if (stopped) parts.push('stopped');
    else if (this.finishReason) parts.push(`finish: ${this.finishReason}`);
    return parts.join(' · ');
  }
}

// ---------- running ----------

function setRunning(controller) {
  state.running = controller;
  const busy = controller !== null;
  $('submit').disabled = busy;
  $('stop').disabled = !busy;
  document.body.classList.toggle('busy', busy);
}

/** Streams one request into a TokenStream; returns whether it was stopped by the user. */
async function run(path, body, stream, stats, outputElement) {
  const controller = new AbortController();
  setRunning(controller);
  hideError();
  $('usage').textContent = 'Generating…';
  let chunks = 0;
  let stopped = false;
  try {
    await streamRequest(path, body, apiKey(), controller.signal, chunk => {
      if (chunk.usage) stats.usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        const text = choice.text ?? choice.delta?.content ?? '';
        const tokens = tokenInfos(choice.logprobs);
        if (text || tokens.length > 0) {
          if (stats.firstToken === null) stats.firstToken = performance.now();
          stream.push(text, tokens);
          chunks++;
          outputElement.dataset.chunks = String(chunks);
        }
        if (choice.finish_reason) stats.finishReason = choice.finish_reason;
      }
    });
  } catch (e) {
    if (e.name === 'AbortError') stopped = true;
    else showError(e instanceof ApiError ? e.message : `Error: ${e.message}`);
  } finally {
    stream.finish();
    setRunning(null);
    $('usage').textContent = stats.text(stream.tokenCount || chunks, stopped);
  }
  return stopped;
}

async function submitCompletion() {
  const output = $('completion');
  output.replaceChildren();
  output.dataset.chunks = '0';
  output.classList.toggle('probabilities', settings().showProbabilities);
  $('insert').disabled = true;
  const body = completionBody(settings(), $('prompt').value);
  const stream = new TokenStream(output, body.logprobs !== undefined);
  await run('v1/completions', body, stream, new RunStats(), output);
  state.lastCompletion = stream.text;
  $('insert').disabled = stream.text === '';
}

/** The messages sent for the next chat turn: the system box (when filled) and the history. */
function chatMessages() {
  const system = $('system').value.trim();
  return [...(system ? [{ role: 'system', content: system }] : []), ...state.messages];
}

function messageElement(role, content) {
  const li = document.createElement('li');
  li.className = `message ${role}`;
  li.dataset.role = role;
  li.dataset.testid = `message-${role}`;
  const label = document.createElement('span');
  label.className = 'role';
  label.textContent = role === 'user' ? 'User' : role === 'assistant' ? 'Assistant' : role;
  const body = document.createElement('div');
  body.className = 'content';
  body.textContent = content;
  li.append(label, body);
  return li;
}

async function submitChat() {
  const input = $('chat-input');
  const typed = input.value;
  if (typed.trim() !== '') {
    state.messages.push({ role: 'user', content: typed });
    $('conversation').append(messageElement('user', typed));
    input.value = '';
  }
  if (state.messages.length === 0 || state.messages.at(-1).role !== 'user') {
    showError('Enter a user message first.');
    return;
  }
  const s = settings();
  const body = chatBody(s, chatMessages());
  const item = messageElement('assistant', '');
  item.classList.add('streaming');
  const content = item.querySelector('.content');
  content.classList.toggle('probabilities', s.showProbabilities);
  content.dataset.chunks = '0';
  $('conversation').append(item);
  item.scrollIntoView({ block: 'end' });
  const stream = new TokenStream(content, s.showProbabilities);
  await run('v1/chat/completions', body, stream, new RunStats(), content);
  item.classList.remove('streaming');
  if (!$('error').hidden && stream.text === '') {
    // The turn failed: take the user's message back into the input so it can be sent again.
    item.remove();
    if (typed.trim() !== '') {
      state.messages.pop();
      $('conversation').lastElementChild?.remove();
      input.value = typed;
    }
    return;
  }
  state.messages.push({ role: 'assistant', content: stream.text });
}

async function submit() {
  if (state.running) return;
  if (!$('model').value) {
    showError('No model selected: the server listed none, or listing failed.');
    return;
  }
  if (state.mode === 'complete') await submitCompletion();
  else await submitChat();
}

function clearAll() {
  if (state.mode === 'complete') {
    $('completion').replaceChildren();
    $('completion').dataset.chunks = '0';
    $('insert').disabled = true;
    state.lastCompletion = '';
  } else {
    state.messages = [];
    $('conversation').replaceChildren();
  }
  $('usage').textContent = '';
  hideError();
}

// ---------- View code ----------

let codeLanguage = 'curl';

function codeText() {
  const base = new URL('.', location.href).href;
  const s = settings();
  const hasKey = apiKey() !== '';
  if (state.mode === 'complete') {
    const body = completionBody(s, $('prompt').value);
    return codeLanguage === 'curl' ? curlCommand(base, 'v1/completions', body, hasKey) : csharpCompletion(base, body, hasKey);
  }
  const pending = $('chat-input').value;
  const messages = [...chatMessages(), ...(pending.trim() ? [{ role: 'user', content: pending }] : [])];
  return codeLanguage === 'curl'
    ? curlCommand(base, 'v1/chat/completions', chatBody(s, messages), hasKey)
    : csharpChat(base, s, messages, hasKey);
}

function renderCode() {
  $('code-text').textContent = codeText();
  for (const tab of document.querySelectorAll('.code-tabs [role=tab]')) {
    const selected = tab.dataset.lang === codeLanguage;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  $('code-note').textContent = apiKey() ? 'The key is read from the QUILL_API_KEY environment variable.' : '';
}

async function copyCode() {
  const text = $('code-text').textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const selection = window.getSelection();
    const range = document.createRange();
    range.selectNodeContents($('code-text'));
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand('copy');
  }
  $('code-copy').textContent = 'Copied';
  setTimeout(() => { $('code-copy').textContent = 'Copy'; }, 1500);
}

/** Arrow keys move between the tabs of a tablist (WAI-ARIA tabs pattern). */
function arrowKeysOn(tablist, activate) {
  tablist.addEventListener('keydown', e => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const tabs = [...tablist.querySelectorAll('[role=tab]')];
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    activate(next);
  });
}

// ---------- wiring ----------

function wire() {
  pairSlider('temperature', 'temperature-value');
  pairSlider('max-tokens', 'max-tokens-value');
  pairSlider('top-p', 'top-p-value');

  for (const tab of document.querySelectorAll('.modes [role=tab]')) tab.addEventListener('click', () => setMode(tab.dataset.mode));
  arrowKeysOn(document.querySelector('.modes'), tab => setMode(tab.dataset.mode));

  $('stop-input').addEventListener('keydown', e => {
    if (e.key === 'Enter' || e.key === 'Tab' && e.target.value !== '') { e.preventDefault(); addStop(); }
    else if (e.key === 'Backspace' && e.target.value === '' && state.stop.length > 0) { state.stop.pop(); renderStops(); }
  });
  $('stop-input').addEventListener('blur', addStop);
  $('stop-chips').addEventListener('click', e => { if (e.target === $('stop-chips')) $('stop-input').focus(); });
  renderStops();

  const key = $('api-key');
  key.value = localStorage.getItem(KeyStorage) ?? '';
  key.addEventListener('change', () => {
    if (key.value.trim()) localStorage.setItem(KeyStorage, key.value.trim());
    else localStorage.removeItem(KeyStorage);
    loadModels();
  });
  $('model').addEventListener('change', () => localStorage.setItem(ModelStorage, $('model').value));

  $('submit').addEventListener('click', submit);
  $('stop').addEventListener('click', () => state.running?.abort());
  $('clear').addEventListener('click', clearAll);
  $('insert').addEventListener('click', () => {
    const prompt = $('prompt');
    prompt.value += state.lastCompletion;
    $('completion').replaceChildren();
    $('insert').disabled = true;
    prompt.focus();
    prompt.setSelectionRange(prompt.value.length, prompt.value.length);
  });
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  $('chat-input').addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  $('show-probabilities').addEventListener('change', () => {
    document.querySelector('.legend').hidden = !$('show-probabilities').checked;
  });

  const dialog = $('code-dialog');
  $('view-code').addEventListener('click', () => { renderCode(); dialog.showModal(); });
  $('code-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', e => { if (e.target === dialog) dialog.close(); });
  for (const tab of document.querySelectorAll('.code-tabs [role=tab]')) {
    tab.addEventListener('click', () => { codeLanguage = tab.dataset.lang; renderCode(); });
  }
  arrowKeysOn(document.querySelector('.code-tabs'), tab => { codeLanguage = tab.dataset.lang; renderCode(); });
  $('code-copy').addEventListener('click', copyCode);

  attachTokenTooltip($('token-tooltip'));
  setMode('complete');
  document.body.dataset.ready = 'true';
  loadModels();
}

wire();
