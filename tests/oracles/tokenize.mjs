// Oracle: Hugging Face tokenizers.js encodes/decodes texts. stdin: {"tokenizer": PATH | JSON-object, "config": PATH | object | null,
// "texts": [..], "add_special_tokens": bool, "decode": bool}; stdout: {"ids": [[..]], "tokens": [[..]], "decoded": [..]}.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const load = (v) => (v == null ? {} : typeof v === "string" ? JSON.parse(readFileSync(v, "utf8")) : v);
const request = JSON.parse(readFileSync(0, "utf8"));
const tokenizer = new Tokenizer(load(request.tokenizer), load(request.config));
const ids = [], tokens = [], decoded = [];
for (const text of request.texts) {
  const encoding = tokenizer.encode(text, { add_special_tokens: request.add_special_tokens ?? true });
  ids.push(encoding.ids);
  tokens.push(encoding.tokens);
  if (request.decode) decoded.push(tokenizer.decode(encoding.ids, { skip_special_tokens: false }));
}
process.stdout.write(JSON.stringify({ ids, tokens, decoded }));
