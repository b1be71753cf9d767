// `./bench server`: aggregate generated tokens/s and time to first token of the real server under 1..N concurrent streams.
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Quill.Generation;
using Quill.Server;
using Quill.Serving;

namespace Quill.Benchmarks;

/// <summary>
/// `server [--model PATH] [--streams 1,4,16] [--tokens 64] [--prompt-words 24] [--threads N] [--rounds 2]`:
/// starts QuillServer in this process on a free loopback port (by default on the 110M-parameter Q8_0 model that
/// `compare` uses, created once), then for each stream count runs that many clients at once, each streaming a
/// /v1/completions request over HTTP (SSE), and reports the aggregate completion tokens/s (from the usage of every
/// stream, over the wall time of the round, prompt processing included), the decode-phase aggregate (each stream's
/// tokens after its first over the time from its first token to its last, summed over the streams: what batching
/// multiplies), the steady decode rate (text chunks of every stream inside the window where all of them are decoding,
/// from the last stream's first token to the first stream's last, over that window: no prompt is being processed then,
/// as in llama-batched-bench's S_TG) and p50/p99 time to first token. The ratio columns are each aggregate
/// over the one-stream row of the same run. Every request is seeded and sampled at temperature 1, and every stream of
/// every round sends its own prompt (a different first word), so no slot answers from another request's cached prefix.
/// <para>
/// `server --prefix-reuse [--prompt-tokens 900] [--tokens 16]`: prompt-prefix reuse instead. One slot; the same prompt
/// of that many token ids goes to /v1/completions twice (greedy), and the wall time of each answer, its
/// usage.prompt_tokens_details.cached_tokens and the cold / warm ratio are printed.
/// </para>
/// </summary>
public static class ServerLoad
{
    public static async Task<int> Run(string[] args)
    {
        string? model = null;
        int[] streams = [1, 4, 16];
        int tokens = 64, promptWords = 24, threads = Environment.ProcessorCount, rounds = 2, promptTokens = 900;
        bool prefixReuse = false;
        string folder = Comparison.BenchModel.DefaultFolder;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--streams": streams = [.. args[++i].Split(',').Select(int.Parse)]; break;
                case "--tokens": tokens = int.Parse(args[++i]); break;
                case "--prompt-words": promptWords = int.Parse(args[++i]); break;
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--rounds": rounds = int.Parse(args[++i]); break;
                case "--folder": folder = args[++i]; break;
                case "--batcher": break;
                case "--prefix-reuse": prefixReuse = true; break;
                case "--prompt-tokens": promptTokens = int.Parse(args[++i]); break;
                default: Console.Error.WriteLine($"server: unknown argument '{args[i]}'"); return 2;
            }
        }
        model ??= ModelComparison.Make(folder, "110m-q8_0");
        if (prefixReuse) return await PrefixReuse(model, promptTokens, args.Contains("--tokens") ? tokens : 16, threads);
        int slots = streams.Max();
        if (args.Contains("--batcher")) return await BatcherOnly(model, streams, tokens, promptWords, threads);
        await using var server = await QuillServer.StartAsync(new ServerOptions
        {
            ModelPath = model, Port = 0, Parallel = slots, Threads = threads, ContextLength = 512, QueueCapacity = 4 * slots,
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        string words = string.Join(' ', Enumerable.Range(0, promptWords).Select(i => "word" + i));
        Console.WriteLine($"model {Path.GetFileName(model)}, threads {threads}, slots {slots}, {tokens} tokens per stream, " +
            $"{promptWords}-word prompts, best of {rounds} rounds");
        Console.WriteLine($"{"streams",8} {"tokens",8} {"seconds",8} {"agg tok/s",10} {"ratio",7} {"decode tok/s",13} {"ratio",7} " +
            $"{"steady tok/s",13} {"ratio",7} {"ttft p50 ms",12} {"ttft p99 ms",12}");
        int round = 0;
        await RunRound(http, 1, tokens, words, round++); // warm-up: JIT, first-touch of the weights
        Round? single = null;
        foreach (int n in streams)
        {
            Round best = default;
            for (int r = 0; r < rounds; r++)
            {
                Round next = await RunRound(http, n, tokens, words, round++);
                if (next.TokensPerSecond > best.TokensPerSecond) best = next;
            }
            single ??= n == 1 ? best : null;
            string ratio = single is { } s ? $"{best.TokensPerSecond / s.TokensPerSecond:F2}x" : "";
            string decodeRatio = single is { } d ? $"{best.DecodeTokensPerSecond / d.DecodeTokensPerSecond:F2}x" : "";
            string steadyRatio = single is { } t ? $"{best.SteadyTokensPerSecond / t.SteadyTokensPerSecond:F2}x" : "";
            Console.WriteLine($"{n,8} {best.Tokens,8} {best.Seconds,8:F2} {best.TokensPerSecond,10:F1} {ratio,7} {best.DecodeTokensPerSecond,13:F1} " +
                $"{decodeRatio,7} {best.SteadyTokensPerSecond,13:F1} {steadyRatio,7} {best.TtftP50 * 1000,12:F0} {best.TtftP99 * 1000,12:F0}");
        }
        return 0;
    }

    /// <summary>
    /// `--batcher`: the same load on ContinuousBatcher in process, no HTTP, to tell engine time from server time. As over
    /// HTTP, every stream of every round has its own prompt (a different first word), so no slot reuses a cached prefix;
    /// ratios are over the first one-stream row after a warm-up round.
    /// </summary>
    private static async Task<int> BatcherOnly(string path, int[] streams, int tokens, int promptWords, int threads)
    {
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = threads });
        using var batcher = new ContinuousBatcher(lm.Model, lm.Tokenizer, new BatcherOptions { Slots = streams.Max(), ContextLength = 512 });
        string words = string.Join(' ', Enumerable.Range(0, promptWords).Select(i => "word" + i));
        int round = 0;
        Console.WriteLine($"ContinuousBatcher in process, {Path.GetFileName(path)}, threads {threads}, {tokens} tokens per stream");
        double? single = null;
        foreach (int n in streams.Prepend(1))
        {
            int thisRound = round++;
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(Enumerable.Range(0, n).Select(i => batcher.GenerateAsync(new GenerationRequest
            {
                Prompt = $"{thisRound}-{i} {words}",
                MaxTokens = tokens,
                Sampling = new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = (ulong)i },
            })));
            double rate = results.Sum(r => r.CompletionTokens) / clock.Elapsed.TotalSeconds;
            if (thisRound == 0)
            {
                Console.WriteLine($"{n,8} stream  {rate,10:F1} tok/s (warm-up: JIT, first touch of the weights)");
                continue;
            }
            single ??= n == 1 ? rate : null;
            Console.WriteLine($"{n,8} streams {rate,10:F1} tok/s " + (single is { } s ? $"{rate / s,7:F2}x" : ""));
        }
        return 0;
    }

    /// <summary>`--prefix-reuse`: the same long prompt twice on one slot, cold then from the slot's kept KV cache.</summary>
    private static async Task<int> PrefixReuse(string model, int promptTokens, int tokens, int threads)
    {
        await using var server = await QuillServer.StartAsync(new ServerOptions
        {
            ModelPath = model, Port = 0, Parallel = 1, Threads = threads, ContextLength = promptTokens + tokens + 16,
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        var random = new Random(1);
        int[] prompt = [.. Enumerable.Range(0, promptTokens).Select(_ => random.Next(100, 1000))];
        await Complete(http, [.. Enumerable.Range(0, 32).Select(i => 2000 + i)], 2); // warm-up (JIT, weights), a prompt sharing nothing
        var cold = await Complete(http, prompt, tokens);
        var warm = await Complete(http, prompt, tokens);
        if (cold.Text != warm.Text) Console.Error.WriteLine("prefix-reuse: the warm answer differs from the cold one");
        Console.WriteLine($"model {Path.GetFileName(model)}, threads {threads}, 1 slot, {promptTokens}-token prompt, {tokens} tokens greedy, /v1/completions");
        Console.WriteLine($"{"run",6} {"seconds",8} {"cached_tokens",14} {"completion",11}");
        Console.WriteLine($"{"cold",6} {cold.Seconds,8:F3} {cold.Cached,14} {cold.Completion,11}");
        Console.WriteLine($"{"warm",6} {warm.Seconds,8:F3} {warm.Cached,14} {warm.Completion,11}");
        Console.WriteLine($"cold / warm: {cold.Seconds / warm.Seconds:F2}x" + (cold.Text == warm.Text ? ", same text" : ", TEXT DIFFERS"));
        return cold.Text == warm.Text ? 0 : 1;
    }

    private static async Task<(double Seconds, int Cached, int Completion, string Text)> Complete(HttpClient http, int[] prompt, int tokens)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync("v1/completions", new { prompt, max_tokens = tokens, temperature = 0.0 });
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        double seconds = clock.Elapsed.TotalSeconds;
        JsonElement usage = doc.RootElement.GetProperty("usage");
        return (seconds, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(),
            doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!);
    }

    private readonly record struct Round(int Tokens, double Seconds, double TokensPerSecond, double DecodeTokensPerSecond,
        double SteadyTokensPerSecond, double TtftP50, double TtftP99);

    /// <summary>One round: <paramref name="streams"/> clients at once, stream i of round r prompted "r-i words...".</summary>
    private static async Task<Round> RunRound(HttpClient http, int streams, int tokens, string words, int round)
    {
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, streams).Select(i =>
            Stream(http, $"{round}-{i} {words}", tokens, seed: (ulong)(1000 * round + i), clock)));
        double seconds = clock.Elapsed.TotalSeconds;
        int total = results.Sum(r => r.Tokens);
        double decode = results.Sum(r => r.Tokens > 1 && r.Last > r.Ttft ? (r.Tokens - 1) / (r.Last - r.Ttft) : 0);
        double[] ttft = [.. results.Select(r => r.Ttft).Order()];
        return new Round(total, seconds, total / seconds, decode, Steady(results.Select(r => r.Chunks).ToArray()), Percentile(ttft, 0.50),
            Percentile(ttft, 0.99));
    }

    /// <summary>
    /// Chunks per second while every stream decodes: from the last stream's first chunk to the first stream's last, the
    /// chunks after the window's start up to its end over its length; 0 when the streams never all decoded at once.
    /// </summary>
    private static double Steady(List<double>[] chunks)
    {
        if (chunks.Any(c => c.Count < 2)) return 0;
        double start = chunks.Max(c => c[0]), end = chunks.Min(c => c[^1]);
        if (end <= start) return 0;
        return chunks.Sum(c => c.Count(t => t > start && t <= end)) / (end - start);
    }

    /// <summary>
    /// One streamed completion: its completion tokens, the seconds from its start to its first and to its last text chunk,
    /// and the time of every text chunk on the round's clock (shared by the round's streams).
    /// </summary>
    private static async Task<(int Tokens, double Ttft, double Last, List<double> Chunks)> Stream(HttpClient http, string prompt, int tokens,
        ulong seed, Stopwatch round)
    {
        double begun = round.Elapsed.TotalSeconds;
        var body = new { prompt, max_tokens = tokens, temperature = 1.0, seed, stream = true, stream_options = new { include_usage = true } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        int completion = 0;
        var chunks = new List<double>(tokens);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line[6..];
            if (data == "[DONE]") break;
            using var doc = JsonDocument.Parse(data);
            if (doc.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                && choices[0].GetProperty("text").GetString() is { Length: > 0 })
                chunks.Add(round.Elapsed.TotalSeconds);
            if (doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                completion = usage.GetProperty("completion_tokens").GetInt32();
        }
        return chunks.Count == 0
            ? (completion, round.Elapsed.TotalSeconds - begun, 0, chunks)
            : (completion, chunks[0] - begun, chunks[^1] - begun, chunks);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
