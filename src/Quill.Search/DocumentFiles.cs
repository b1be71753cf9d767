// Expands the files and folders a user names into the documents to index.
namespace Quill.Search;

/// <summary>
/// Named files are taken whatever their extension; folders are walked recursively for .txt, .md and .markdown files
/// (hidden and system entries skipped), in ordinal path order. Paths come back full and without duplicates.
/// </summary>
public static class DocumentFiles
{
    private static readonly string[] Extensions = [".txt", ".md", ".markdown"];

    public static IReadOnlyList<string> Collect(IEnumerable<string> paths)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        foreach (string given in paths)
        {
            string full = Path.GetFullPath(given);
            if (Directory.Exists(full))
            {
                var options = new EnumerationOptions
                {
                    RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
                };
                foreach (string file in Directory.EnumerateFiles(full, "*", options)
                             .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                             .Order(StringComparer.Ordinal))
                {
                    if (seen.Add(file)) files.Add(file);
                }
            }
            else if (File.Exists(full))
            {
                if (seen.Add(full)) files.Add(full);
            }
            else
            {
                throw new FileNotFoundException($"{given}: no such file or folder", given);
            }
        }
        return files;
    }
}
