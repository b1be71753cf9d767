// Plain English sentences of varied length for the encoder tests; not a benchmark corpus.
namespace Quill.Tests.Embeddings;

internal static class EnglishSentences
{
    private static readonly string[] Base =
    [
        "The cat sat on the mat.",
        "A man is playing a guitar on the street corner.",
        "The new movie is awesome!",
        "The weather today is sunny with a light breeze from the west.",
        "King, man, woman, queen.",
        "I love programming in C# because the tooling is excellent.",
        "Transformers encode text into vectors that capture meaning.",
        "She sells seashells by the seashore.",
        "How do I reset my password if I no longer have access to my email?",
        "The stock market fell sharply after the announcement of new tariffs.",
        "Paris is the capital of France, and Berlin is the capital of Germany.",
        "Please summarize the following paragraph in two sentences.",
        "Quantum computers use qubits, which can be in superpositions of states.",
        "My grandmother's recipe for apple pie calls for cinnamon and nutmeg.",
        "The quick brown fox jumps over the lazy dog.",
        "Dogs are loyal companions and have lived alongside humans for thousands of years.",
        "Is this restaurant open on Sundays?",
        "The committee postponed the vote until further evidence could be gathered.",
        "Water boils at one hundred degrees Celsius at sea level.",
        "He didn't know whether to laugh or cry when he heard the news.",
        "Machine learning models can be biased if their training data is biased.",
        "The library closes at 9 p.m. on weekdays and 5 p.m. on weekends.",
        "Photosynthesis converts light energy into chemical energy stored in glucose.",
        "Our team shipped the release two days ahead of schedule.",
        "What's the difference between a virus and a bacterium?",
        "The orchestra played Beethoven's Ninth Symphony to a standing ovation.",
        "Remember to back up your files before upgrading the operating system.",
        "The mountain trail was steep, rocky, and covered in fresh snow.",
        "A healthy diet includes fruits, vegetables, whole grains, and lean protein.",
        "They signed the contract on March 3rd, 2021, in New York City.",
        "Electric cars are becoming cheaper as battery prices keep falling.",
        "Can you recommend a good book about the history of mathematics?",
        "The detective examined the footprints leading away from the window.",
        "Sunlight takes about eight minutes to travel from the Sun to Earth.",
        "I'm sorry, but I can't attend the meeting tomorrow morning.",
        "The children built a sandcastle with towers, walls, and a moat.",
        "Semantic search ranks documents by the similarity of their embeddings.",
        "The bridge was closed for repairs after the earthquake.",
        "Coffee, tea, or hot chocolate: which would you prefer?",
        "In 1969, astronauts landed on the Moon for the first time.",
    ];

    /// <summary>The base sentences, then runs of 2 to 12 consecutive sentences joined, <paramref name="count"/> in all.</summary>
    public static string[] Varied(int count)
    {
        var result = new List<string>(Base);
        for (int i = 0; result.Count < count; i++)
        {
            int length = 2 + i % 11, start = (i * 7) % Base.Length;
            result.Add(string.Join(" ", Enumerable.Range(0, length).Select(j => Base[(start + j) % Base.Length])));
        }
        return [.. result.Take(count)];
    }

    /// <summary>A text of well over 512 WordPiece tokens.</summary>
    public static string Long() => string.Join(" ", Enumerable.Repeat(string.Join(" ", Base), 3));
}
