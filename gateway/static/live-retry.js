// What /track and /reports share about live updates that fail to start: which failures
// are worth asking again for, and how long to wait before each new try. Loaded before
// each page's own script (a file of its own: the pages' CSP allows no inline script).
//
// A subscription whose start reads a system that is down, slow or rate-limited gets an
// `error` message and is over; the same subscription asked again later may well start.
// One that names an unknown order, or a token that may not follow it, would only fail
// again: it is shown and left alone.
"use strict";

window.liveRetry = (function () {
  // The codes of failures that pass (core/errors.py: UpstreamUnavailable, which a breaker
  // that is open raises too, UpstreamTimeout, UpstreamRateLimited; schema/error_codes.py:
  // RATE_LIMITED, the gateway's own limit).
  const TRANSIENT_CODES = new Set([
    "UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT", "UPSTREAM_RATE_LIMITED", "RATE_LIMITED",
  ]);
  const FIRST_DELAY_MS = 500;
  const MAX_DELAY_MS = 15000;

  function codeOf(error) {
    return error && error.extensions && error.extensions.code;
  }

  // True when every error is one that passes: one permanent error among them is enough
  // for the next try to fail the same way.
  function isTransient(errors) {
    return Array.isArray(errors) && errors.length > 0
      && errors.every((error) => TRANSIENT_CODES.has(codeOf(error)));
  }

  // The gateway's rate limit says when its window ends (extensions.retryAfter, seconds).
  function hintedDelayMs(errors) {
    let seconds = 0;
    for (const error of errors) {
      const hint = Number(error && error.extensions && error.extensions.retryAfter);
      if (hint > seconds) seconds = hint;
    }
    return seconds * 1000;
  }

  // One per subscription: the delays double from FIRST_DELAY_MS to MAX_DELAY_MS, each drawn
  // between half and all of its step so that the pages that lost the same system do not
  // all ask again at the same moment. `counter` (an element) counts the tries in its
  // data-live-retries, for people and for tests.
  function backoff(counter) {
    let attempts = 0;
    let timer = null;
    return {
      // `again` runs after the next delay (the caller checks it is still wanted then).
      schedule(errors, again) {
        clearTimeout(timer);
        const step = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempts);
        const delay = Math.max(step / 2 + Math.random() * step / 2, hintedDelayMs(errors));
        attempts += 1;
        timer = setTimeout(() => {
          timer = null;
          if (counter) counter.dataset.liveRetries = String(Number(counter.dataset.liveRetries || 0) + 1);
          again();
        }, delay);
        return delay;
      },
      // An update arrived: the system is back, the next failure starts from the first delay.
      reset() {
        attempts = 0;
      },
      cancel() {
        clearTimeout(timer);
        timer = null;
      },
      get pending() {
        return timer !== null;
      },
    };
  }

  function retryingMessage(message) {
    return message + " Live updates are retrying.";
  }

  return { TRANSIENT_CODES, FIRST_DELAY_MS, isTransient, backoff, retryingMessage };
})();
