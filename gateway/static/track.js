// Order tracking page: follows one order through the orderTrackingUpdated subscription.
//
// Transport: a WebSocket speaking graphql-transport-ws (the token travels in the
// connection_init message, never in a URL); where no WebSocket gets through, Server-Sent
// Events from /graphql/stream read with fetch() (so the token is still a header).
// ?transport=sse picks the event stream directly. A lost connection is opened again
// with backoff; the subscription sends the current state first, so nothing is missed.
// A subscription that fails to start because a system is down for a moment is asked for
// again, on the same connection, with backoff (live-retry.js); any other failure stops it.
//
// State for people and for tests: <main id="app"> carries data-state (idle, connecting,
// live, reconnecting, retrying, error), data-stage, data-updates, data-transport and
// data-live-retries (subscriptions asked for again).
"use strict";

(function () {
  const SUBSCRIPTION = `subscription Track($orderId: ID!) {
    orderTrackingUpdated(orderId: $orderId) {
      stage progress estimatedDelivery
      order { id status }
      timeline { at system label }
    }
  }`;
  const MY_ORDERS = `query MyOrders($id: ID!) {
    customer(id: $id) { name orders(first: 6) { id status } }
  }`;
  const STAGE_LABELS = {
    ORDERED: "Ordered",
    IN_PRODUCTION: "In production",
    READY_TO_SHIP: "Ready to ship",
    IN_TRANSIT: "On its way",
    DELIVERED: "Delivered",
    CANCELLED: "Cancelled",
  };
  const STEPS = ["ORDERED", "IN_PRODUCTION", "READY_TO_SHIP", "IN_TRANSIT", "DELIVERED"];
  const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10000];

  const $ = (id) => document.getElementById(id);
  const app = $("app");
  const params = new URLSearchParams(location.search);
  const forcedTransport = params.get("transport");
  let session = null; // the subscription being followed: {orderId, token, connection, ...}

  const dateTime = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const dateOnly = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
  });

  function setState(state, text) {
    app.dataset.state = state;
    const pill = $("live");
    pill.textContent = text || state;
    pill.className = "pill" + (state === "live" ? " live" : state === "error" || state === "retrying" ? " off" : "");
  }

  function showError(message) {
    const box = $("error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  function messageOf(errors) {
    const first = (errors && errors[0]) || {};
    const code = first.extensions && first.extensions.code;
    if (code === "FORBIDDEN") return "This token may not follow that order.";
    // Also another customer's order: to a customer's token it does not exist.
    if (code === "NOT_FOUND") return "There is no such order for this token.";
    if (code === "UNAUTHENTICATED") return "The token was refused: " + (first.message || "");
    return first.message || "Something went wrong.";
  }

  function render(tracking) {
    session.updates += 1;
    app.dataset.updates = String(Number(app.dataset.updates) + 1);
    app.dataset.stage = tracking.stage;
    $("result").hidden = false;
    $("order-title").textContent = "Order " + tracking.order.id;
    $("stage").textContent = STAGE_LABELS[tracking.stage] || tracking.stage;
    const percent = Math.round(Math.max(0, Math.min(1, tracking.progress)) * 100);
    $("progress-bar").style.width = percent + "%";
    $("progress").setAttribute("aria-valuenow", String(percent));
    const reached = STEPS.indexOf(tracking.stage);
    for (const step of document.querySelectorAll("#steps li")) {
      step.classList.toggle("done", reached >= STEPS.indexOf(step.dataset.step));
    }
    $("eta").textContent = tracking.estimatedDelivery
      ? dateOnly.format(new Date(tracking.estimatedDelivery))
      : "not planned yet";
    $("status").textContent = tracking.order.status.toLowerCase().replace(/_/g, " ");
    $("updated").textContent = dateTime.format(new Date());
    const list = $("timeline");
    list.replaceChildren();
    for (const step of tracking.timeline.slice().reverse()) {
      const item = document.createElement("li");
      const system = document.createElement("span");
      system.className = "system";
      system.textContent = step.system;
      const body = document.createElement("div");
      const when = document.createElement("time");
      when.dateTime = step.at;
      when.textContent = dateTime.format(new Date(step.at));
      body.append(when, document.createTextNode(step.label));
      item.append(system, body);
      list.append(item);
    }
  }

  // --- transports: each calls on.open(), on.result(payload), on.failed(errors) (the
  // subscription did not start; resubscribe() asks again), on.fatal(errors), on.lost()

  function viaWebSocket(orderId, token, on) {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/graphql", "graphql-transport-ws");
    let acknowledged = false;
    let closing = false;
    const send = (message) => socket.send(JSON.stringify(message));
    const subscribe = () => {
      send({ id: "track", type: "subscribe", payload: { query: SUBSCRIPTION, variables: { orderId } } });
    };
    socket.onopen = () => {
      send({ type: "connection_init", payload: token ? { Authorization: "Bearer " + token } : {} });
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        acknowledged = true;
        subscribe();
        on.open("websocket");
      } else if (message.type === "next") {
        on.result(message.payload);
      } else if (message.type === "error") {
        on.failed(message.payload);
      } else if (message.type === "complete") {
        on.lost(true);
      } else if (message.type === "ping") {
        send({ type: "pong" });
      }
    };
    socket.onclose = (event) => {
      if (closing) return;
      if (event.code === 4403 || event.code === 4401) {
        on.fatal([{ message: event.reason || "refused", extensions: { code: "UNAUTHENTICATED" } }]);
      } else {
        on.lost(acknowledged);
      }
    };
    return {
      close() { closing = true; socket.close(1000); },
      // The same id again: the failed subscription is over, the socket is not.
      resubscribe() { if (acknowledged && !closing && socket.readyState === WebSocket.OPEN) subscribe(); },
    };
  }

  function viaEventStream(orderId, token, on) {
    let controller = null;
    let closed = false;
    const query = new URLSearchParams({ query: SUBSCRIPTION, variables: JSON.stringify({ orderId }) });
    const headers = { Accept: "text/event-stream" };
    if (token) headers.Authorization = "Bearer " + token;

    function dispatch(block) {
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (event === "next") on.result(JSON.parse(data.join("\n")));
    }

    function start() {
      controller = new AbortController();
      fetch("/graphql/stream?" + query, { headers, signal: controller.signal, cache: "no-store" })
        .then(async (response) => {
          if (!response.ok) {
            // A refusal before the first event (gateway/sse.py): the stream never started.
            const body = await response.json().catch(() => ({}));
            on.failed(body.errors || [{ message: "HTTP " + response.status }]);
            return;
          }
          on.open("sse");
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
          }
          on.lost(true);
        })
        .catch((error) => {
          if (error.name !== "AbortError") on.lost(false);
        });
    }

    start();
    return {
      close() { closed = true; controller.abort(); },
      resubscribe() { if (!closed) start(); },
    };
  }

  // --- following one order

  function connect(current) {
    const transport = current.transport;
    const open = transport === "sse" ? viaEventStream : viaWebSocket;
    setState(current.attempts ? "reconnecting" : "connecting");
    current.connection = open(current.orderId, current.token, {
      open(name) {
        if (session !== current) return;
        app.dataset.transport = name;
        current.attempts = 0;
        current.liveText = "live · " + (name === "sse" ? "event stream" : "websocket");
        setState("live", current.liveText);
      },
      failed(errors) {
        if (session !== current) return;
        if (!liveRetry.isTransient(errors)) {
          this.fatal(errors);
          return;
        }
        const connection = current.connection;
        setState("retrying", "retrying…");
        showError(liveRetry.retryingMessage(messageOf(errors)));
        current.retry.schedule(errors, () => {
          // Not for a connection given up meanwhile: its successor subscribes by itself.
          if (session === current && current.connection === connection) connection.resubscribe();
        });
      },
      result(payload) {
        if (session !== current) return;
        const tracking = payload.data && payload.data.orderTrackingUpdated;
        if (tracking) {
          current.retry.reset();
          if (app.dataset.state === "retrying") setState("live", current.liveText);
          showError("");
          render(tracking);
        } else if (payload.errors) {
          showError(messageOf(payload.errors));
        }
      },
      fatal(errors) {
        if (session !== current) return;
        current.retry.cancel();
        current.connection.close();
        setState("error", "stopped");
        showError(messageOf(errors));
      },
      lost(wasOpen) {
        if (session !== current) return;
        // A WebSocket that never opened: this network lets no WebSocket through.
        if (!wasOpen && transport === "websocket" && !forcedTransport && !current.fellBack) {
          current.fellBack = true;
          current.transport = "sse";
          connect(current);
          return;
        }
        current.retry.cancel();
        const delay = RECONNECT_DELAYS_MS[Math.min(current.attempts, RECONNECT_DELAYS_MS.length - 1)];
        current.attempts += 1;
        setState("reconnecting", "reconnecting…");
        current.timer = setTimeout(() => { if (session === current) connect(current); }, delay);
      },
    });
  }

  function track(orderId, token) {
    if (session) {
      clearTimeout(session.timer);
      session.retry.cancel();
      session.connection && session.connection.close();
    }
    showError("");
    app.dataset.updates = "0";
    app.dataset.stage = "";
    $("result").hidden = true;
    const url = new URL(location.href);
    url.searchParams.set("order", orderId);
    history.replaceState(null, "", url.pathname + url.search); // never the token
    session = {
      orderId, token, attempts: 0, updates: 0, fellBack: false, timer: null, connection: null,
      transport: forcedTransport === "sse" ? "sse" : "websocket", liveText: "live",
      retry: liveRetry.backoff(app),
    };
    connect(session);
  }

  // --- the form, the demo token and the customer's own orders

  async function showMyOrders(customerId, token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch("/graphql", {
      method: "POST", headers,
      body: JSON.stringify({ query: MY_ORDERS, variables: { id: customerId } }),
    });
    const body = await response.json();
    const customer = body.data && body.data.customer;
    if (!customer || !customer.orders) return;
    const box = $("my-orders");
    box.replaceChildren();
    for (const order of customer.orders) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.textContent = order.id + " · " + order.status.toLowerCase().replace(/_/g, " ");
      chip.addEventListener("click", () => {
        $("order-id").value = order.id;
        track(order.id, $("token").value.trim());
      });
      box.append(chip);
    }
    box.hidden = customer.orders.length === 0;
  }

  async function loadDemoToken() {
    try {
      const response = await fetch("/track/demo-token", { cache: "no-store" });
      if (!response.ok) return null;
      return await response.json();
    } catch (error) {
      return null;
    }
  }

  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const orderId = $("order-id").value.trim();
    if (orderId) track(orderId, $("token").value.trim());
  });

  async function start() {
    // A token may come in the URL's fragment, which is never sent to any server.
    const fragment = new URLSearchParams(location.hash.slice(1));
    let token = fragment.get("token") || "";
    if (fragment.has("token")) history.replaceState(null, "", location.pathname + location.search);
    const demo = token ? null : await loadDemoToken();
    if (demo) {
      token = demo.token;
      $("token-note").textContent = "Demo: the token of customer " + demo.customerId + " is filled in.";
    }
    $("token").value = token;
    const orderId = params.get("order");
    if (orderId) {
      $("order-id").value = orderId;
      track(orderId, token);
    }
    if (demo) showMyOrders(demo.customerId, token).catch(() => {});
  }

  start();
})();
