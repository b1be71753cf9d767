// `quill logits -m MODEL --ids 1,2,3`: the logits at the last position as one JSON array, for differential checks.
using System.CommandLine;
using System.Globalization;
using System.Text;
using Quill.Models;

namespace Quill.Cli.Commands;

internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids to evaluate", Required = true };
        var threads = CommonOptions.Threads();
        var kvType = CommonOptions.KvType();
        var command = new Command("logits", "Print the logits after evaluating token ids, as a JSON array\n  example: quill logits -m model.gguf --ids 1,2,3")
        {
            model, ids, threads, kvType,
        };
        command.SetAction(r => CliErrors.Run(() => Print(r.GetValue(model)!, r.GetValue(ids)!, r.GetValue(threads), CommonOptions.KvType(r, kvType))));
        return command;
    }

    private static int Print(string path, string idList, int threads, KvCacheType kvCacheType)
    {
        var tokens = ParseIds(idList);
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = threads, KvCacheType = kvCacheType });
        using var state = lm.Model.CreateState(Math.Max(tokens.Length, 1));
        var logits = new float[lm.Model.VocabSize];
        foreach (int id in tokens)
            if ((uint)id >= (uint)lm.Model.VocabSize) throw new ArgumentException($"--ids: token id {id} is outside the vocabulary of {lm.Model.VocabSize}");
        state.Append(tokens, logits);
        var sb = new StringBuilder(logits.Length * 12).Append('[');
        for (int i = 0; i < logits.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(logits[i].ToString("R", CultureInfo.InvariantCulture));
        }
        Console.Out.WriteLine(sb.Append(']').ToString());
        return 0;
    }

    internal static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("--ids: expected comma-separated token ids, got nothing");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
                throw new ArgumentException($"--ids: '{parts[i]}' is not a token id");
        return ids;
    }
}
