// Generated samples for the drift tests: normal numbers, weighted categories and short texts on two topics; not a test.
namespace Quill.Monitoring.Tests;

internal static class SampleData
{
    public static readonly string[] SupportQuestions =
    [
        "How do I reset my password?", "What is the refund policy for my order?", "My package has not arrived yet",
        "Can I change my shipping address?", "How do I cancel my subscription?", "The app crashes when I log in",
        "Where can I find my invoice?", "Is there a discount for students?", "I was charged twice this month",
        "How do I update my credit card?",
    ];

    public static readonly string[] ScienceQuestions =
    [
        "Explain photosynthesis in simple terms", "What causes the tides in the ocean?", "How far away is the Moon?",
        "Why is the sky blue?", "What is a black hole?", "How do volcanoes form?", "What is the speed of light?",
        "How do plants absorb water?", "Why do stars twinkle at night?", "What are atoms made of?",
    ];

    private static readonly string[] Endings = ["", " please", " thanks", " right now", " today", " asap"];

    /// <summary>A normal draw (Box–Muller).</summary>
    public static double Normal(Random random, double mean = 0, double std = 1) =>
        mean + std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>A category drawn with <paramref name="weights"/>.</summary>
    public static string Category(Random random, string[] names, double[] weights)
    {
        double u = random.NextDouble() * weights.Sum();
        for (int i = 0; i < names.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return names[i];
        }
        return names[^1];
    }

    /// <summary>A question from <paramref name="topic"/> with a random ending.</summary>
    public static string Text(Random random, string[] topic) => topic[random.Next(topic.Length)] + Endings[random.Next(Endings.Length)];

    /// <summary>A table with columns latency (number), plan (category) and question (text).</summary>
    public static Quill.Monitoring.Data.Sample Table(string source, int rows, int seed, double shift = 0, double[]? weights = null, string[]? topic = null)
    {
        var random = new Random(seed);
        var sample = new Quill.Monitoring.Data.Sample(source);
        for (int i = 0; i < rows; i++)
        {
            sample.AddRow(
            [
                new("latency", Normal(random, 100 + shift, 10)),
                new("plan", Category(random, ["free", "pro", "team"], weights ?? [6, 3, 1])),
                new("question", Text(random, topic ?? SupportQuestions)),
            ]);
        }
        return sample;
    }

    /// <summary>The same table as JSON lines.</summary>
    public static void WriteJsonLines(string path, int rows, int seed, double shift = 0, double[]? weights = null, string[]? topic = null)
    {
        Quill.Monitoring.Data.Sample t = Table(path, rows, seed, shift, weights, topic);
        using var writer = new StreamWriter(path);
        for (int i = 0; i < rows; i++)
        {
            writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["latency"] = t.Column("latency")[i], ["plan"] = t.Column("plan")[i], ["question"] = t.Column("question")[i],
            }));
        }
    }
}
