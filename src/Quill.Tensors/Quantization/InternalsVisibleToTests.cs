// Lets the test project pick each SIMD width explicitly; nothing else is exposed.
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Quill.Tensors.Tests")]
