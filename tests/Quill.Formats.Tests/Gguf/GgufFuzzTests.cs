// Seeded mutations of a valid GGUF file: Open must succeed or throw ModelFormatException, never anything else; not a coverage-guided fuzzer.
using Quill.Formats.Gguf;

namespace Quill.Formats.Tests.Gguf;

public class GgufFuzzTests
{
    private const int Seed = 20240611;
    private const int Variants = 400;

    [Fact]
    public void Mutated_files_open_or_fail_with_ModelFormatException()
    {
        using var folder = new TempFolder();
        byte[] original = GgufBadInputTests.SmallFile(folder);
        var random = new Random(Seed);
        int opened = 0, rejected = 0;
        for (int variant = 0; variant < Variants; variant++)
        {
            byte[] bytes = Mutate(original, random);
            string path = folder.Write("fuzz.gguf", bytes);
            try
            {
                using var file = GgufFile.Open(path);
                foreach (GgufValue value in file.Metadata.Values) _ = value.ToString();
                foreach (GgufTensorInfo tensor in file.Tensors) _ = file.GetTensorData(tensor).Length;
                opened++;
            }
            catch (ModelFormatException error)
            {
                Assert.DoesNotContain('\n', error.Message);
                rejected++;
            }
            catch (Exception error)
            {
                Assert.Fail($"variant {variant} threw {error.GetType().Name}: {error.Message}");
            }
        }
        Assert.True(opened > 0 && rejected > 0, $"opened {opened}, rejected {rejected}: the mutations should do both");
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0: // flip a few bits
                for (int i = random.Next(1, 4); i > 0; i--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // a random byte
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 2: // a large little-endian value over a 4- or 8-byte window, where counts and lengths live
                int at = random.Next(bytes.Length - 8);
                ulong value = random.Next(3) switch { 0 => ulong.MaxValue, 1 => 1ul << random.Next(64), _ => (ulong)random.NextInt64() };
                BitConverter.TryWriteBytes(bytes.AsSpan(at, random.Next(2) == 0 ? 8 : 4), random.Next(2) == 0 ? value : (uint)value);
                return bytes;
            default: // truncate
                return bytes[..random.Next(bytes.Length)];
        }
    }
}
