// A real Apollo Federation gateway (@apollo/gateway under @apollo/server) composing the
// subgraphs named on the command line: `node run_gateway.mjs name=url ...`.
// It prints one line of JSON with its URL once it listens on a free loopback port.
// SUBGRAPH_TOKEN is the bearer token it composes with (supplygraph's /subgraph demands
// one); each client's own Authorization and Cache-Control headers are passed on to the
// subgraphs (as a router set up for supplygraph would: its auth and `no-cache` are per client).
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";

const subgraphs = process.argv.slice(2).map((pair) => {
  const [name, url] = pair.split("=", 2);
  return { name, url };
});
const introspectionHeaders = process.env.SUBGRAPH_TOKEN
  ? { authorization: `Bearer ${process.env.SUBGRAPH_TOKEN}` }
  : {};

const PASSED_ON = ["authorization", "cache-control"];

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({ subgraphs, introspectionHeaders }),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        for (const [name, value] of Object.entries(context.passedOn ?? {})) {
          request.http.headers.set(name, value);
        }
      },
    }),
});

const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: 0 },
  context: async ({ req }) => ({
    passedOn: Object.fromEntries(
      PASSED_ON.filter((name) => req.headers[name]).map((name) => [name, req.headers[name]]),
    ),
  }),
});
console.log(JSON.stringify({ url }));
