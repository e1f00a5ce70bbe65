// Copies the browser files named in package.json's "vendor" from node_modules into the
// git-ignored static/vendor folder the console serves. A missing file of a devDependency
// (axe-core, for the tests only) is skipped when dev packages were omitted; any other is an error.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const target = join(here, "src", "aihub_console", "static", "vendor");
const devPackages = Object.keys(manifest.devDependencies ?? {});
mkdirSync(target, { recursive: true });
for (const [name, source] of Object.entries(manifest.vendor)) {
  const from = join(here, source);
  if (!existsSync(from)) {
    if (devPackages.some((pkg) => source.startsWith(`node_modules/${pkg}/`))) {
      console.log(`skipped ${name} (dev package not installed)`);
      continue;
    }
    throw new Error(`missing ${source}: run npm ci first`);
  }
  copyFileSync(from, join(target, name));
  console.log(`static/vendor/${name} <- ${source}`);
}
