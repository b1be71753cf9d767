// `quill tokenizer train`: learns a byte-level BPE from corpus files and writes tokenizer.json and GGUF; the trainer lives in Quill.Tokenizers.Training.
using System.CommandLine;
using System.Diagnostics;
using Quill.Tokenizers.Training;

namespace Quill.Cli.Commands;

internal static class TokenizerCommand
{
    private const string DefaultSpecial = "<|endoftext|>";

    public static Command Create()
    {
        var command = new Command("tokenizer", "Build tokenizers: train learns a byte-level BPE, written as tokenizer.json and GGUF\n" +
            "  example: quill tokenizer train --vocab 8000 -o my-tok corpus.txt") { Train() };
        return command;
    }

    private static Command Train()
    {
        var corpus = new Argument<string[]>("CORPUS") { Description = "UTF-8 text files to learn from", Arity = ArgumentArity.OneOrMore };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size, the 256 byte tokens and the special tokens included", Required = true };
        var minFrequency = new Option<int>("--min-frequency") { Description = "Merge no pair seen fewer times than this (default: any pair)" };
        var special = new Option<string[]>("--special")
        {
            Description = $"A special token (repeatable), given the first ids in order; default {DefaultSpecial}",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "The folder to write tokenizer.json, tokenizer_config.json and tokenizer.gguf into",
            Required = true
        };
        var train = new Command("train", "Learn a byte-level BPE (GPT-2 pre-tokenizer) from text\n" +
            "  example: quill tokenizer train --vocab 8000 --special \"<|endoftext|>\" --special \"<|im_start|>\" --special \"<|im_end|>\" -o my-tok " +
                "corpus.txt")
        {
            corpus, vocab, minFrequency, special, output,
        };
        train.SetAction(r => CliErrors.Run(() =>
        {
            string[] files = r.GetValue(corpus)!;
            string[] specials = r.GetValue(special) is { Length: > 0 } given ? given : [DefaultSpecial];
            var trainer = new BpeTrainer(new BpeTrainerOptions
            {
                VocabularySize = r.GetValue(vocab), MinFrequency = r.GetValue(minFrequency), SpecialTokens = specials,
            });
            foreach (string file in files)
            {
                if (!File.Exists(file)) throw new FileNotFoundException($"{file}: expected a corpus text file, found no such file", file);
            }

            var clock = Stopwatch.StartNew();
            foreach (string file in files) trainer.AddFile(file);
            if (trainer.TotalWords == 0) throw new InvalidDataException($"{string.Join(", ", files)}: expected text to learn from, found no words");
            Console.Error.WriteLine($"counted {trainer.TotalWords:N0} words ({trainer.DistinctWords:N0} distinct) in {clock.Elapsed.TotalSeconds:F1} s");

            int mergesWanted = Math.Max(1, trainer.Options.VocabularySize - trainer.Options.MinimumVocabularySize);
            TrainedBpe trained;
            using (var bar = new ConsoleProgress("merging"))
            {
                trained = trainer.Train(new Progress(done => bar.Report((double)done / mergesWanted)));
            }
            TrainedBpeFiles written = trained.WriteFiles(r.GetValue(output)!);
            Console.Error.WriteLine($"learned {trained.Merges.Count:N0} merges, {trained.Tokens.Count:N0} tokens in {clock.Elapsed.TotalSeconds:F1} s" +
                (trained.Tokens.Count < trainer.Options.VocabularySize ? $" (fewer than {trainer.Options.VocabularySize:N0}: no pair left to merge)" : ""));
            Console.Out.WriteLine(written.TokenizerJson);
            Console.Out.WriteLine(written.TokenizerConfig);
            Console.Out.WriteLine(written.Gguf);
            return 0;
        }));
        return train;
    }

    /// <summary>Calls back on the training thread (System.Progress would post to the thread pool).</summary>
    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
