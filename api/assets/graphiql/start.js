// Mounts GraphiQL on the page served at GET /graphql. Queries and mutations go over HTTP;
// subscriptions over the WebSocket at /graphql/ws. Both use the `Authorization` header written
// in GraphiQL's headers pane, e.g. {"Authorization": "Bearer <accessToken>"}.
(function () {
  "use strict";
  var httpUrl = new URL("/graphql", window.location.href).href;
  var socketUrl = httpUrl.replace(/^http/, "ws") + "/ws";
  var http = GraphiQL.createFetcher({ url: httpUrl });
  var sockets = {};

  function authorization(headers) {
    for (var name in headers || {}) {
      if (name.toLowerCase() === "authorization") return String(headers[name]);
    }
    return "";
  }

  // One socket per credential, opened when a subscription first needs it.
  function socketFor(auth) {
    if (!sockets[auth]) {
      sockets[auth] = graphqlWs.createClient({
        url: socketUrl,
        lazy: true,
        connectionParams: auth ? { authorization: auth } : {},
      });
    }
    return sockets[auth];
  }

  function isSubscription(params) {
    var query = String(params.query || "").replace(/#[^\n]*/g, "");
    var name = params.operationName;
    var pattern = name ? new RegExp("\\bsubscription\\s+" + name + "\\b") : /^\s*subscription\b/m;
    return pattern.test(query);
  }

  function fetcher(params, options) {
    if (!isSubscription(params)) return http(params, options);
    var auth = authorization(options && options.headers);
    return socketFor(auth).iterate({
      query: params.query,
      variables: params.variables,
      operationName: params.operationName,
    });
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: "headers",
      defaultHeaders: '{\n  "Authorization": "Bearer <accessToken from login or signUp>"\n}',
    }),
  );
})();
