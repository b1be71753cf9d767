// The CLI's small parsing helpers are tested directly by Quill.Tests.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Quill.Tests")]
