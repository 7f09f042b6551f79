using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aspire.Hosting;

/// <summary>
/// PostgreSQL as a local process: finds the server binaries, runs initdb on first start, runs the server as the
/// <c>postgres</c> user when the AppHost is root, creates the databases when ready and checks health with a query.
/// </summary>
public static class LocalPostgresBuilderExtensions
{
    /// <summary>Adds a local PostgreSQL server.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="password">The superuser password.</param>
    /// <param name="dataDirectory">PGDATA; with <paramref name="inMemory"/> a fresh folder next to it (<c>NAME-GUID</c>) is used: put it on tmpfs.</param>
    /// <param name="port">The host port (null: any free port).</param>
    /// <param name="inMemory">Scratch data: durability off, a fresh data directory per run, deleted after stop (testing).</param>
    /// <param name="binDirectory">Folder of initdb and postgres; null searches the usual install paths and PATH.</param>
    /// <param name="majorVersion">The pinned major version: the binaries and an existing data directory must have it.</param>
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password,
        string dataDirectory, int? port = null, bool inMemory = false, string? binDirectory = null, string? majorVersion = null)
    {
        var binaries = LocalPostgresServerFiles.FindBinDirectory(binDirectory);
        var server = Path.Combine(binaries ?? "", "postgres");
        var asPostgresUser = LocalPostgresServerFiles.RunAsPostgresUser;
        var resource = new LocalPostgresResource(name, asPostgresUser ? LocalPostgresServerFiles.SetPriv : server, builder.AppHostDirectory, password.Resource)
        {
            DataDirectory = inMemory ? $"{dataDirectory}-{Guid.NewGuid():N}" : dataDirectory,
            InMemory = inMemory,
            BinDirectory = binaries,
        };

        var healthCheckKey = $"{name}_postgres_query";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async ct =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(await ClientConnectionStringAsync(resource, "postgres", ct).ConfigureAwait(false));
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        });

        return builder.AddResource(resource)
            .WithLocalServerEndpoint(port)
            .WithArgs(context =>
            {
                if (asPostgresUser)
                {
                    foreach (var a in LocalPostgresServerFiles.AsPostgresUser(server)) context.Args.Add(a);
                }
                foreach (var a in ServerArguments(resource)) context.Args.Add(a);
                context.Args.Add("-p");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .OnBeforeResourceStarted(async (r, e, ct) =>
            {
                if (r.InMemory)
                {
                    // After the AppHost has stopped its processes, the in-memory data goes too.
                    e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => LocalPostgresServerFiles.DeleteDataDirectory(r));
                }
                if (r.BinDirectory is null)
                {
                    throw new LocalInfrastructureException(
                        $"{name}: PostgreSQL server binaries (initdb, postgres) not found{(binDirectory is null ? " under /usr/lib/postgresql/*/bin or on PATH" : $" in {binDirectory}")}. " +
                        SetupHintAnnotation.Fix(r, "Install PostgreSQL (Debian: apt-get install postgresql)"));
                }
                if (majorVersion is not null && await LocalPostgresServerFiles.VersionMismatchAsync(name, r.BinDirectory, r.DataDirectory, majorVersion, ct).ConfigureAwait(false) is { } mismatch)
                {
                    throw new LocalInfrastructureException(mismatch);
                }
                await LocalPostgresServerFiles.PrepareDataDirectoryAsync(r, asPostgresUser, e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(r), ct).ConfigureAwait(false);
            })
            .OnResourceReady(async (r, e, ct) =>
            {
                await using var connection = new NpgsqlConnection(await ClientConnectionStringAsync(r, "postgres", ct).ConfigureAwait(false));
                await connection.OpenAsync(ct).ConfigureAwait(false);
                foreach (var database in r.Databases.Values)
                {
                    await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
                    if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
                    {
                        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
                        await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(r).LogInformation("Created database {Database}", database);
                    }
                }
                // The dashboard shows each database under its server: running once it exists (else its state stays "Unknown").
                var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
                foreach (var child in e.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalPostgresDatabaseResource>().Where(d => d.Parent == r))
                {
                    await notifications.PublishUpdateAsync(child, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow }).ConfigureAwait(false);
                }
            });
    }

    /// <summary>
    /// Adds a database, created when the server is ready (idempotent): a child resource of the server, as
    /// Aspire.Hosting.PostgreSQL's <c>AddDatabase</c>.
    /// </summary>
    /// <param name="builder">The server.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="databaseName">The database name; null: <paramref name="name"/>.</param>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresResource> builder, string name, string? databaseName = null)
    {
        databaseName ??= name;
        builder.Resource.Databases.Add(name, databaseName);
        return builder.ApplicationBuilder.AddResource(new LocalPostgresDatabaseResource(name, databaseName, builder.Resource));
    }

    private static IEnumerable<string> ServerArguments(LocalPostgresResource resource)
    {
        string[] common = ["-D", resource.DataDirectory, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "logging_collector=off"];
        // No fsync: tmpfs has nothing to flush to. Commits stay synchronous: a killed server must not lose acknowledged writes.
        string[] durabilityOff = ["-c", "fsync=off", "-c", "full_page_writes=off"];
        return resource.InMemory ? common.Concat(durabilityOff) : common;
    }

    /// <summary>
    /// The AppHost's own connections (health check, database creation) go to the server's own port, not DCP's proxy: the
    /// proxy accepts before the server listens and holds the connection; the server's port refuses at once, so a starting
    /// server is seen healthy within one short re-check.
    /// </summary>
    private static async Task<string> ClientConnectionStringAsync(LocalPostgresResource resource, string database, CancellationToken ct)
        => new NpgsqlConnectionStringBuilder(await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false))
        {
            Port = int.Parse((await resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort).GetValueAsync(ct).ConfigureAwait(false))!, System.Globalization.CultureInfo.InvariantCulture),
            Database = database,
            Pooling = false, // a pooled idle connection would make PostgreSQL's smart shutdown wait
            Timeout = 3,
            CommandTimeout = 3,
        }.ConnectionString;
}
