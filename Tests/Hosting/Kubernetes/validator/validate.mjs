// Validates every object of a multi-document YAML file against the Kubernetes OpenAPI schemas, offline
// (npm kubernetes-models). Usage: node validate.mjs FILE. Prints one line per invalid object; exit 1 if any.
import { readFileSync } from "node:fs";
import { loadAll } from "js-yaml";

const file = process.argv[2];
const documents = loadAll(readFileSync(file, "utf8")).filter((d) => d);
let failures = 0;
for (const doc of documents) {
  const where = `${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
  try {
    const group = await import(`kubernetes-models/${doc.apiVersion}`);
    const Model = group[doc.kind];
    if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
    new Model(doc).validate();
  } catch (error) {
    failures++;
    console.log(`${where}: ${error.message.split("\n").join(" ")}`);
  }
}
console.log(`${documents.length} objects, ${failures} invalid`);
process.exit(failures > 0 ? 1 : 0);
