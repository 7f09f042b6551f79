using System.Data.Common;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A database on a <see cref="LocalPostgresResource"/>, created when the server is ready; a child of the server in the
/// dashboard, shaped like Aspire.Hosting.PostgreSQL's <c>PostgresDatabaseResource</c>.
/// </summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    /// <summary>The server holding the database.</summary>
    public LocalPostgresResource Parent { get; } = parent;

    /// <summary>The database name on the server.</summary>
    public string DatabaseName { get; } = databaseName;

    /// <inheritdoc/>
    public ReferenceExpression ConnectionStringExpression
        => ReferenceExpression.Create($"{Parent.ConnectionStringExpression};{new DbConnectionStringBuilder { ["Database"] = DatabaseName }.ConnectionString}");
}
