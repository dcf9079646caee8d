// Management reports: four charts of the graph, their drill-downs, and live updates.
//
// Every number comes from POST /graphql with the staff token (no endpoint of its own);
// stock alerts and order changes arrive over one WebSocket speaking graphql-transport-ws
// (the token travels in connection_init, never in a URL). Filters and the open drill-down
// live in the query string, so a link or a reload shows the same view.
//
// State for people and for tests: <main id="app"> carries data-state (idle, needs-token,
// loading, ready, error), data-alerts (stock alerts received), data-tracked (orders whose
// live stage has arrived), data-order-updates (order changes after that),
// data-stock-reads (low-stock re-reads after a burst of alerts that replaced the chart's
// state) and data-csp-violations and data-live-retries (subscriptions asked for again after
// a system's hiccup, live-retry.js); each chart's element carries data-state and
// data-values, the figures it plots exactly as the graph answered them (the products
// chart's rowsRead: present only when there were more rows than the page reads).
"use strict";

(function () {
  // --- the tables the rest is derived from

  const TOP_CUSTOMERS = 10;
  const ORDERS_PER_CUSTOMER = 50;
  const CUSTOMER_PAGE = 200;
  const MAX_FOLLOWED_ORDERS = 40;
  // The schema's largest lowStock page (MAX_LOW_STOCK_PAGE): Q.stock then costs about
  // 3,200 of the 250,000 fields a request may (schema/limits.py), so every row takes few
  // requests; past LOW_STOCK_PAGES the KPI line says that only the first rows were read.
  const LOW_STOCK_PAGE = 200;
  const LOW_STOCK_PAGES = 10;
  // Alerts come in bursts (one stock count can move a sku in several warehouses): the
  // graph is read again once a burst has been quiet this long.
  const STOCK_RECONCILE_MS = 1000;
  const PRODUCTS_SHOWN = 12;
  const FLOW_RUN_PAGES = 5; // of 100 runs each: the latest 500 runs
  const DRILL_PAGE = 50;
  const FINANCE_MONTHS_PER_QUERY = 1;
  const FINANCE_ATTEMPTS = 3;
  const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10000];
  // A subscription asked for again that has nothing to send at once (stockAlerts) gives no
  // sign of having started: past the gateway's request deadline (5 s by default) without an
  // error, it has.
  const START_GRACE_MS = 6000;

  const FINANCE_SERIES = [
    { key: "revenue", name: "Revenue", type: "bar", color: "#1f6feb" },
    { key: "productionCost", name: "Production cost", type: "bar", color: "#bf8700" },
    { key: "purchaseCost", name: "Purchase cost", type: "bar", color: "#8250df" },
    { key: "profit", name: "Profit", type: "line", color: "#1a7f37" },
  ];
  const STAGES = [
    { key: "ORDERED", name: "Ordered", color: "#8c959f" },
    { key: "IN_PRODUCTION", name: "In production", color: "#bf8700" },
    { key: "READY_TO_SHIP", name: "Ready to ship", color: "#8250df" },
    { key: "IN_TRANSIT", name: "In transit", color: "#1f6feb" },
    { key: "DELIVERED", name: "Delivered", color: "#1a7f37" },
    { key: "CANCELLED", name: "Cancelled", color: "#cf222e" },
  ];
  // Until an order's live stage arrives, its CRM status says where it is. Orders not yet
  // delivered or cancelled are followed live (orderTrackingUpdated sends the stage the
  // three systems show together first, then each change).
  const STATUS_STAGE = {
    CONFIRMED: "ORDERED", IN_PRODUCTION: "IN_PRODUCTION", READY: "READY_TO_SHIP",
    SHIPPED: "IN_TRANSIT", DELIVERED: "DELIVERED", CANCELLED: "CANCELLED",
  };
  const FOLLOWED_STATUSES = new Set(["CONFIRMED", "IN_PRODUCTION", "READY", "SHIPPED"]);
  const PRODUCT_SERIES = [
    { key: "openDemand", name: "Open demand", color: "#cf222e" },
    { key: "availableToPromise", name: "Available to promise", color: "#1f6feb" },
    { key: "openPurchaseQuantity", name: "Open purchase orders", color: "#8250df" },
  ];
  // flowRuns' status -> what management reads: a failed run is one attempt that goes
  // back to be retried; a dead one went to the dead letters.
  const FLOW_OUTCOMES = [
    { key: "ok", name: "Ok", statuses: ["succeeded", "skipped"], color: "#1a7f37" },
    { key: "retried", name: "Retried", statuses: ["failed"], color: "#bf8700" },
    { key: "dead", name: "Dead-lettered", statuses: ["dead"], color: "#cf222e" },
  ];
  const FILTERS = ["period", "segment", "warehouse"];

  const Q = {
    finance: `query ReportFinance($from: DateTime!, $to: DateTime!) {
      financeSummary(from: $from, to: $to, groupBy: MONTH) {
        currency cancelledOrderCount
        total { revenue { amount } profit { amount } orderCount }
        groups { key figures {
          revenue { amount } productionCost { amount } purchaseCost { amount }
          profit { amount } orderCount } }
      }
    }`,
    customers: `query ReportCustomers($segment: CustomerSegment, $after: String) {
      customers(first: ${CUSTOMER_PAGE}, after: $after, segment: $segment) {
        edges { node { id name segment lifetimeValue { amount } } }
        pageInfo { hasNextPage endCursor }
      }
    }`,
    stock: `query ReportStock($warehouse: String, $after: String) {
      lowStock(first: ${LOW_STOCK_PAGE}, after: $after, warehouse: $warehouse) {
        totalCount
        edges { node {
          shortBy level { sku warehouse available reorderPoint }
          product { code name coverage {
            availableToPromise openPurchaseQuantity openDemand net runsShortOn } }
        } }
        pageInfo { hasNextPage endCursor }
      }
    }`,
    warehouses: `query ReportWarehouses { productList(first: 10) { edges { node { inventory { warehouse } } } } }`,
    flows: `query ReportFlows($after: String) {
      flowRuns(first: 100, after: $after) {
        edges { node { flow status } }
        pageInfo { hasNextPage endCursor }
      }
    }`,
    monthOrders: `query DrillMonth($from: DateTime!, $to: DateTime!, $after: String) {
      orderList(createdFrom: $from, createdTo: $to, first: ${DRILL_PAGE}, after: $after) {
        edges { node { id status createdAt total { amount } customer { name } } }
        pageInfo { hasNextPage endCursor }
      }
    }`,
    product: `query DrillProduct($code: ID!) {
      product(code: $code) {
        code name
        inventory { warehouse available reorderPoint belowReorderPoint }
        demand { quantity status requestedDate order { id customer { name } } }
        openPurchaseOrders { id quantity expectedAt supplier { name } }
      }
    }`,
    flowRuns: `query DrillFlow($flow: String, $after: String) {
      flowRuns(flow: $flow, first: ${DRILL_PAGE}, after: $after) {
        edges { node { id status attempt startedAt durationMs error } }
        pageInfo { hasNextPage endCursor }
      }
    }`,
    stockAlerts: `subscription ReportStockAlerts($warehouse: String) {
      stockAlerts(warehouse: $warehouse) {
        kind sku warehouse at level { available reorderPoint }
        product { code name coverage {
          availableToPromise openPurchaseQuantity openDemand net runsShortOn } }
      }
    }`,
    orderTracking: `subscription ReportOrder($orderId: ID!) {
      orderTrackingUpdated(orderId: $orderId) { stage order { id status } }
    }`,
  };

  // Ten customers' orders in one request: one alias per customer (the limit is 30).
  function topOrdersQuery(count) {
    const variables = [];
    const fields = [];
    for (let i = 0; i < count; i += 1) {
      variables.push(`$c${i}: ID!`);
      fields.push(`c${i}: customer(id: $c${i}) { id orders(first: ${ORDERS_PER_CUSTOMER}) {
        id status createdAt total { amount } } }`);
    }
    return `query ReportTopOrders(${variables.join(", ")}) { ${fields.join("\n")} }`;
  }

  // --- helpers

  const $ = (id) => document.getElementById(id);
  const app = $("app");
  const euro = new Intl.NumberFormat(undefined, { style: "currency", currency: "EUR" });
  const euroShort = new Intl.NumberFormat(undefined, {
    style: "currency", currency: "EUR", notation: "compact", maximumFractionDigits: 1,
  });
  const count = new Intl.NumberFormat(undefined);
  const percent = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const dateTime = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  });
  const dateOnly = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
  const monthName = new Intl.DateTimeFormat(undefined, { month: "short", year: "2-digit", timeZone: "UTC" });

  const state = {
    token: "",
    filters: { period: "12", segment: "", warehouse: "" },
    drill: "",
    customers: [], // top customers: {id, name, segment, lifetimeValue}
    orders: new Map(), // customer id -> [order]
    stages: new Map(), // order id -> stage from orderTrackingUpdated
    followed: [], // the orders whose stage is followed live
    products: new Map(), // code -> {code, name, coverage, below: Map(warehouse -> level)}
    lowStockTotal: 0,
    lowStockRead: null, // rows read when the pages ran out before the rows did, else null
    stockAlertsSeen: 0, // a re-read started before the latest alert may not include it
    stockReconcile: 0, // the pending re-read's timer
    generation: 0, // bumped on every reload: answers of an older one are dropped
  };
  const charts = {};

  document.addEventListener("securitypolicyviolation", () => {
    app.dataset.cspViolations = String(Number(app.dataset.cspViolations) + 1);
  });

  function showError(message) {
    const box = $("error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  function messageOf(errors) {
    const first = (errors && errors[0]) || {};
    const code = first.extensions && first.extensions.code;
    if (code === "FORBIDDEN") return "This token is not a staff token: the reports need one.";
    if (code === "UNAUTHENTICATED") return "The token was refused: " + (first.message || "");
    return first.message || "Something went wrong.";
  }

  async function graphql(query, variables) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables: variables || {} }),
    });
    const body = await response.json().catch(() => ({ errors: [{ message: "HTTP " + response.status }] }));
    if (body.errors && body.errors.length) {
      const error = new Error(messageOf(body.errors));
      error.errors = body.errors;
      throw error;
    }
    return body.data;
  }

  function monthStart(date, monthsBack) {
    return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - monthsBack, 1));
  }

  function monthBounds(key) {
    const [year, month] = key.split("-").map(Number);
    return {
      from: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
      to: new Date(Date.UTC(year, month, 1)).toISOString(),
    };
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function plural(n, noun) {
    return count.format(n) + " " + noun + (n === 1 ? "" : "s");
  }

  function humanise(value) {
    return String(value).toLowerCase().replace(/_/g, " ");
  }

  // A link to /track for one order. The staff token goes along in the fragment (never
  // sent to a server, and /track drops it from its address bar), added only on click so
  // that a copied link carries no token.
  function trackLink(orderId) {
    const link = el("a", orderId);
    link.href = "/track?order=" + encodeURIComponent(orderId);
    link.className = "track-link";
    link.dataset.order = orderId;
    link.addEventListener("click", (event) => {
      if (!state.token || event.button !== 0 || event.metaKey || event.ctrlKey) return;
      event.preventDefault();
      location.assign(link.href + "#token=" + encodeURIComponent(state.token));
    });
    return link;
  }

  // --- charts (ECharts, drawn on canvas)

  // Tooltip content as DOM nodes: ECharts' default HTML carries style attributes, which
  // the page's Content-Security-Policy (style-src 'self') would refuse.
  function tooltip(format) {
    return (params) => {
      const items = Array.isArray(params) ? params : [params];
      const box = el("div");
      box.append(el("div", items[0].name, "tip-title"));
      for (const item of items) {
        const row = el("div", null, "tip-row");
        const label = el("span");
        const dot = el("span", null, "tip-dot");
        dot.style.background = item.color;
        label.append(dot, document.createTextNode(item.seriesName));
        row.append(label, el("strong", format(item.value)));
        box.append(row);
      }
      return box;
    };
  }

  function chart(name) {
    if (!charts[name]) {
      charts[name] = echarts.init($(name + "-chart"), null, { renderer: "canvas" });
    }
    return charts[name];
  }

  function narrow() {
    return window.innerWidth < 600;
  }

  // onPick(index) gets the category under a tap anywhere in the plot, not only on a bar:
  // a month's four thin bars or a customer's short one are hard to hit on a phone.
  function setChart(name, values, option, onPick) {
    const element = $(name + "-chart");
    element.dataset.values = JSON.stringify(values);
    element.dataset.state = "ready";
    const instance = chart(name);
    instance.setOption(Object.assign({ animation: false }, option), true);
    const zr = instance.getZr();
    zr.off("click");
    if (!onPick) return;
    const categoryIsY = option.yAxis && option.yAxis.type === "category";
    const categories = (categoryIsY ? option.yAxis : option.xAxis).data;
    zr.on("click", (event) => {
      const point = [event.offsetX, event.offsetY];
      if (!instance.containPixel("grid", point)) return;
      const value = instance.convertFromPixel("grid", point)[categoryIsY ? 1 : 0];
      const index = Math.round(value);
      if (index >= 0 && index < categories.length) onPick(index);
    });
  }

  function chartFailed(name, error) {
    $(name + "-chart").dataset.state = "error";
    showError(error.message);
  }

  // Horizontal bars: names on the left get a fixed width (truncated) and the grid leaves
  // that room and some: ECharts' containLabel does not count a truncated label's width,
  // and a name just under the width measures narrower than Chromium draws it.
  function namesAxis(names, wide) {
    const width = narrow() ? (wide ? 116 : 100) : (wide ? 190 : 165);
    return {
      grid: { left: width + 36, right: 16, bottom: 24 },
      yAxis: { type: "category", data: names, axisLabel: { width, overflow: "truncate" } },
    };
  }

  function legend() {
    return { top: 0, type: "scroll", itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 11 } };
  }

  // --- finance by month

  // The period a month at a time, one after another: a summary's cost grows with its
  // months (a feed page per month, then their production and purchase orders), and one
  // month stays inside the request deadline on a busy gateway (a year took 2-6 s cold on
  // the demo while other jobs shared its 2 cores, sometimes past the 5 s deadline).
  function periodChunks() {
    const months = Number(state.filters.period) || 12;
    const now = new Date();
    const chunks = [];
    for (let back = months - 1; back >= 0; back -= FINANCE_MONTHS_PER_QUERY) {
      const end = Math.max(back - FINANCE_MONTHS_PER_QUERY, -1);
      chunks.push({ from: monthStart(now, back).toISOString(), to: monthStart(now, end).toISOString() });
    }
    return chunks;
  }

  // Again if it missed the deadline: a retry finds what the last attempt read in the cache.
  async function withRetries(attempts, call) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  }

  // Money is a decimal string: added up in cents, never in floating point.
  function cents(amount) {
    const negative = amount.startsWith("-");
    const [whole, fraction = ""] = amount.replace("-", "").split(".");
    const value = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
    return negative ? -value : value;
  }

  async function loadFinance(generation) {
    const groups = [];
    const total = { revenue: 0n, profit: 0n, orders: 0, cancelled: 0 };
    for (const chunk of periodChunks()) {
      const data = await withRetries(FINANCE_ATTEMPTS, () => graphql(Q.finance, chunk));
      if (generation !== state.generation) return;
      const summary = data.financeSummary;
      groups.push(...summary.groups);
      total.revenue += cents(summary.total.revenue.amount);
      total.profit += cents(summary.total.profit.amount);
      total.orders += summary.total.orderCount;
      total.cancelled += summary.cancelledOrderCount;
    }
    const months = groups.map((group) => group.key);
    const values = { months };
    for (const series of FINANCE_SERIES) {
      values[series.key] = groups.map((group) => group.figures[series.key].amount);
    }
    const revenue = Number(total.revenue) / 100;
    const profit = Number(total.profit) / 100;
    $("finance-kpis").replaceChildren(
      "Revenue ", el("strong", euro.format(revenue)),
      " · profit ", el("strong", euro.format(profit)),
      revenue ? " (" + percent.format((profit / revenue) * 100) + " %)" : "",
      " · " + count.format(total.orders) + " orders",
      total.cancelled ? " · " + count.format(total.cancelled) + " cancelled left out" : "",
    );
    const labels = months.map((key) => monthName.format(new Date(key + "-01T00:00:00Z")));
    setChart("finance", values, {
      color: FINANCE_SERIES.map((series) => series.color),
      legend: legend(),
      grid: { left: narrow() ? 52 : 64, right: 12, top: 36, bottom: 28 },
      tooltip: { trigger: "axis", formatter: tooltip((value) => euro.format(value)) },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", axisLabel: { formatter: (value) => euroShort.format(value) } },
      series: FINANCE_SERIES.map((series) => ({
        name: series.name, type: series.type, data: values[series.key].map(Number),
        barMaxWidth: 18, symbolSize: 6,
      })),
    }, (index) => openDrill("month:" + months[index]));
  }

  // --- top customers and their orders by stage

  async function loadCustomers(generation) {
    const everyone = [];
    let after = null;
    for (;;) {
      const data = await graphql(Q.customers, { segment: state.filters.segment || null, after });
      if (generation !== state.generation) return;
      for (const edge of data.customers.edges) everyone.push(edge.node);
      if (!data.customers.pageInfo.hasNextPage) break;
      after = data.customers.pageInfo.endCursor;
    }
    const value = (customer) => Number(customer.lifetimeValue ? customer.lifetimeValue.amount : 0);
    const top = everyone.slice().sort((a, b) => value(b) - value(a) || a.id.localeCompare(b.id))
      .slice(0, TOP_CUSTOMERS);
    state.customers = top;
    const shown = top.slice().reverse(); // the largest at the top of a horizontal chart
    const values = {
      ids: top.map((customer) => customer.id),
      lifetimeValue: top.map((customer) => (customer.lifetimeValue ? customer.lifetimeValue.amount : null)),
    };
    const sum = top.reduce((total, customer) => total + value(customer), 0);
    $("customers-kpis").replaceChildren(
      "Top " + top.length + " of " + count.format(everyone.length) + " customers: ",
      el("strong", euro.format(sum)),
    );
    const names = namesAxis(shown.map((customer) => customer.name), false);
    setChart("customers", values, {
      color: ["#1f6feb"],
      grid: { ...names.grid, top: 8, right: 28 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip((v) => euro.format(v)) },
      xAxis: { type: "value", axisLabel: { formatter: (v) => euroShort.format(v) }, splitNumber: narrow() ? 3 : 5 },
      yAxis: names.yAxis,
      series: [{ name: "Lifetime value", type: "bar", data: shown.map(value), barMaxWidth: 16 }],
    }, (index) => openDrill("customer:" + shown[index].id));
    await loadTopOrders(generation, top);
  }

  async function loadTopOrders(generation, top) {
    state.orders = new Map();
    state.stages = new Map();
    state.followed = [];
    app.dataset.tracked = "0";
    if (top.length) {
      const variables = {};
      top.forEach((customer, i) => { variables["c" + i] = customer.id; });
      const data = await graphql(topOrdersQuery(top.length), variables);
      if (generation !== state.generation) return;
      top.forEach((customer, i) => {
        state.orders.set(customer.id, (data["c" + i] && data["c" + i].orders) || []);
      });
    }
    renderStages();
    followOrders();
  }

  function stageOf(order) {
    return state.stages.get(order.id) || STATUS_STAGE[order.status] || "ORDERED";
  }

  function renderStages() {
    const shown = state.customers.slice().reverse();
    // tracked: how many live stages this drawing counts (tests wait for all of them).
    const values = {
      ids: state.customers.map((customer) => customer.id), stages: {}, tracked: Number(app.dataset.tracked),
    };
    for (const stage of STAGES) {
      values.stages[stage.key] = state.customers.map(
        (customer) => (state.orders.get(customer.id) || []).filter((order) => stageOf(order) === stage.key).length,
      );
    }
    const followed = state.followed.length;
    $("tracked-note").textContent = followed
      ? "(" + app.dataset.tracked + " of " + followed + " open orders followed live)"
      : "";
    const names = namesAxis(shown.map((customer) => customer.name), false);
    setChart("stages", values, {
      color: STAGES.map((stage) => stage.color),
      legend: legend(),
      grid: { ...names.grid, top: narrow() ? 56 : 36 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip((v) => count.format(v)) },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: names.yAxis,
      series: STAGES.map((stage) => ({
        name: stage.name, type: "bar", stack: "orders", barMaxWidth: 16,
        data: values.stages[stage.key].slice().reverse(),
      })),
    }, (index) => openDrill("customer:" + shown[index].id));
  }

  let stagesTimer = null;
  function renderStagesSoon() {
    // Forty orders' first answers arrive together: draw once for them.
    if (stagesTimer === null) {
      stagesTimer = setTimeout(() => { stagesTimer = null; renderStages(); }, 100);
    }
  }

  // Chosen once per load: an order that is cancelled or delivered meanwhile stays followed.
  function openOrders() {
    const open = [];
    for (const orders of state.orders.values()) {
      for (const order of orders) if (FOLLOWED_STATUSES.has(order.status)) open.push(order);
    }
    return open.slice(0, MAX_FOLLOWED_ORDERS);
  }

  function followOrders() {
    live.stopAll("order:");
    const seen = new Set();
    state.followed = openOrders();
    for (const order of state.followed) {
      live.subscribe("order:" + order.id, Q.orderTracking, { orderId: order.id }, (payload) => {
        const tracking = payload.data && payload.data.orderTrackingUpdated;
        if (!tracking) return;
        state.stages.set(order.id, tracking.stage);
        order.status = tracking.order.status;
        if (seen.has(order.id)) {
          app.dataset.orderUpdates = String(Number(app.dataset.orderUpdates) + 1);
        } else {
          seen.add(order.id);
          app.dataset.tracked = String(seen.size);
        }
        renderStagesSoon();
      });
    }
  }

  // --- products below their reorder point

  function rememberLowStock(row) {
    const code = row.product.code;
    const entry = state.products.get(code) || { code, name: row.product.name, below: new Map() };
    entry.coverage = row.product.coverage;
    entry.below.set(row.level.warehouse, row.level);
    state.products.set(code, entry);
  }

  // lowStock is in sku order, not by shortfall: the products furthest below can be on any
  // page, so every page is read. Null when the answer went stale while paging (isCurrent).
  async function readLowStock(isCurrent) {
    const rows = [];
    let after = null;
    for (let page = 1; ; page += 1) {
      const data = await graphql(Q.stock, { warehouse: state.filters.warehouse || null, after });
      if (!isCurrent()) return null;
      for (const edge of data.lowStock.edges) rows.push(edge.node);
      const more = data.lowStock.pageInfo.hasNextPage;
      if (!more || page >= LOW_STOCK_PAGES) {
        // The latest page's count: rows that crossed their reorder point meanwhile count.
        return { rows, totalCount: data.lowStock.totalCount, complete: !more };
      }
      after = data.lowStock.pageInfo.endCursor;
    }
  }

  function applyLowStock(read) {
    state.products = new Map();
    state.lowStockTotal = read.totalCount;
    state.lowStockRead = read.complete ? null : read.rows.length;
    for (const row of read.rows) rememberLowStock(row);
    renderProducts();
  }

  async function loadStock(generation) {
    const read = await readLowStock(() => generation === state.generation);
    if (read) applyLowStock(read);
  }

  // The alerts' own bookkeeping is a guess (an alert may be about a row past those read, or
  // repeat one): after a burst, what the graph says replaces it.
  function reconcileStockSoon() {
    clearTimeout(state.stockReconcile);
    const generation = state.generation;
    state.stockReconcile = setTimeout(() => reconcileStock(generation), STOCK_RECONCILE_MS);
  }

  async function reconcileStock(generation) {
    const seen = state.stockAlertsSeen;
    // A newer alert has its own re-read coming; a reload reads the rows itself.
    const current = () => generation === state.generation && seen === state.stockAlertsSeen;
    try {
      const read = await withRetries(2, () => readLowStock(current));
      if (!read || !current()) return;
      applyLowStock(read);
      app.dataset.stockReads = String(Number(app.dataset.stockReads) + 1);
    } catch (error) {
      // The chart keeps the alerts' figures until the next alert reads the graph again.
    }
  }

  function shortBy(entry) {
    let most = 0;
    for (const level of entry.below.values()) most = Math.max(most, level.reorderPoint - level.available);
    return most;
  }

  function renderProducts() {
    const entries = [...state.products.values()]
      .sort((a, b) => shortBy(b) - shortBy(a) || a.code.localeCompare(b.code))
      .slice(0, PRODUCTS_SHOWN);
    const shown = entries.slice().reverse();
    const values = { codes: entries.map((entry) => entry.code), below: {}, totalCount: state.lowStockTotal };
    if (state.lowStockRead !== null) values.rowsRead = state.lowStockRead;
    for (const series of PRODUCT_SERIES) {
      values[series.key] = entries.map((entry) => (entry.coverage ? entry.coverage[series.key] : null));
    }
    for (const entry of entries) values.below[entry.code] = [...entry.below.keys()].sort();
    const short = entries.filter((entry) => entry.coverage && entry.coverage.runsShortOn).length;
    $("products-kpis").replaceChildren(
      el("strong", count.format(state.lowStockTotal)),
      " stock levels below reorder point" + (state.filters.warehouse ? " in " + state.filters.warehouse : "") +
        "; the " + entries.length + " furthest below shown",
      state.lowStockRead !== null
        ? " (of the first " + count.format(state.lowStockRead) + " rows only: there were more)"
        : "",
      short ? " · " + short + " will run short" : "",
    );
    const label = (entry) => entry.code + " · " + [...entry.below.keys()].sort().join(", ");
    const names = namesAxis(shown.map(label), true);
    names.yAxis.axisLabel.color = "#cf222e"; // every one of them is below its reorder point
    setChart("products", values, {
      color: PRODUCT_SERIES.map((series) => series.color),
      legend: legend(),
      grid: { ...names.grid, top: narrow() ? 56 : 36 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip((v) => count.format(v)) },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: names.yAxis,
      series: PRODUCT_SERIES.map((series) => ({
        name: series.name, type: "bar", barMaxWidth: 10,
        data: shown.map((entry) => (entry.coverage ? entry.coverage[series.key] : 0)),
      })),
    }, (index) => openDrill("product:" + shown[index].code));
  }

  function receiveAlert(alert) {
    const list = $("alerts");
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    const item = el("li", null, alert.kind + " fresh");
    item.dataset.sku = alert.sku;
    item.dataset.warehouse = alert.warehouse;
    item.dataset.kind = alert.kind;
    const when = el("time", dateTime.format(new Date(alert.at)));
    when.dateTime = alert.at;
    item.append(
      el("span", alert.kind === "RECOVERED" ? "Recovered" : "Below reorder point", "kind"),
      (alert.product ? alert.product.code + " " : "") + alert.sku + " in " + alert.warehouse + ": " +
        count.format(alert.level.available) + " available, reorder at " +
        count.format(alert.level.reorderPoint) + " · ",
      when,
    );
    list.prepend(item);
    setTimeout(() => item.classList.remove("fresh"), 4000);
    app.dataset.alerts = String(Number(app.dataset.alerts) + 1);
    state.stockAlertsSeen += 1;
    reconcileStockSoon();
    if (!alert.product) return;
    const code = alert.product.code;
    if (alert.kind === "BELOW_REORDER_POINT") {
      const before = state.products.get(code);
      const knew = before && before.below.has(alert.warehouse);
      rememberLowStock({ product: alert.product, level: { ...alert.level, warehouse: alert.warehouse } });
      if (!knew) state.lowStockTotal += 1;
    } else {
      const entry = state.products.get(code);
      if (entry && entry.below.delete(alert.warehouse)) {
        state.lowStockTotal = Math.max(0, state.lowStockTotal - 1);
        entry.coverage = alert.product.coverage;
        if (!entry.below.size) state.products.delete(code);
      }
    }
    renderProducts();
  }

  // --- flow runs per flow

  async function loadFlows(generation) {
    const runs = [];
    let after = null;
    for (let page = 0; page < FLOW_RUN_PAGES; page += 1) {
      const data = await graphql(Q.flows, { after });
      if (generation !== state.generation) return;
      for (const edge of data.flowRuns.edges) runs.push(edge.node);
      if (!data.flowRuns.pageInfo.hasNextPage) break;
      after = data.flowRuns.pageInfo.endCursor;
    }
    const flows = [...new Set(runs.map((run) => run.flow))].sort();
    const values = { flows, runs: runs.length };
    for (const outcome of FLOW_OUTCOMES) {
      values[outcome.key] = flows.map(
        (flow) => runs.filter((run) => run.flow === flow && outcome.statuses.includes(run.status)).length,
      );
    }
    $("flows-kpis").replaceChildren(
      runs.length
        ? "The latest " + plural(runs.length, "run") + " of " + plural(flows.length, "flow")
        : "No flow has run yet (the flows need Redis).",
    );
    const names = namesAxis(flows, true);
    setChart("flows", values, {
      color: FLOW_OUTCOMES.map((outcome) => outcome.color),
      legend: legend(),
      grid: { ...names.grid, top: 36 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip((v) => count.format(v)) },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: names.yAxis,
      series: FLOW_OUTCOMES.map((outcome) => ({
        name: outcome.name, type: "bar", stack: "runs", barMaxWidth: 22, data: values[outcome.key],
      })),
    }, (index) => openDrill("flow:" + flows[index]));
  }

  // --- drill-downs: the orders, products or runs behind a bar

  // ticket: bumped by each drill-down opened; an answer for an older one is dropped.
  const drill = { more: null, ticket: 0 };

  function drillTable(title, columns, rows, more) {
    $("drill").hidden = false;
    $("drill-title").textContent = title;
    const head = el("tr");
    for (const column of columns) head.append(el("th", column.label, column.num ? "num" : ""));
    $("drill-table").tHead.replaceChildren(head);
    appendRows(columns, rows, true);
    setMore(more);
  }

  function appendRows(columns, rows, replace) {
    const body = $("drill-table").tBodies[0];
    if (replace) body.replaceChildren();
    for (const row of rows) {
      const line = el("tr");
      row.forEach((cell, i) => {
        const td = el("td", null, columns[i].num ? "num" : "");
        td.append(cell === null || cell === undefined ? "—" : cell);
        line.append(td);
      });
      body.append(line);
    }
    $("drill").dataset.rows = String(body.rows.length);
  }

  function setMore(more) {
    drill.more = more || null;
    $("drill-more").hidden = !more;
  }

  function setDrillUrl(value) {
    state.drill = value;
    writeUrl();
  }

  async function openDrill(value) {
    setDrillUrl(value);
    const [kind, ...rest] = value.split(":");
    const key = rest.join(":");
    drill.ticket += 1;
    const ticket = drill.ticket;
    $("drill").dataset.state = "loading";
    $("drill").dataset.kind = kind;
    $("drill").dataset.key = key;
    try {
      if (kind === "month") await drillMonth(key);
      else if (kind === "customer") drillCustomer(key);
      else if (kind === "product") await drillProduct(key);
      else if (kind === "flow") await drillFlow(key);
      if (ticket !== drill.ticket) return;
      $("drill").dataset.state = "ready";
      $("drill").scrollIntoView({ block: "nearest" });
    } catch (error) {
      if (ticket !== drill.ticket) return;
      $("drill").dataset.state = "error";
      showError(error.message);
    }
  }

  const ORDER_COLUMNS = [
    { label: "Order" }, { label: "Created" }, { label: "Customer" }, { label: "Status" },
    { label: "Total", num: true },
  ];

  async function drillMonth(key) {
    const bounds = monthBounds(key);
    const load = async (after, replace) => {
      const ticket = drill.ticket;
      const data = await graphql(Q.monthOrders, { ...bounds, after });
      if (ticket !== drill.ticket) return;
      const rows = data.orderList.edges.map(({ node }) => [
        trackLink(node.id), dateOnly.format(new Date(node.createdAt)), node.customer.name,
        humanise(node.status), euro.format(Number(node.total.amount)),
      ]);
      const next = data.orderList.pageInfo.hasNextPage
        ? () => load(data.orderList.pageInfo.endCursor, false) : null;
      if (replace) drillTable("Orders created in " + key, ORDER_COLUMNS, rows, next);
      else { appendRows(ORDER_COLUMNS, rows, false); setMore(next); }
    };
    await load(null, true);
  }

  function drillCustomer(id) {
    const customer = state.customers.find((candidate) => candidate.id === id);
    const orders = state.orders.get(id) || [];
    const columns = [
      { label: "Order" }, { label: "Created" }, { label: "Stage" }, { label: "Status" },
      { label: "Total", num: true },
    ];
    const rows = orders.map((order) => [
      trackLink(order.id), dateOnly.format(new Date(order.createdAt)),
      humanise(stageOf(order)), humanise(order.status), euro.format(Number(order.total.amount)),
    ]);
    drillTable("Orders of " + (customer ? customer.name + " (" + id + ")" : id), columns, rows, null);
  }

  async function drillProduct(code) {
    const ticket = drill.ticket;
    const data = await graphql(Q.product, { code });
    if (ticket !== drill.ticket) return;
    const product = data.product;
    if (!product) throw new Error("No product " + code);
    const columns = [
      { label: "What" }, { label: "Reference" }, { label: "Where / who" }, { label: "Quantity", num: true },
      { label: "Date" },
    ];
    const rows = [];
    for (const level of product.inventory || []) {
      rows.push([
        level.belowReorderPoint ? "Stock, below reorder point" : "Stock",
        "reorder at " + count.format(level.reorderPoint), level.warehouse,
        count.format(level.available), null,
      ]);
    }
    for (const line of product.demand || []) {
      rows.push([
        "Demand (" + humanise(line.status) + ")", trackLink(line.order.id), line.order.customer.name,
        count.format(line.quantity), line.requestedDate ? dateOnly.format(new Date(line.requestedDate)) : null,
      ]);
    }
    for (const order of product.openPurchaseOrders || []) {
      rows.push([
        "Purchase order", order.id, order.supplier ? order.supplier.name : null,
        count.format(order.quantity), dateOnly.format(new Date(order.expectedAt)),
      ]);
    }
    drillTable(product.code + " · " + product.name, columns, rows, null);
  }

  async function drillFlow(flow) {
    const columns = [
      { label: "Started" }, { label: "Status" }, { label: "Attempt", num: true },
      { label: "Duration", num: true }, { label: "Error" },
    ];
    const load = async (after, replace) => {
      const ticket = drill.ticket;
      const data = await graphql(Q.flowRuns, { flow, after });
      if (ticket !== drill.ticket) return;
      const rows = data.flowRuns.edges.map(({ node }) => [
        dateTime.format(new Date(node.startedAt)), node.status, count.format(node.attempt),
        count.format(Math.round(node.durationMs)) + " ms", node.error,
      ]);
      const next = data.flowRuns.pageInfo.hasNextPage
        ? () => load(data.flowRuns.pageInfo.endCursor, false) : null;
      if (replace) drillTable("Runs of " + flow, columns, rows, next);
      else { appendRows(columns, rows, false); setMore(next); }
    };
    await load(null, true);
  }

  $("drill-more").addEventListener("click", () => {
    if (drill.more) drill.more().catch((error) => showError(error.message));
  });
  $("drill-close").addEventListener("click", () => {
    $("drill").hidden = true;
    setDrillUrl("");
  });

  // --- live: one WebSocket, any number of subscriptions, opened again with backoff. A
  // subscription that fails to start because a system is down for a moment is asked for
  // again on the same socket, each with its own backoff; any other failure is shown.

  const live = {
    socket: null, acknowledged: false, attempts: 0, timer: null, subs: new Map(),
    retrying: new Set(), // ids waiting to be asked for again
    retryMessage: "",

    subscribe(id, query, variables, onNext) {
      this.forget(id);
      this.subs.set(id, { query, variables, onNext, retry: liveRetry.backoff(app) });
      if (this.acknowledged) this.send({ id, type: "subscribe", payload: { query, variables } });
      else if (!this.socket && !this.timer) this.open();
    },

    stopAll(prefix) {
      for (const id of [...this.subs.keys()]) {
        if (!id.startsWith(prefix)) continue;
        this.forget(id);
        this.subs.delete(id);
        if (this.acknowledged) this.send({ id, type: "complete" });
      }
      this.settled();
    },

    // No try left pending for `id`.
    forget(id) {
      const sub = this.subs.get(id);
      if (sub) {
        sub.retry.cancel();
        clearTimeout(sub.starting);
      }
      this.retrying.delete(id);
    },

    failed(id, sub, errors) {
      clearTimeout(sub.starting);
      if (!liveRetry.isTransient(errors)) {
        this.retrying.delete(id);
        showError(messageOf(errors));
        this.settled();
        return;
      }
      const socket = this.socket;
      this.retrying.add(id);
      this.retryMessage = liveRetry.retryingMessage(messageOf(errors));
      showError(this.retryMessage);
      this.pill("retrying…", "off");
      sub.retry.schedule(errors, () => {
        // Still wanted, on the socket it failed on: a new socket subscribes all by itself.
        if (this.subs.get(id) !== sub || this.socket !== socket || !this.acknowledged) return;
        this.send({ id, type: "subscribe", payload: { query: sub.query, variables: sub.variables } });
        sub.starting = setTimeout(() => this.started(id, sub), START_GRACE_MS);
      });
    },

    started(id, sub) {
      clearTimeout(sub.starting);
      sub.retry.reset();
      this.retrying.delete(id);
      this.settled();
    },

    // Once nothing waits for another try, the retry notice goes (another error stays).
    settled() {
      if (this.retrying.size || !this.retryMessage) return;
      if ($("error").textContent === this.retryMessage) showError("");
      this.retryMessage = "";
      if (this.acknowledged) this.pill("live", "live");
    },

    send(message) {
      this.socket.send(JSON.stringify(message));
    },

    pill(text, kind) {
      const pill = $("live");
      pill.textContent = text;
      pill.className = "pill" + (kind ? " " + kind : "");
    },

    open() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + "/graphql", "graphql-transport-ws");
      this.socket = socket;
      this.acknowledged = false;
      this.pill(this.attempts ? "reconnecting…" : "connecting");
      socket.onopen = () => {
        this.send({ type: "connection_init", payload: state.token ? { Authorization: "Bearer " + state.token } : {} });
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        const sub = message.id && this.subs.get(message.id);
        if (message.type === "connection_ack") {
          this.acknowledged = true;
          this.attempts = 0;
          this.pill("live", "live");
          for (const [id, entry] of this.subs) {
            this.send({ id, type: "subscribe", payload: { query: entry.query, variables: entry.variables } });
          }
        } else if (message.type === "next" && sub) {
          if (message.payload.errors) showError(messageOf(message.payload.errors));
          if (message.payload.data) this.started(message.id, sub);
          sub.onNext(message.payload);
        } else if (message.type === "error" && sub) {
          this.failed(message.id, sub, message.payload);
        } else if (message.type === "ping") {
          this.send({ type: "pong" });
        }
      };
      socket.onclose = (event) => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.acknowledged = false;
        // The next socket subscribes every one of them again.
        for (const id of this.subs.keys()) this.forget(id);
        if (event.code === 4401 || event.code === 4403) {
          this.pill("stopped", "off");
          showError("The live updates were refused: " + (event.reason || "token"));
          return;
        }
        const delay = RECONNECT_DELAYS_MS[Math.min(this.attempts, RECONNECT_DELAYS_MS.length - 1)];
        this.attempts += 1;
        this.pill("reconnecting…", "off");
        this.timer = setTimeout(() => { this.timer = null; if (this.subs.size) this.open(); }, delay);
      };
    },

    restart() {
      // A new token: the connection's identity changes, so open a new one.
      clearTimeout(this.timer);
      this.timer = null;
      const socket = this.socket;
      this.socket = null;
      this.acknowledged = false;
      if (socket) socket.close(1000);
      for (const id of this.subs.keys()) this.forget(id);
      this.subs.clear();
      this.settled();
    },
  };

  // --- filters, URL and loading

  function readUrl() {
    const params = new URLSearchParams(location.search);
    for (const name of FILTERS) {
      const value = params.get(name);
      // Period and segment: only what the page offers. Warehouses come from the graph.
      const offered = name === "warehouse" || [...$(name).options].some((option) => option.value === value);
      if (value !== null && offered) state.filters[name] = value;
    }
    state.drill = params.get("drill") || "";
  }

  function writeUrl() {
    const params = new URLSearchParams();
    for (const name of FILTERS) if (state.filters[name]) params.set(name, state.filters[name]);
    if (state.drill) params.set("drill", state.drill);
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "")); // never the token
  }

  function ensureOption(select, value) {
    if (!value || [...select.options].some((option) => option.value === value)) return;
    select.append(new Option(value, value));
  }

  async function loadWarehouses() {
    const data = await graphql(Q.warehouses);
    const names = new Set();
    for (const edge of data.productList.edges) {
      for (const level of edge.node.inventory || []) names.add(level.warehouse);
    }
    const select = $("warehouse");
    for (const name of [...names].sort()) ensureOption(select, name);
    select.value = state.filters.warehouse;
  }

  async function loadAll() {
    state.generation += 1;
    const generation = state.generation;
    showError("");
    app.dataset.state = "loading";
    for (const name of ["finance", "customers", "stages", "products", "flows"]) {
      $(name + "-chart").dataset.state = "loading";
    }
    if ($("warehouse").options.length <= 1) loadWarehouses().catch(() => {});
    clearTimeout(state.stockReconcile); // this reload reads the rows itself
    live.stopAll("");
    live.subscribe("stock", Q.stockAlerts, { warehouse: state.filters.warehouse || null }, (payload) => {
      const alert = payload.data && payload.data.stockAlerts;
      if (alert) receiveAlert(alert);
    });
    // One retry per chart: a cold cache under load can miss the request deadline once; the
    // second attempt finds what the first one fetched in the cache.
    const settle = ([name, load]) => withRetries(2, () => load(generation)).then(
      () => true,
      (error) => { if (generation === state.generation) chartFailed(name, error); return false; },
    );
    // The finance summary first and alone: it is the heaviest read (a feed page per month,
    // production orders, purchase orders), and the demo's systems share the gateway's CPU.
    const financeDone = await settle(["finance", loadFinance]);
    const rest = await Promise.all([
      ["customers", loadCustomers], ["products", loadStock], ["flows", loadFlows],
    ].map(settle));
    if (generation !== state.generation) return;
    const failed = !financeDone || rest.includes(false);
    app.dataset.state = failed ? "error" : "ready";
    if (state.drill) openDrill(state.drill);
  }

  for (const name of FILTERS) {
    $(name).addEventListener("change", () => {
      state.filters[name] = $(name).value;
      writeUrl();
      if (state.token || app.dataset.state !== "needs-token") loadAll();
    });
  }

  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    live.restart();
    loadAll();
  });

  window.addEventListener("resize", () => {
    for (const instance of Object.values(charts)) instance.resize();
  });

  async function loadDemoToken() {
    try {
      const response = await fetch("/reports/demo-token", { cache: "no-store" });
      if (!response.ok) return "";
      return (await response.json()).token || "";
    } catch (error) {
      return "";
    }
  }

  async function start() {
    readUrl();
    for (const name of FILTERS) {
      ensureOption($(name), state.filters[name]);
      $(name).value = state.filters[name];
    }
    // A token may come in the URL's fragment, which is never sent to any server.
    const fragment = new URLSearchParams(location.hash.slice(1));
    let token = fragment.get("token") || "";
    if (fragment.has("token")) writeUrl();
    if (!token) {
      token = await loadDemoToken();
      if (token) $("token-note").textContent = "Demo: a staff token of the demo is filled in.";
    }
    state.token = token;
    $("token").value = token;
    if (!token) {
      app.dataset.state = "needs-token";
      $("token-box").open = true;
      showError("The reports need a staff token: paste one below.");
      return;
    }
    loadAll();
  }

  start();
})();
