// The xUnit collection whose tests share one real PostgreSQL server (Quill.TestSupport's PostgresServer).
using Quill.TestSupport.Postgres;

namespace Quill.Search.Tests.Postgres;

/// <summary>The tests that share one <see cref="PostgresServer"/> (run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
