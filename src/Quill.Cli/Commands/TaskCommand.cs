// `quill task NAME`: one model, many jobs (classify, ner, pos, qa, extract, keywords and the rewriting tasks); printing only.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Quill.Embeddings;
using Quill.Formats;
using Quill.Tasks;
using Quill.Tasks.Embedding;
using Quill.Tasks.Evaluation;
using Quill.Tasks.Generative;
using Quill.Tasks.Prompting;

namespace Quill.Cli.Commands;

internal static class TaskCommand
{
    public static Command Create()
    {
        var command = new Command("task", "Do one job by prompting a model: classify, ner, pos, qa, extract, keywords, summarize, paraphrase, simplify,\n" +
            "translate, complete, generate (spans are exact substrings of the input; --json prints Hugging Face pipeline shapes)\n" +
            "  example: quill task classify --labels sports,cooking,finance \"The striker scored twice\"   (no -m: the built-in embedder)\n" +
            "  example: quill task ner -m model.gguf --types person,place \"Ada Lovelace was born in London\" --json\n" +
            "  example: quill task qa -m model.gguf --context \"The Eiffel Tower is in Paris.\" \"Where is the Eiffel Tower?\"\n" +
            "  example: quill task keywords -k 5 < article.txt -");
        command.Subcommands.Add(Classify());
        command.Subcommands.Add(Ner());
        command.Subcommands.Add(Pos());
        command.Subcommands.Add(Qa());
        command.Subcommands.Add(Extract());
        command.Subcommands.Add(Keywords());
        foreach (TextTask task in Enum.GetValues<TextTask>()) command.Subcommands.Add(Rewrite(task));
        command.Subcommands.Add(Prompts());
        command.Subcommands.Add(TrainData());
        command.Subcommands.Add(Eval());
        return command;
    }

    private sealed class Flags
    {
        public readonly Option<string?> Model = new("--model", "-m") { Description = "A generative GGUF model (its chat template renders the prompt)" };
        public readonly Option<string?> PromptFile = new("--prompt-file")
        {
            Description = "A file whose text replaces the default prompt; placeholders: {text} {labels} {types} {tags} {context} {question} " +
                "{schema} {language} {k}",
        };
        public readonly Option<bool> Json = CommonOptions.Json();
        public readonly Option<int> Threads = CommonOptions.Threads();
        public readonly Argument<string> Text = new("TEXT") { Description = "The input text; - reads it from stdin" };

        public Command Command(string name, string description, bool withText = true)
        {
            var command = new Command(name, description) { Model, PromptFile, Json, Threads };
            if (withText) command.Arguments.Add(Text);
            return command;
        }

        public string InputText(ParseResult r) => ReadText(r.GetValue(Text)!);

        public string? Prompt(ParseResult r) => r.GetValue(PromptFile) is { } path ? ReadFile(path, "--prompt-file") : null;

        public LanguageModel LoadModel(ParseResult r, string task) =>
            GenerateCommand.Load(r.GetValue(Model) ?? throw new ArgumentException($"task {task}: needs a generative model, -m MODEL.gguf"),
                r.GetValue(Threads));

        public ITextEmbedder LoadEmbedder(ParseResult r)
        {
            using var progress = new ConsoleProgress("loading embedding model");
            return EmbedderCatalog.Load(null, null, r.GetValue(Threads));
        }
    }

    private static Command Classify()
    {
        var flags = new Flags();
        var labels = new Option<string>("--labels") { Description = "Comma-separated labels", Required = true };
        var hypothesis = new Option<string>("--hypothesis")
        {
            Description = "Without -m: the sentence each label is put in and compared with the text",
            DefaultValueFactory = _ => "This text is about {label}.",
        };
        var command = flags.Command("classify", "Pick one label for the text: with -m from the model's probability of each label as its reply, " +
            "without -m zero-shot with the built-in embedder\n  example: quill task classify --labels positive,negative \"I loved it\"");
        command.Options.Add(labels);
        command.Options.Add(hypothesis);
        command.SetAction(r => CliErrors.Run(() =>
        {
            string text = flags.InputText(r);
            string[] names = SplitList(r.GetValue(labels)!);
            IReadOnlyList<LabelScore> scores;
            if (r.GetValue(flags.Model) is null)
            {
                if (r.GetValue(flags.PromptFile) is not null) throw new ArgumentException("task classify: --prompt-file needs a generative model (-m)");
                using ITextEmbedder embedder = flags.LoadEmbedder(r);
                scores = new ZeroShotClassifier(embedder, r.GetValue(hypothesis)!).Classify(text, names);
            }
            else
            {
                using LanguageModel model = flags.LoadModel(r, "classify");
                scores = new GenerativeTasks(TaskModel.FromModel(model)).Classify(text, names, flags.Prompt(r));
            }
            Print(r.GetValue(flags.Json), scores, TaskJsonContext.Default.IReadOnlyListLabelScore, s => $"{s.Label}\t{F(s.Score)}");
            return 0;
        }));
        return command;
    }

    private static Command Ner()
    {
        var flags = new Flags();
        var types = new Option<string>("--types") { Description = "Comma-separated entity types", DefaultValueFactory = _ => "person,place,organization" };
        var command = flags.Command("ner", "Find named entities; each word is an exact span of the text at its code point offsets\n" +
            "  example: quill task ner -m model.gguf --types person,place \"Ada Lovelace was born in London\"");
        command.Options.Add(types);
        command.SetAction(r => CliErrors.Run(() =>
        {
            string text = flags.InputText(r);
            using LanguageModel model = flags.LoadModel(r, "ner");
            var entities = new GenerativeTasks(TaskModel.FromModel(model)).Ner(text, SplitList(r.GetValue(types)!), flags.Prompt(r));
            Print(r.GetValue(flags.Json), entities, TaskJsonContext.Default.IReadOnlyListEntitySpan, e =>
                $"{e.Entity}\t{e.Word}\t{e.Start}-{e.End}\t{F(e.Score)}");
            return 0;
        }));
        return command;
    }

    private static Command Pos()
    {
        var flags = new Flags();
        var command = flags.Command("pos", "Tag each word and punctuation mark with its Universal Dependencies part of speech\n" +
            "  example: quill task pos -m model.gguf \"The old man sat down.\"");
        command.SetAction(r => CliErrors.Run(() =>
        {
            string text = flags.InputText(r);
            using LanguageModel model = flags.LoadModel(r, "pos");
            var tags = new GenerativeTasks(TaskModel.FromModel(model)).Pos(text, flags.Prompt(r));
            Print(r.GetValue(flags.Json), tags, TaskJsonContext.Default.IReadOnlyListEntitySpan, e => $"{e.Word}\t{e.Entity}\t{e.Start}-{e.End}\t{F(e.Score)}");
            return 0;
        }));
        return command;
    }

    private static Command Qa()
    {
        var flags = new Flags();
        var context = new Option<string?>("--context") { Description = "The text that holds the answer" };
        var contextFile = new Option<string?>("--context-file") { Description = "A file that holds the answer (instead of --context)" };
        var question = new Argument<string>("QUESTION") { Description = "The question" };
        var command = flags.Command("qa", "Answer a question with an exact span of the context\n" +
            "  example: quill task qa -m model.gguf --context \"The Eiffel Tower is in Paris.\" \"Where is the Eiffel Tower?\"", withText: false);
        command.Options.Add(context);
        command.Options.Add(contextFile);
        command.Arguments.Add(question);
        command.SetAction(r => CliErrors.Run(() =>
        {
            string contextText = (r.GetValue(context), r.GetValue(contextFile)) switch
            {
                (string c, null) => c,
                (null, string path) => ReadFile(path, "--context-file"),
                (null, null) => throw new ArgumentException("task qa: give the context with --context or --context-file"),
                _ => throw new ArgumentException("task qa: give --context or --context-file, not both"),
            };
            using LanguageModel model = flags.LoadModel(r, "qa");
            ExtractedAnswer answer = new GenerativeTasks(TaskModel.FromModel(model)).Qa(contextText, r.GetValue(question)!, flags.Prompt(r));
            if (r.GetValue(flags.Json)) Console.Out.WriteLine(JsonSerializer.Serialize(answer, TaskJsonContext.Default.ExtractedAnswer));
            else Console.Out.WriteLine($"{answer.Answer}\t{answer.Start}-{answer.End}\t{F(answer.Score)}");
            return 0;
        }));
        return command;
    }

    private static Command Extract()
    {
        var flags = new Flags();
        var schema = new Option<string>("--schema") { Description = "A JSON Schema file the output must validate against", Required = true };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 512 };
        var command = flags.Command("extract", "Extract structured data as JSON that validates against a schema\n" +
            "  example: quill task extract -m model.gguf --schema person.schema.json \"Ada Lovelace, born 1815 in London\"");
        command.Options.Add(schema);
        command.Options.Add(maxTokens);
        command.SetAction(r => CliErrors.Run(() =>
        {
            string text = flags.InputText(r);
            string path = r.GetValue(schema)!;
            JsonElement schemaElement;
            try
            {
                using var document = JsonDocument.Parse(ReadFile(path, "--schema"));
                schemaElement = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: not JSON ({e.Message.ReplaceLineEndings(" ")})");
            }
            using LanguageModel model = flags.LoadModel(r, "extract");
            JsonElement result = new GenerativeTasks(TaskModel.FromModel(model)).Extract(text, schemaElement, flags.Prompt(r), r.GetValue(maxTokens));
            Console.Out.WriteLine(result.GetRawText());
            return 0;
        }));
        return command;
    }

    private static Command Keywords()
    {
        var flags = new Flags();
        var k = new Option<int>("-k") { Description = "How many keywords", DefaultValueFactory = _ => 5 };
        var command = flags.Command("keywords", "Key words and phrases of the text, each a substring of it: with -m listed by the model, " +
            "without -m KeyBERT-style with the built-in embedder (n-grams ranked by similarity to the text, diversified by MMR)\n" +
            "  example: quill task keywords -k 5 \"Solar panels turn sunlight into electricity...\"");
        command.Options.Add(k);
        command.SetAction(r => CliErrors.Run(() =>
        {
            string text = flags.InputText(r);
            IReadOnlyList<Keyword> keywords;
            if (r.GetValue(flags.Model) is null)
            {
                using ITextEmbedder embedder = flags.LoadEmbedder(r);
                keywords = new KeywordExtractor(embedder).Extract(text, r.GetValue(k));
            }
            else
            {
                using LanguageModel model = flags.LoadModel(r, "keywords");
                keywords = new GenerativeTasks(TaskModel.FromModel(model)).Keywords(text, r.GetValue(k), flags.Prompt(r));
            }
            Print(r.GetValue(flags.Json), keywords, TaskJsonContext.Default.IReadOnlyListKeyword, w => $"{w.Text}\t{w.Start}-{w.End}\t{F(w.Score)}");
            return 0;
        }));
        return command;
    }

    private static Command Rewrite(TextTask task)
    {
        var flags = new Flags();
        var sampling = new SamplingFlags();
        var language = new Option<string>("--to") { Description = "The language to translate into", Required = true };
        string name = task.ToString().ToLowerInvariant();
        string description = task switch
        {
            TextTask.Summarize => "Summarize the text\n  example: quill task summarize -m model.gguf < article.txt -",
            TextTask.Paraphrase => "Say the text again in other words\n  example: quill task paraphrase -m model.gguf \"The meeting was postponed.\"",
            TextTask.Simplify => "Rewrite the text in plain words\n  example: quill task simplify -m model.gguf \"Photosynthesis converts light...\"",
            TextTask.Translate => "Translate the text\n  example: quill task translate -m model.gguf --to French \"Where is the station?\"",
            TextTask.Complete => "Continue the text as written, with no chat template (the output starts with the text)\n" +
                "  example: quill task complete -m model.gguf \"Once upon a time\" -n 40",
            _ => "Follow an instruction (the text is the whole user message)\n  example: quill task generate -m model.gguf \"Write a haiku about rain\"",
        };
        var command = flags.Command(name, description);
        sampling.AddTo(command);
        if (task == TextTask.Translate) command.Options.Add(language);
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            string text = flags.InputText(r);
            using LanguageModel model = flags.LoadModel(r, name);
            var tasks = new GenerativeTasks(TaskModel.FromModel(model));
            bool json = r.GetValue(flags.Json);
            TextWriter stdout = Console.Out;
            if (!json && task == TextTask.Complete) stdout.Write(text);
            GeneratedText result = tasks.Rewrite(task, text, sampling.Request(r), task == TextTask.Translate ? r.GetValue(language) : null,
                flags.Prompt(r), json ? null : chunk =>
                {
                    stdout.Write(chunk);
                    stdout.Flush();
                }, ct);
            if (json) stdout.WriteLine(PlainJson.Serialize(new Dictionary<string, string> { [result.Key] = result.Text }));
            else stdout.WriteLine();
            return 0;
        })));
        return command;
    }

    private static Command Prompts()
    {
        var name = new Argument<string?>("TASK") { Description = "One task (default: every task)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("prompts", "Print each task's default prompt, the text --prompt-file replaces\n  example: quill task prompts ner") { name };
        command.SetAction(r => CliErrors.Run(() =>
        {
            (string Task, string Prompt)[] all =
            [
                ("classify", TaskPrompts.Classify), ("ner", TaskPrompts.Ner), ("pos", TaskPrompts.Pos), ("qa", TaskPrompts.Qa),
                ("extract", TaskPrompts.Extract), ("keywords", TaskPrompts.Keywords),
                .. Enum.GetValues<TextTask>().Select(t => (t.ToString().ToLowerInvariant(), GenerativeTasks.DefaultPrompt(t))),
            ];
            string? wanted = r.GetValue(name);
            var chosen = all.Where(p => wanted is null || p.Task == wanted).ToList();
            if (chosen.Count == 0)
            {
                throw new ArgumentException($"task prompts: unknown task '{wanted}', expected one of {string.Join(", ", all.Select(p => p.Task))}");
            }
            foreach (var (task, prompt) in chosen) Console.Out.WriteLine(wanted is null ? $"== {task}\n{prompt}\n" : prompt);
            return 0;
        }));
        return command;
    }

    private static Command TrainData()
    {
        var data = new Argument<string>("LABELLED") { Description = "Labelled examples, JSONL: classify, ner or qa lines (see quill task eval)" };
        var output = new Option<string>("--output", "-o") { Description = "The JSONL of conversations to write", Required = true };
        var command = new Command("train-data", "Turn labelled task examples into conversations for quill finetune: each task's default prompt " +
            "and the reply in the format decoding is constrained to\n  example: quill task train-data labelled.jsonl -o train.jsonl") { data, output };
        command.SetAction(r => CliErrors.Run(() =>
        {
            List<TaskExample> examples = TaskExample.ReadFile(r.GetValue(data)!);
            TaskTrainingData.Write(examples, r.GetValue(output)!);
            Console.Out.WriteLine($"wrote {examples.Count} conversations to {r.GetValue(output)}");
            return 0;
        }));
        return command;
    }

    private static Command Eval()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A generative GGUF model to score (without it: the baselines only)" };
        var data = new Option<string>("--data") { Description = "Labelled examples, JSONL (one object per line)", Required = true };
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var command = new Command("eval", "Score a model on labelled task examples beside simple baselines (exact match, entity F1)\n" +
            "  lines: {\"task\":\"classify\",\"text\",\"labels\",\"label\"} {\"task\":\"ner\",\"text\",\"types\",\"entities\":[{\"entity\",\"word\"}]} " +
            "{\"task\":\"qa\",\"context\",\"question\",\"answer\"}\n" +
            "  example: quill task eval -m runs/ft/model.gguf --data held-out.jsonl") { model, data, json, threads };
        command.SetAction(r => CliErrors.Run(() =>
        {
            List<TaskExample> examples = TaskExample.ReadFile(r.GetValue(data)!);
            using LanguageModel? lm = r.GetValue(model) is { } path ? GenerateCommand.Load(path, r.GetValue(threads)) : null;
            using ITextEmbedder embedder = EmbedderCatalog.Load(null, null, r.GetValue(threads));
            List<TaskScore> scores;
            using (var progress = new ConsoleProgress("evaluating"))
            {
                scores = TaskEvaluator.Evaluate(examples, lm is null ? null : new GenerativeTasks(TaskModel.FromModel(lm)), embedder,
                    done => progress.Report((double)done / examples.Count));
            }
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(PlainJson.Serialize(scores.Select(s => new Dictionary<string, object?>
                {
                    ["task"] = s.Task, ["system"] = s.System, ["examples"] = s.Examples, ["exact_match"] = s.ExactMatch, ["f1"] = s.F1,
                })));
                return 0;
            }
            Console.Out.WriteLine("task      system                examples  exact match  entity F1");
            foreach (TaskScore s in scores)
            {
                Console.Out.WriteLine($"{s.Task,-9} {s.System,-21} {s.Examples,8}  {F(s.ExactMatch),11}  {(s.F1 is double f ? F(f) : "-"),9}");
            }
            return 0;
        }));
        return command;
    }

    private static void Print<T>(bool json, IReadOnlyList<T> items, JsonTypeInfo<IReadOnlyList<T>> type, Func<T, string> line)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(items, type));
            return;
        }
        foreach (T item in items) Console.Out.WriteLine(line(item));
    }

    private static string[] SplitList(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string F(double score) => score.ToString("F4", CultureInfo.InvariantCulture);

    private static string ReadText(string text) => text == "-" ? Console.In.ReadToEnd() : EscapedText.Unescape(text);

    private static string ReadFile(string path, string flag)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file ({flag})", path);
        return File.ReadAllText(path);
    }
}
