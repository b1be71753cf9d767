// A folder of step-numbered checkpoint files written atomically, verified on open, pruned to the last K.
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Quill.Formats;

namespace Quill.Training.Checkpoints;

/// <summary>
/// Checkpoints live as <c>step-00000123.ckpt</c> in <see cref="Folder"/>. Each is written to a temporary sibling,
/// flushed to disk and renamed into place, so a process killed mid-write leaves the earlier checkpoints whole and at
/// most a <c>.tmp</c> leftover, which <see cref="TryOpenLatest"/> deletes. The payload (whatever the caller writes) is
/// framed by a header and a CRC-32 (see <see cref="CheckpointFileFormat"/>), so corrupt files are detected on open.
/// </summary>
public sealed class CheckpointStore
{
    public const string FilePrefix = "step-";
    public const string FileExtension = ".ckpt";
    private readonly Action<string>? _reportSkipped;

    /// <param name="folder">Created when missing.</param>
    /// <param name="keepLast">How many of the newest checkpoints to keep after each save (at least 1).</param>
    /// <param name="reportSkipped">Receives a one-line reason for each corrupt checkpoint that <see cref="TryOpenLatest"/> passes over.</param>
    public CheckpointStore(string folder, int keepLast, Action<string>? reportSkipped = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        Folder = Path.GetFullPath(folder);
        KeepLast = keepLast;
        _reportSkipped = reportSkipped;
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }
    public int KeepLast { get; }

    public string PathOf(long step) =>
        Path.Combine(Folder, FilePrefix + step.ToString("D8", CultureInfo.InvariantCulture) + FileExtension);

    /// <summary>
    /// Writes the checkpoint for <paramref name="step"/> (replacing one of the same step), then deletes all but the
    /// <see cref="KeepLast"/> highest steps. <paramref name="writePayload"/> writes forward only; the stream is not seekable.
    /// </summary>
    /// <returns>The checkpoint's path.</returns>
    public string Save(long step, Action<Stream> writePayload)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        string path = PathOf(step);
        AtomicFileWriter.Write(path, file =>
        {
            Span<byte> header = stackalloc byte[CheckpointFileFormat.HeaderSize];
            CheckpointFileFormat.WriteHeader(header, step, payloadLength: 0);
            file.Write(header);
            var payload = new ChecksummingStream(file);
            writePayload(payload);
            Span<byte> word = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(word, payload.Crc);
            file.Write(word.Slice(0, CheckpointFileFormat.TrailerSize));
            // The length is known only now: patch it into the header.
            file.Position = CheckpointFileFormat.LengthOffset;
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(word, payload.BytesWritten);
            file.Write(word);
            file.Seek(0, SeekOrigin.End);
        });
        Prune();
        return path;
    }

    /// <summary>The steps that have a checkpoint file, ascending (names only: not verified).</summary>
    public IReadOnlyList<long> Steps()
    {
        var steps = new List<long>();
        foreach (string path in Directory.EnumerateFiles(Folder, FilePrefix + "*" + FileExtension))
            if (TryParseStep(Path.GetFileName(path), out long step)) steps.Add(step);
        steps.Sort();
        return steps;
    }

    /// <summary>
    /// Opens the payload of the newest checkpoint whose header and checksum verify, newest first, reporting and skipping
    /// corrupt ones; deletes leftover temporary files of interrupted saves first. The caller disposes <paramref name="payload"/>.
    /// </summary>
    public bool TryOpenLatest(out long step, [NotNullWhen(true)] out Stream? payload)
    {
        DeleteLeftoverTemporaryFiles();
        var steps = Steps();
        for (int i = steps.Count - 1; i >= 0; i--)
        {
            try
            {
                payload = OpenStep(steps[i]);
                step = steps[i];
                return true;
            }
            catch (InvalidDataException error)
            {
                _reportSkipped?.Invoke(error.Message);
            }
            catch (FileNotFoundException)
            {
                // Pruned between listing and opening.
            }
        }
        step = -1;
        payload = null;
        return false;
    }

    /// <summary>The verified payload of the checkpoint for <paramref name="step"/>; InvalidDataException naming the file when it is corrupt.</summary>
    public Stream OpenStep(long step)
    {
        var file = new FileStream(PathOf(step), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1 << 16);
        try
        {
            long length = CheckpointFileFormat.Verify(file, step);
            return new CheckpointPayloadStream(file, CheckpointFileFormat.HeaderSize, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void Prune()
    {
        var steps = Steps();
        for (int i = 0; i < steps.Count - KeepLast; i++)
        {
            try { File.Delete(PathOf(steps[i])); }
            catch (IOException) { }  // Still open for reading elsewhere on Windows: prune it next time.
            catch (UnauthorizedAccessException) { }
        }
    }

    // AtomicFileWriter names its temporaries ".<name>.<guid>.tmp" beside the target.
    private void DeleteLeftoverTemporaryFiles()
    {
        foreach (string path in Directory.EnumerateFiles(Folder, "." + FilePrefix + "*" + FileExtension + ".*.tmp"))
        {
            try { File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool TryParseStep(string name, out long step)
    {
        step = -1;
        if (!name.StartsWith(FilePrefix, StringComparison.Ordinal) || !name.EndsWith(FileExtension, StringComparison.Ordinal)) return false;
        var digits = name.AsSpan(FilePrefix.Length, name.Length - FilePrefix.Length - FileExtension.Length);
        foreach (char c in digits) if (c is < '0' or > '9') return false;
        return digits.Length > 0 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out step);
    }
}
