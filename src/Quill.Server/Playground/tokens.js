// Generated text shown token by token, shaded by probability, with a tooltip of the top alternatives; not the request or the stream.

/** @typedef {{token: string, logprob: number, top: {token: string, logprob: number}[]}} TokenInfo */

/** Token infos from a chunk's `logprobs`, in either shape: legacy completions (`tokens`, `token_logprobs`,
 *  `top_logprobs` maps) or chat (`content: [{token, logprob, top_logprobs: [{token, logprob}]}]`). */
export function tokenInfos(logprobs) {
  if (!logprobs) return [];
  if (Array.isArray(logprobs.content)) {
    return logprobs.content.map(c => ({
      token: c.token ?? '',
      logprob: c.logprob ?? NaN,
      top: (c.top_logprobs ?? []).map(t => ({ token: t.token ?? '', logprob: t.logprob ?? NaN })),
    }));
  }
  if (Array.isArray(logprobs.tokens)) {
    return logprobs.tokens.map((token, i) => ({
      token: token ?? '',
      logprob: logprobs.token_logprobs?.[i] ?? NaN,
      top: Object.entries(logprobs.top_logprobs?.[i] ?? {}).map(([t, lp]) => ({ token: t, logprob: lp }))
        .sort((a, b) => b.logprob - a.logprob),
    }));
  }
  return [];
}

/** A light background from red (unlikely) through yellow to green (likely), readable under dark text. */
export function probabilityColor(p) {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0));
  return `hsl(${Math.round(clamped * 120)} 75% 84%)`;
}

/** A token written so its whitespace can be seen: space as ·, newline as ↵, tab as →, other controls as \xNN. */
export function visibleToken(token) {
  return token.replace(/[\s\x00-\x1f]/g, ch => {
    switch (ch) {
      case ' ': return '\u00b7';
      case '\n': return '\u21b5';
      case '\r': return '\u240d';
      case '\t': return '\u2192';
      default: return ch.charCodeAt(0) < 0x20 ? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch;
    }
  });
}

export function percent(logprob) {
  if (!Number.isFinite(logprob)) return '—';
  const p = Math.exp(logprob) * 100;
  return p >= 99.995 ? '100%' : p >= 0.01 ? `${p.toFixed(2)}%` : `${p.toExponential(1)}%`;
}

/**
 * Appends streamed text to a container. With probabilities on, the text is matched against the chunk tokens:
 * each token whose text arrives whole gets its own span; text that does not split along the tokens (a UTF-8
 * character cut across tokens, text held back for a stop sequence) becomes one span carrying all its tokens.
 */
export class TokenStream {
  /** @param {HTMLElement} container @param {boolean} showProbabilities */
  constructor(container, showProbabilities) {
    this.container = container;
    this.showProbabilities = showProbabilities;
    /** @type {TokenInfo[]} */ this.pendingTokens = [];
    this.pendingText = '';
    this.text = '';
    this.tokenCount = 0;
  }

  /** Adds a chunk's text and the tokens it reported (either may be empty). */
  push(text, tokens) {
    this.text += text;
    this.tokenCount += tokens.length;
    if (!this.showProbabilities) {
      this.#appendPlain(text);
      return;
    }
    this.pendingTokens.push(...tokens);
    this.pendingText += text;
    this.#drain(false);
  }

  /** Writes whatever text is still waiting for its tokens (tokens with no text, e.g. a matched stop, are dropped). */
  finish() {
    if (this.showProbabilities) this.#drain(true);
  }

  #drain(final) {
    while (this.pendingText.length > 0) {
      const head = this.pendingTokens[0];
      if (head && head.token.length > 0 && this.pendingText.startsWith(head.token)) {
        this.pendingTokens.shift();
        this.pendingText = this.pendingText.slice(head.token.length);
        this.#appendToken(head.token, [head]);
        continue;
      }
      if (head && head.token.length === 0) {
        this.pendingTokens.shift();
        continue;
      }
      // Text that may still complete the head token: wait for more, unless the stream is over.
      if (!final && head && head.token.startsWith(this.pendingText)) return;
      // No tokens to match (the server sent no logprobs for it): show the text as it is.
      if (!head) {
        this.#appendPlain(this.pendingText);
        this.pendingText = '';
        return;
      }
      this.#appendToken(this.pendingText, this.pendingTokens.splice(0));
      this.pendingText = '';
    }
    if (final) this.pendingTokens = [];
  }

  #appendPlain(text) {
    const last = this.container.lastChild;
    if (last && last.nodeType === Node.TEXT_NODE) last.appendData(text);
    else this.container.append(text);
  }

  #appendToken(text, infos) {
    const span = document.createElement('span');
    span.className = 'token';
    const first = infos[0];
    const p = first ? Math.exp(first.logprob) : NaN;
    if (Number.isFinite(p)) {
      span.style.backgroundColor = probabilityColor(p);
      span.dataset.probability = p.toFixed(4);
    }
    tokenData.set(span, infos);
    // Newlines keep their line break and gain a faint ↵ so a newline token can be seen and hovered.
    const parts = text.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) {
        const mark = document.createElement('span');
        mark.className = 'newline-mark';
        mark.setAttribute('aria-hidden', 'true');
        mark.textContent = '\u21b5';
        span.append(mark, '\n');
      }
      if (part) appendVisibleControls(span, part);
    });
    if (/^\s+$/.test(text) && !text.includes('\n')) span.classList.add('whitespace');
    this.container.append(span);
  }
}

/** Appends text with C0 control characters other than tab (which render as empty boxes) written as faint \xNN. */
function appendVisibleControls(span, text) {
  const pieces = text.split(/([\x00-\x08\x0b-\x1f\x7f])/);
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) {
      if (piece) span.append(piece);
      return;
    }
    const mark = document.createElement('span');
    mark.className = 'control-mark';
    mark.textContent = `\\x${piece.charCodeAt(0).toString(16).padStart(2, '0')}`;
    span.append(mark);
  });
}

/** @type {WeakMap<Element, TokenInfo[]>} the tokens behind each rendered span. */
const tokenData = new WeakMap();

/**
 * Shows the tooltip for whichever `.token` span the pointer is over (one listener for the whole page).
 * @param {HTMLElement} tooltip
 */
export function attachTokenTooltip(tooltip) {
  let current = null;
  document.addEventListener('mouseover', e => {
    const span = e.target instanceof Element ? e.target.closest('.token') : null;
    if (span === current) return;
    current = span;
    if (!span || !tokenData.has(span)) {
      tooltip.hidden = true;
      return;
    }
    fillTooltip(tooltip, tokenData.get(span));
    tooltip.hidden = false;
    placeTooltip(tooltip, span);
  });
  const hide = () => { tooltip.hidden = true; current = null; };
  document.addEventListener('scroll', hide, true);
  document.documentElement.addEventListener('mouseleave', hide);
  document.addEventListener('keydown', e => { if (e.key === 'Escape') hide(); });
}

function fillTooltip(tooltip, infos) {
  tooltip.replaceChildren();
  infos.forEach((info, index) => {
    if (index > 0) tooltip.append(document.createElement('hr'));
    const head = document.createElement('div');
    head.className = 'tip-head';
    const tok = document.createElement('code');
    tok.textContent = visibleToken(info.token);
    const prob = document.createElement('strong');
    prob.className = 'tip-probability';
    prob.textContent = percent(info.logprob);
    const lp = document.createElement('span');
    lp.className = 'tip-logprob';
    lp.textContent = Number.isFinite(info.logprob) ? `logprob ${info.logprob.toFixed(3)}` : '';
    head.append(tok, prob, lp);
    tooltip.append(head);
    if (info.top.length === 0) return;
    const list = document.createElement('ol');
    list.className = 'tip-alternatives';
    list.setAttribute('aria-label', 'Top alternatives');
    for (const alt of info.top) {
      const li = document.createElement('li');
      if (alt.token === info.token) li.className = 'chosen';
      const code = document.createElement('code');
      code.textContent = visibleToken(alt.token);
      const bar = document.createElement('span');
      bar.className = 'bar';
      const fill = document.createElement('span');
      fill.style.width = `${Math.max(1, Math.exp(alt.logprob) * 100)}%`;
      fill.style.backgroundColor = probabilityColor(Math.exp(alt.logprob));
      bar.append(fill);
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = percent(alt.logprob);
      li.append(code, bar, value);
      list.append(li);
    }
    tooltip.append(list);
  });
}

function placeTooltip(tooltip, span) {
  const r = span.getBoundingClientRect();
  const t = tooltip.getBoundingClientRect();
  const margin = 8;
  let left = Math.min(r.left, window.innerWidth - t.width - margin);
  let top = r.bottom + 6;
  if (top + t.height > window.innerHeight - margin) top = Math.max(margin, r.top - t.height - 6);
  tooltip.style.left = `${Math.max(margin, left)}px`;
  tooltip.style.top = `${top}px`;
}
