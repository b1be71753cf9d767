// ./fuzz TARGET [--minutes N] [--seed S]: mutates seeds for N minutes and saves each new crash, hang or oversized allocation as a regression input.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Quill.Fuzz;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine($"usage: ./fuzz TARGET|all [--minutes N] [--seed S] [--out DIR]\n  targets: {string.Join(", ", FuzzRunner.Targets.Keys)}");
    return args.Length == 0 ? 2 : 0;
}
double minutes = 1;
int seed = Environment.TickCount;
string output = Path.Combine(FindRoot(), "tests", "fuzz-regressions");
for (int i = 1; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--minutes": minutes = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--out": output = args[++i]; break;
        default: Console.Error.WriteLine($"fuzz: unknown argument '{args[i]}'"); return 2;
    }
}
string[] names = args[0] == "all" ? [.. FuzzRunner.Targets.Keys] : [args[0]];
int crashes = 0;
foreach (string name in names)
{
    if (!FuzzRunner.Targets.TryGetValue(name, out Func<FuzzTarget>? make))
    {
        Console.Error.WriteLine($"fuzz: unknown target '{name}'; targets: {string.Join(", ", FuzzRunner.Targets.Keys)}");
        return 2;
    }
    using FuzzTarget target = make();
    crashes += Fuzz(target, TimeSpan.FromMinutes(minutes / names.Length), seed, Path.Combine(output, name));
}
return crashes == 0 ? 0 : 1;

static int Fuzz(FuzzTarget target, TimeSpan duration, int seed, string folder)
{
    var random = new Random(seed);
    IReadOnlyList<byte[]> seeds = target.Seeds();
    foreach (byte[] s in seeds)
    {
        FuzzOutcome o = FuzzRunner.RunOne(target, s);
        if (o.IsCrash) Console.Error.WriteLine($"fuzz {target.Name}: a seed fails: {o.Signature}");
    }
    var pool = new List<byte[]>(seeds); // seeds plus recent inputs that ran cleanly, to stack mutations
    int maxInput = Math.Max(64 << 10, 4 * seeds.Max(s => s.Length)); // stacked duplications must not grow inputs without bound
    var seen = new HashSet<string>();
    var clock = Stopwatch.StartNew();
    long runs = 0;
    int saved = 0;
    while (clock.Elapsed < duration)
    {
        byte[] input = target.Mutate(pool[random.Next(pool.Count)], pool[random.Next(pool.Count)], random);
        if (input.Length > maxInput) continue;
        FuzzOutcome outcome = FuzzRunner.RunOne(target, input);
        runs++;
        if (outcome.IsCrash)
        {
            if (seen.Add(outcome.Signature))
            {
                saved++;
                string path = Save(folder, outcome, input);
                Console.WriteLine($"fuzz {target.Name}: {outcome.Signature}\n  saved {path}");
            }
            if (outcome.Kind == "hang") break; // its thread still runs; stop here
        }
        else if (random.Next(8) == 0)
        {
            if (pool.Count < seeds.Count + 64) pool.Add(input);
            else pool[seeds.Count + random.Next(64)] = input;
        }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"fuzz {target.Name}: {runs} runs in {clock.Elapsed.TotalMinutes:F1} min ({runs / clock.Elapsed.TotalSeconds:F0}/s), {saved} new crash signatures"));
    return saved;
}

static string Save(string folder, FuzzOutcome outcome, byte[] input)
{
    Directory.CreateDirectory(folder);
    string name = $"{outcome.Kind}-{Convert.ToHexString(SHA256.HashData(input))[..12].ToLowerInvariant()}";
    string path = Path.Combine(folder, name + ".bin");
    File.WriteAllBytes(path, input);
    File.WriteAllText(Path.Combine(folder, name + ".txt"),
        $"{outcome.Signature}\nallocated {outcome.AllocatedBytes} bytes in {outcome.Elapsed.TotalSeconds:F2} s\n{outcome.Error}\n");
    return path;
}

static string FindRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        if (File.Exists(Path.Combine(dir, "Quill.slnx"))) return dir;
    return Directory.GetCurrentDirectory();
}
