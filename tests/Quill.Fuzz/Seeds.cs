// Small valid tokenizer files the tokenizer targets start from: a WordPiece and a BPE tokenizer.json, a vocab.txt, a .tiktoken.
using System.Text;

namespace Quill.Fuzz;

internal static class Seeds
{
    private static readonly string[] Words = ["hello", "world", "the", "a", "cat", "sat", ",", "!", ".", "1", "2", "3", "4", "5"];

    public static IReadOnlyList<byte[]> TokenizerJson(string scratch)
    {
        var vocab = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        vocab.AddRange(Words);
        vocab.AddRange(Enumerable.Range('a', 26).Select(c => ((char)c).ToString()));
        vocab.AddRange(Enumerable.Range('a', 26).Select(c => "##" + (char)c));
        string wordPiece = """
            {"version":"1.0","added_tokens":[{"id":2,"content":"[CLS]","special":true},{"id":3,"content":"[SEP]","special":true}],
             "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
             "pre_tokenizer":{"type":"BertPreTokenizer"},
             "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
               {"SpecialToken":{"id":"[SEP]","type_id":0}}],"pair":[],"special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},
               "[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
             "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
             "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
               "vocab":{VOCAB}}}
            """.Replace("VOCAB", string.Join(",", vocab.Select((t, i) => $"\"{t}\":{i}")), StringComparison.Ordinal);
        string bpe = """
            {"version":"1.0","added_tokens":[{"id":9,"content":"<|endoftext|>","special":true}],
             "normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
             "model":{"type":"BPE","unk_token":"<unk>","vocab":{"h":0,"e":1,"l":2,"o":3,"he":4,"ll":5,"hell":6,"hello":7,"<unk>":8,"<|endoftext|>":9},
               "merges":["h e","l l","he ll","hell o"]}}
            """;
        return [Encoding.UTF8.GetBytes(wordPiece), Encoding.UTF8.GetBytes(bpe)];
    }

    public static IReadOnlyList<byte[]> VocabTxt(string scratch)
    {
        IEnumerable<string> lines = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words, .. Enumerable.Range('a', 26).Select(c => ((char)c).ToString()),
            .. Enumerable.Range('a', 26).Select(c => "##" + (char)c)];
        return [Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")];
    }

    public static IReadOnlyList<byte[]> Tiktoken(string scratch)
    {
        var s = new StringBuilder();
        for (int b = 0; b < 256; b++) s.Append(Convert.ToBase64String([(byte)b])).Append(' ').Append(b).Append('\n');
        int rank = 256;
        foreach (string word in Words) s.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(" " + word))).Append(' ').Append(rank++).Append('\n');
        return [Encoding.UTF8.GetBytes(s.ToString())];
    }
}
