// The gateway's GraphiQL: every file comes from the gateway (no CDN), the editor opens on
// the demo's example operations, and in the demo the Headers pane holds a staff token.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("graphiql-config").textContent);
  const params = new URLSearchParams(window.location.search);
  const endpoint = window.location.origin + window.location.pathname;
  const socket = new URL(endpoint);
  socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";

  const fetcher = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: socket.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function Page() {
    const [query, setQuery] = React.useState(params.get("q") || config.query);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      query: query,
      onEditQuery: setQuery,
      variables: params.get("variables") || undefined,
      headers: config.headers || undefined,
      defaultEditorToolsVisibility: Boolean(config.headers),
      isHeadersEditorEnabled: true,
      // A token typed in by hand stays in this browser's storage; the demo's is fresh.
      shouldPersistHeaders: !config.headers,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Page));
})();
