// `quill tokenize`: ids, token spellings, a coloured view, or several tokenizers side by side; the tokenizers live in Quill.Tokenizers.
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Quill.Formats;
using Quill.Tokenizers;

namespace Quill.Cli.Commands;

internal static class TokenizeCommand
{
    private static readonly JsonSerializerOptions JsonText = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var text = new Argument<string>("TEXT") { Description = "The text to tokenize; - reads it from stdin" };
        var tokenizer = new Option<string?>("--tokenizer", "-t")
        {
            Description = "A built-in name (" + string.Join(", ", BuiltInList()) + ") or a .gguf, tokenizer.json, .tiktoken or vocab.txt file",
        };
        var ids = new Option<bool>("--ids") { Description = "Print one JSON array of token ids" };
        var tokens = new Option<bool>("--tokens") { Description = "Print one JSON array of tokens as the vocabulary spells them" };
        var show = new Option<bool>("--show") { Description = "Show the text with each token on its own colour, then a table of ids and tokens (the default)" };
        var compare = new Option<string?>("--compare") { Description = "Comma-separated tokenizers to show one under another with their token counts" };
        var noSpecial = new Option<bool>("--no-special") { Description = "Leave out the special tokens the tokenizer adds ([CLS] … [SEP], BOS)" };
        var parseSpecial = new Option<bool>("--parse-special") { Description = "Treat special-token text inside TEXT (<s>, [SEP]) as those tokens" };
        var noColor = new Option<bool>("--no-color") { Description = "No colours (also when stdout is not a terminal or NO_COLOR is set)" };
        var escape = new Option<bool>("--escape", "-e") { Description = "Process \\n, \\t, \\\\ escapes in TEXT" };
        var command = new Command("tokenize", "Split text into tokens and show them\n" +
            "  example: quill tokenize -t gpt2 --tokens \"Megatron loves only himself\"\n" +
            "  example: quill tokenize --compare bert-base-uncased,gpt2,cl100k_base -e \"My name is HOLIDAY\\n12.0*12=144\"")
        {
            text, tokenizer, ids, tokens, show, compare, noSpecial, parseSpecial, noColor, escape,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string input = ReadText(r.GetValue(text)!, r.GetValue(escape));
            bool addSpecial = !r.GetValue(noSpecial), parse = r.GetValue(parseSpecial);
            bool color = !r.GetValue(noColor) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
            if (r.GetValue(compare) is { } names)
            {
                Compare(names, input, addSpecial, parse, color);
                return 0;
            }
            string name = r.GetValue(tokenizer) ?? throw new ArgumentException("--tokenizer (-t) is required unless --compare is given");
            if (r.GetValue(ids) && r.GetValue(tokens)) throw new ArgumentException("--ids and --tokens print different arrays: give one");
            ITokenizer loaded = TokenizerCatalog.Load(name);
            EncodedToken[] encoded = loaded.EncodeWithOffsets(input, addSpecial, parse);
            TextWriter o = Console.Out;
            if (r.GetValue(ids)) o.WriteLine(PlainJson.Serialize(encoded.Select(t => t.Id), JsonText));
            else if (r.GetValue(tokens)) o.WriteLine(PlainJson.Serialize(encoded.Select(t => loaded.TokenText(t.Id)), JsonText));
            else
            {
                o.Write(TokenView.RenderText(input, encoded, loaded, color));
                o.WriteLine();
                o.WriteLine($"{encoded.Length} tokens, {input.Length} characters");
                o.Write(TokenView.RenderTable(input, encoded, loaded));
            }
            return 0;
        }));
        return command;
    }

    private static void Compare(string names, string input, bool addSpecial, bool parseSpecial, bool color)
    {
        string[] list = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0) throw new ArgumentException("--compare needs at least one tokenizer name");
        var loaded = list.Select(TokenizerCatalog.Load).ToArray();
        TextWriter o = Console.Out;
        for (int i = 0; i < list.Length; i++)
        {
            EncodedToken[] encoded = loaded[i].EncodeWithOffsets(input, addSpecial, parseSpecial);
            o.WriteLine(color ? $"\u001b[1m{list[i]}\u001b[0m: {encoded.Length} tokens" : $"{list[i]}: {encoded.Length} tokens");
            o.Write(TokenView.RenderText(input, encoded, loaded[i], color));
            if (i + 1 < list.Length) o.WriteLine();
        }
    }

    private static string ReadText(string text, bool escape)
    {
        if (text == "-")
        {
            using var reader = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, false));
            return reader.ReadToEnd();
        }
        return escape ? EscapedText.Unescape(text) : text;
    }

    private static IEnumerable<string> BuiltInList() =>
        TokenizerCatalog.BuiltInNames.Count > 0 ? TokenizerCatalog.BuiltInNames.Order() : ["gpt2", "cl100k_base", "bert-base-uncased"];
}
