// Saves checkpoints of a known pattern in a loop until killed, announcing each save on stdout; the kill -9 test's child, not a tool.
// Usage: CheckpointKillChild <folder> <payload MiB> <keep last>
using Quill.Training.Checkpoints;

string folder = args[0];
int mebibytes = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
int keepLast = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var store = new CheckpointStore(folder, keepLast);
var steps = store.Steps();
long step = steps.Count == 0 ? 1 : steps[^1] + 1;
var chunk = new byte[1 << 20];
for (; ; step++)
{
    Console.Out.WriteLine($"begin {step}");
    Console.Out.Flush();
    store.Save(step, payload =>
    {
        for (int i = 0; i < mebibytes; i++)
        {
            Array.Fill(chunk, CheckpointKillPattern(step, i));
            payload.Write(chunk);
        }
    });
    Console.Out.WriteLine($"saved {step}");
    Console.Out.Flush();
}

// Every byte of MiB i of step s's payload; the test checks the same formula.
static byte CheckpointKillPattern(long step, int mebibyte) => (byte)((step * 7 + mebibyte) % 251);
