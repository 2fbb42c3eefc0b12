import type { CodegenConfig } from "@graphql-codegen/cli";

// Types come from the committed SDL by default, so that `npm run typecheck` proves every
// document in src/ matches the schema this commit serves. `CODEGEN_SCHEMA=<GraphQL URL>` reads
// it from a running server instead, through graphql-js's standard introspection query.
const config: CodegenConfig = {
  schema: process.env["CODEGEN_SCHEMA"] ?? "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        // How the server's custom scalars travel in JSON. `strictScalars` fails codegen when the
        // schema gains a scalar that is not mapped here.
        scalars: {
          ID: "string", // opaque global IDs; the server never takes numbers
          DateTime: "string", // RFC 3339, e.g. 2026-11-30T00:38:44.325721+00:00
          Date: "string", // YYYY-MM-DD
          JSON: "unknown",
        },
        strictScalars: true,
        useTypeImports: true,
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
