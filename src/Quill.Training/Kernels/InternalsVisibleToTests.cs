// Lets the test project force each SIMD width of the kernels; nothing else is exposed.
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Quill.Training.Tests")]
