using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
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
    private static readonly string[] SearchPatterns = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin", "/usr/local/pgsql/bin"];

    /// <summary>Adds a local PostgreSQL server.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="password">The superuser password.</param>
    /// <param name="dataDirectory">PGDATA; with <paramref name="inMemory"/> a folder of that name under /dev/shm is used.</param>
    /// <param name="port">The host port (null: any free port).</param>
    /// <param name="inMemory">Keep data in memory and discard it after stop (testing).</param>
    /// <param name="binDirectory">Folder of initdb and postgres; null searches the usual install paths and PATH.</param>
    /// <param name="majorVersion">The pinned major version: the binaries and an existing data directory must have it.</param>
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password,
        string dataDirectory, int? port = null, bool inMemory = false, string? binDirectory = null, string? majorVersion = null)
    {
        var runAsPostgresUser = Environment.UserName == "root" && OperatingSystem.IsLinux();
        var binaries = FindBinDirectory(binDirectory);
        var server = Path.Combine(binaries ?? "", "postgres");
        var resource = new LocalPostgresResource(name, runAsPostgresUser ? "setpriv" : server, builder.AppHostDirectory, password.Resource)
        {
            DataDirectory = inMemory ? Path.Combine(InMemoryRoot, $"{Path.GetFileName(dataDirectory)}-{Guid.NewGuid():N}") : dataDirectory,
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
            .WithEndpoint(port: port, name: "tcp", scheme: "tcp")
            .WithArgs(context =>
            {
                if (runAsPostgresUser)
                {
                    foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--" })
                        context.Args.Add(a);
                    context.Args.Add(server);
                }
                foreach (var a in ServerArguments(resource)) context.Args.Add(a);
                context.Args.Add("-p");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .OnBeforeResourceStarted(async (r, e, ct) =>
            {
                if (r.BinDirectory is null)
                {
                    throw new LocalInfrastructureException(
                        $"{name}: PostgreSQL server binaries (initdb, postgres) not found{(binDirectory is null ? " under /usr/lib/postgresql/*/bin or on PATH" : $" in {binDirectory}")}. " +
                        "Install PostgreSQL (Debian: run scripts/bootstrap.sh or apt-get install postgresql) or set Ichrisbirch:Local:PostgresBinDirectory.");
                }
                if (majorVersion is not null && await VersionMismatchAsync(name, r.BinDirectory, r.DataDirectory, majorVersion, ct).ConfigureAwait(false) is { } mismatch)
                {
                    throw new LocalInfrastructureException(mismatch);
                }
                await PrepareDataDirectoryAsync(r, runAsPostgresUser, e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(r), ct).ConfigureAwait(false);
            })
            .OnResourceReady(async (r, e, ct) =>
            {
                await using var connection = new NpgsqlConnection(await ClientConnectionStringAsync(r, "postgres", ct).ConfigureAwait(false));
                await connection.OpenAsync(ct).ConfigureAwait(false);
                foreach (var database in r.Databases)
                {
                    await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
                    if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
                    {
                        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
                        await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(r).LogInformation("Created database {Database}", database);
                    }
                }
            })
            .OnBeforeResourceStarted((r, e, ct) =>
            {
                if (r.InMemory)
                {
                    // After the AppHost has stopped its processes, the in-memory data goes too.
                    e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => DeleteDataDirectory(r));
                }
                return Task.CompletedTask;
            });
    }

    private static void DeleteDataDirectory(LocalPostgresResource resource)
    {
        // DCP may still be reaping the server: give postmaster.pid up to five seconds to go.
        var pidFile = Path.Combine(resource.DataDirectory, "postmaster.pid");
        for (var i = 0; i < 50 && File.Exists(pidFile); i++) Thread.Sleep(100);
        try
        {
            if (Directory.Exists(resource.DataDirectory)) Directory.Delete(resource.DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: /dev/shm is emptied at reboot anyway.
        }
    }

    /// <summary>Creates <paramref name="databaseName"/> when the server is ready (idempotent).</summary>
    public static IResourceBuilder<LocalPostgresResource> WithDatabase(this IResourceBuilder<LocalPostgresResource> builder, string databaseName)
    {
        builder.Resource.Databases.Add(databaseName);
        return builder;
    }

    private static string InMemoryRoot => Directory.Exists("/dev/shm") ? "/dev/shm/ichrisbirch-aspire" : Path.Combine(Path.GetTempPath(), "ichrisbirch-aspire");

    private static IEnumerable<string> ServerArguments(LocalPostgresResource resource)
    {
        string[] common = ["-D", resource.DataDirectory, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "logging_collector=off"];
        // No fsync: tmpfs has nothing to flush to. Commits stay synchronous: a killed server must not lose acknowledged writes.
        string[] durabilityOff = ["-c", "fsync=off", "-c", "full_page_writes=off"];
        return resource.InMemory ? common.Concat(durabilityOff) : common;
    }

    private static async Task<string> ClientConnectionStringAsync(LocalPostgresResource resource, string database, CancellationToken ct)
        => new NpgsqlConnectionStringBuilder(await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false))
        {
            Database = database,
            Pooling = false, // a pooled idle connection would make PostgreSQL's smart shutdown wait
            Timeout = 3,
            CommandTimeout = 3,
        }.ConnectionString;

    /// <summary>Why the binaries or an existing data directory are not the pinned major version (null: they are).</summary>
    internal static async Task<string?> VersionMismatchAsync(string name, string binDirectory, string dataDirectory, string majorVersion, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Path.Combine(binDirectory, "postgres"), ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false); // "postgres (PostgreSQL) 15.14 (Debian …)"
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var binaries = System.Text.RegularExpressions.Regex.Match(output, @"\)\s+(\d+)").Groups[1].Value;
        if (binaries != majorVersion)
        {
            return $"{name}: the PostgreSQL binaries in {binDirectory} are version {binaries}, but the pinned major version is {majorVersion}; " +
                   $"install PostgreSQL {majorVersion} (Debian: apt-get install postgresql-{majorVersion}) and point the bin directory at it, or change the pin.";
        }
        var versionFile = Path.Combine(dataDirectory, "PG_VERSION");
        if (File.Exists(versionFile) && (await File.ReadAllTextAsync(versionFile, ct).ConfigureAwait(false)).Trim() is var data && data != majorVersion)
        {
            return $"{name}: the data directory {dataDirectory} was made by PostgreSQL {data}, but the pinned major version is {majorVersion}; " +
                   $"move that folder away (or pg_upgrade it to {majorVersion}), or change the pin.";
        }
        return null;
    }

    private static string? FindBinDirectory(string? configured)
    {
        static bool HasServer(string dir) => File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb"));
        if (configured is not null) return HasServer(configured) ? configured : null;

        foreach (var pattern in SearchPatterns)
        {
            var parent = Path.GetDirectoryName(Path.GetDirectoryName(pattern))!;
            var wildcard = Path.GetFileName(Path.GetDirectoryName(pattern))!;
            if (!Directory.Exists(parent)) continue;
            var found = Directory.GetDirectories(parent, wildcard)
                .Select(d => Path.Combine(d, "bin"))
                .Where(HasServer)
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault();
            if (found is not null) return found;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).FirstOrDefault(d => d.Length > 0 && HasServer(d));
    }

    private static async Task PrepareDataDirectoryAsync(LocalPostgresResource resource, bool asPostgresUser, ILogger logger, CancellationToken ct)
    {
        var password = await resource.PasswordParameter.GetValueAsync(ct).ConfigureAwait(false) ?? "";
        var passwordStamp = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
        var stampFile = Path.Combine(resource.DataDirectory, ".aspire-password-sha256");
        var parent = Path.GetDirectoryName(resource.DataDirectory)!;
        Directory.CreateDirectory(parent);

        if (!File.Exists(Path.Combine(resource.DataDirectory, "PG_VERSION")))
        {
            Directory.CreateDirectory(resource.DataDirectory);
            var passwordFile = Path.Combine(parent, $".pwfile-{Guid.NewGuid():N}");
            await File.WriteAllTextAsync(passwordFile, password + "\n", ct).ConfigureAwait(false);
            try
            {
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                if (asPostgresUser) await ChownToPostgresAsync(ct, resource.DataDirectory, passwordFile).ConfigureAwait(false);
                logger.LogInformation("Initialising PostgreSQL data directory {DataDirectory}", resource.DataDirectory);
                await RunAsync(resource, asPostgresUser, "initdb", ["-D", resource.DataDirectory, "-U", LocalPostgresResource.UserName, $"--pwfile={passwordFile}",
                    "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-instructions"], stdin: null, ct).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(passwordFile);
            }
        }
        else if (!File.Exists(stampFile) || await File.ReadAllTextAsync(stampFile, ct).ConfigureAwait(false) != passwordStamp)
        {
            // The configured password changed since initdb: set it in single-user mode (the server is not running yet).
            logger.LogInformation("Updating the {User} password in {DataDirectory}", LocalPostgresResource.UserName, resource.DataDirectory);
            var literal = password.Replace("'", "''", StringComparison.Ordinal);
            await RunAsync(resource, asPostgresUser, "postgres", ["--single", "-D", resource.DataDirectory, "-c", "unix_socket_directories=", "postgres"],
                stdin: $"ALTER ROLE {LocalPostgresResource.UserName} WITH PASSWORD '{literal}';\n", ct).ConfigureAwait(false);
        }

        await File.WriteAllTextAsync(stampFile, passwordStamp, ct).ConfigureAwait(false);
        if (asPostgresUser) await ChownToPostgresAsync(ct, stampFile).ConfigureAwait(false);
    }

    private static async Task RunAsync(LocalPostgresResource resource, bool asPostgresUser, string tool, string[] args, string? stdin, CancellationToken ct)
    {
        var path = Path.Combine(resource.BinDirectory!, tool);
        var start = new ProcessStartInfo(asPostgresUser ? "setpriv" : path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = Path.GetDirectoryName(resource.DataDirectory)!,
        };
        if (asPostgresUser)
        {
            foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", path }) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new LocalInfrastructureException($"{resource.Name}: {tool} failed with exit code {process.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()} {(await stdout.ConfigureAwait(false)).Trim()}");
        }
    }

    private static async Task ChownToPostgresAsync(CancellationToken ct, params string[] paths)
    {
        var start = new ProcessStartInfo("chown") { RedirectStandardError = true };
        foreach (var a in new[] { "-R", "postgres:postgres" }.Concat(paths)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new LocalInfrastructureException($"chown postgres:postgres failed ({await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false)}). " +
                "Running as root needs a 'postgres' system user: install PostgreSQL (apt-get install postgresql) or run the AppHost as a normal user.");
        }
    }
}

/// <summary>A local infrastructure process cannot start; the message names the fix.</summary>
public sealed class LocalInfrastructureException(string message) : Exception(message)
{
    /// <summary>None: the message is the whole story, and a user should not read a stack trace to find the fix.</summary>
    public override string? StackTrace => null;
}
