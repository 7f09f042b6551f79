using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// The server's files and tools: finds the binaries, checks the pinned major version, runs initdb or updates the
/// password before start, and deletes an in-memory data directory after stop. As root, every tool runs as the
/// <c>postgres</c> user through <see cref="SetPriv"/>.
/// </summary>
internal static class LocalPostgresServerFiles
{
    private static readonly string[] SearchPatterns = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin", "/usr/local/pgsql/bin"];

    /// <summary>The program that drops root to the <c>postgres</c> user.</summary>
    internal const string SetPriv = "setpriv";

    /// <summary>PostgreSQL refuses root: as root on Linux, every server tool runs as the <c>postgres</c> user.</summary>
    internal static bool RunAsPostgresUser => Environment.UserName == "root" && OperatingSystem.IsLinux();

    /// <summary><see cref="SetPriv"/>'s arguments that run <paramref name="tool"/> as the <c>postgres</c> user.</summary>
    internal static string[] AsPostgresUser(string tool) => ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", tool];

    internal static void DeleteDataDirectory(LocalPostgresResource resource)
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

    internal static string? FindBinDirectory(string? configured)
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

    internal static async Task PrepareDataDirectoryAsync(LocalPostgresResource resource, bool asPostgresUser, ILogger logger, CancellationToken ct)
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
        else if (File.Exists(stampFile) && await File.ReadAllTextAsync(stampFile, ct).ConfigureAwait(false) == passwordStamp)
        {
            return; // the usual start: nothing to write, no chown process on the way to the server's start
        }
        else
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
        var start = new ProcessStartInfo(asPostgresUser ? SetPriv : path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = Path.GetDirectoryName(resource.DataDirectory)!,
        };
        if (asPostgresUser)
        {
            foreach (var a in AsPostgresUser(path)) start.ArgumentList.Add(a);
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
