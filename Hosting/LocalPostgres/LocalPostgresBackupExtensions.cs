using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aspire.Hosting;

/// <summary>
/// "Back up" and "Restore latest" commands on a local PostgreSQL resource, in the dashboard and through
/// <see cref="ResourceCommandService"/>: <c>pg_dump -Fc</c> of one database into a folder, and <c>pg_restore --clean</c>
/// of the newest dump in that folder, in one transaction, as the database's owner (<c>--no-owner --role</c>: restored objects
/// belong to the role that owns the database, never to the superuser). A successful restore publishes <see cref="DatabaseRestoredEvent"/>.
/// </summary>
public static class LocalPostgresBackupExtensions
{
    /// <summary>The command names (for <see cref="ResourceCommandService.ExecuteCommandAsync(string, string, CancellationToken)"/>).</summary>
    public const string BackupCommand = "backup";

    /// <inheritdoc cref="BackupCommand"/>
    public const string RestoreLatestCommand = "restore-latest";

    /// <summary>Adds the commands; dumps of <paramref name="database"/> go to <paramref name="backupDirectory"/>.</summary>
    public static IResourceBuilder<LocalPostgresResource> WithBackupCommands(
        this IResourceBuilder<LocalPostgresResource> builder, string database, string backupDirectory)
    {
        var resource = builder.Resource;
        builder.WithCommand(BackupCommand, "Back up", async context =>
        {
            CreatePrivateDirectory(backupDirectory); // dumps hold every row: owner only
            var file = Path.Combine(backupDirectory, $"{database}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)}.dump");
            if (await RunClientAsync(resource, "pg_dump", ["--format=custom", "--dbname", database, "--file", file], context.CancellationToken).ConfigureAwait(false) is { } error)
            {
                return CommandResults.Failure(error);
            }
            context.Logger.LogInformation("Backed up {Database} to {File} ({Bytes} bytes)", database, file, new FileInfo(file).Length);
            return CommandResults.Success();
        }, new CommandOptions
        {
            Description = $"pg_dump of {database} into {backupDirectory}",
            IconName = "ArrowDownload",
            UpdateState = WhenHealthy,
        });

        builder.WithCommand(RestoreLatestCommand, "Restore latest", async context =>
        {
            var latest = LatestBackup(backupDirectory, database);
            if (latest is null)
            {
                return CommandResults.Failure($"No backup of {database} in {backupDirectory}: run \"Back up\" first.");
            }
            var owner = await DatabaseOwnerAsync(resource, database, context.CancellationToken).ConfigureAwait(false);
            string[] args = ["--clean", "--if-exists", "--no-owner", "--role", owner, "--single-transaction", "--exit-on-error", "--dbname", database, latest];
            if (await RunClientAsync(resource, "pg_restore", args, context.CancellationToken).ConfigureAwait(false) is { } error)
            {
                return CommandResults.Failure(error);
            }
            context.Logger.LogInformation("Restored {Database} from {File}", database, latest);
            await context.Services.GetRequiredService<IDistributedApplicationEventing>()
                .PublishAsync(new DatabaseRestoredEvent(resource, database, context.Services), context.CancellationToken).ConfigureAwait(false);
            return CommandResults.Success();
        }, new CommandOptions
        {
            Description = $"pg_restore of the newest dump in {backupDirectory}, replacing every table of {database}",
            ConfirmationMessage = $"Replace the tables of {database} with the newest backup in {backupDirectory}?",
            IconName = "ArrowUpload",
            UpdateState = WhenHealthy,
        });
        return builder;
    }

    /// <summary>The newest dump of <paramref name="database"/> in <paramref name="backupDirectory"/>, or null.</summary>
    public static string? LatestBackup(string backupDirectory, string database)
        => Directory.Exists(backupDirectory)
            ? Directory.GetFiles(backupDirectory, $"{database}-*.dump").OrderByDescending(f => Path.GetFileName(f), StringComparer.Ordinal).FirstOrDefault()
            : null;

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static ResourceCommandState WhenHealthy(UpdateCommandStateContext context)
        => context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    /// <summary>The role that owns <paramref name="database"/> (the application's role once it has one).</summary>
    private static async Task<string> DatabaseOwnerAsync(LocalPostgresResource resource, string database, CancellationToken ct)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)) { Pooling = false };
        await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var query = new NpgsqlCommand("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        return (string?)await query.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? LocalPostgresResource.UserName;
    }

    /// <summary>
    /// Runs a client tool over TCP with the superuser's password in PGPASSWORD (never on the command line);
    /// returns null on success, else one line saying what failed.
    /// </summary>
    private static async Task<string?> RunClientAsync(LocalPostgresResource resource, string tool, string[] args, CancellationToken ct)
    {
        var connection = new NpgsqlConnectionStringBuilder(await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
        var start = new ProcessStartInfo(Path.Combine(resource.BinDirectory ?? "", tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["PGHOST"] = connection.Host,
                ["PGPORT"] = connection.Port.ToString(CultureInfo.InvariantCulture),
                ["PGUSER"] = connection.Username,
                ["PGPASSWORD"] = connection.Password,
            },
        };
        foreach (var a in args) start.ArgumentList.Add(a);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var output = $"{(await stderr.ConfigureAwait(false)).Trim()} {(await stdout.ConfigureAwait(false)).Trim()}".Trim();
        return process.ExitCode == 0 ? null : $"{resource.Name}: {tool} failed with exit code {process.ExitCode}: {output}";
    }
}
