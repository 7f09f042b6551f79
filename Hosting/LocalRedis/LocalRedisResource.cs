namespace Aspire.Hosting.ApplicationModel;

/// <summary>A Redis server run as a local process (<c>redis-server</c>), no container runtime.</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource? password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    /// <summary>The password (<c>requirepass</c>); null or empty for none.</summary>
    public ParameterResource? PasswordParameter { get; } = password;

    /// <summary>The folder for redis.conf and, when persistent, the data files.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Append-only persistence in <see cref="DataDirectory"/>; otherwise nothing is written to disk.</summary>
    public bool Persistent { get; init; }

    /// <summary>Whether the redis-server executable was found when the model was built.</summary>
    public bool ServerFound { get; init; }

    /// <summary>The tcp endpoint clients connect to.</summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, "tcp");

    /// <inheritdoc/>
    public ReferenceExpression ConnectionStringExpression => PasswordParameter is null
        ? ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}")
        : ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");
}
