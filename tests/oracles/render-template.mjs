// Oracle: @huggingface/jinja renders chat templates. stdin: {"cases": [{"template": STR, "context": {..}}]};
// stdout: {"results": [{"output": STR} | {"error": STR}]}.
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

const request = JSON.parse(readFileSync(0, "utf8"));
const results = request.cases.map(({ template, context }) => {
  try {
    return { output: new Template(template).render(context) };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
});
process.stdout.write(JSON.stringify({ results }));
