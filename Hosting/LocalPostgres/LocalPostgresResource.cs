namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A PostgreSQL server run as a local process from the machine's own binaries (no container runtime).
/// </summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    /// <summary>The superuser name.</summary>
    public const string UserName = "postgres";

    /// <summary>The superuser password (initdb's and every client's).</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>The folder holding bin/postgres and bin/initdb; resolved before start.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>The data directory (PGDATA).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>In memory: the data directory lives in /dev/shm, durability is off and it is deleted after stop.</summary>
    public bool InMemory { get; init; }

    /// <summary>The databases created when the server is ready: resource name to database name (see AddDatabase).</summary>
    public Dictionary<string, string> Databases { get; } = new(StringComparer.Ordinal);

    /// <summary>The tcp endpoint clients connect to.</summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, "tcp");

    /// <inheritdoc/>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={PasswordParameter}");
}
