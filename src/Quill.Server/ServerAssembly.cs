// A marker for the server assembly (embedded playground resources are read from it).
namespace Quill.Server;

/// <summary>Names the assembly that holds the server and its embedded playground files.</summary>
public static class ServerAssembly;
