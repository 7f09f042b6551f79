using System.Net.Sockets;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// Redis as a local process: writes a redis.conf (password never on the command line), binds loopback and
/// checks health with AUTH + PING.
/// </summary>
public static class LocalRedisBuilderExtensions
{
    /// <summary>Adds a local Redis server.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="password">The password (<c>requirepass</c>); an empty value means none.</param>
    /// <param name="dataDirectory">Folder for redis.conf and persistent data.</param>
    /// <param name="port">The host port (null: any free port).</param>
    /// <param name="persistent">Append-only persistence in <paramref name="dataDirectory"/>.</param>
    /// <param name="serverPath">The redis-server executable; null finds it on PATH.</param>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource>? password,
        string dataDirectory, int? port = null, bool persistent = false, string? serverPath = null)
    {
        var server = serverPath ?? FindOnPath("redis-server");
        var resource = new LocalRedisResource(name, server ?? serverPath ?? "redis-server", builder.AppHostDirectory, password?.Resource)
        {
            DataDirectory = dataDirectory,
            Persistent = persistent,
            ServerFound = server is not null && File.Exists(server),
        };
        var configFile = Path.Combine(dataDirectory, "redis.conf");

        var healthCheckKey = $"{name}_redis_ping";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheckKey, async ct =>
        {
            try
            {
                var reply = await PingAsync(resource, ct).ConfigureAwait(false);
                return reply == "+PONG" ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"PING answered {reply}");
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        });

        return builder.AddResource(resource)
            .WithLocalServerEndpoint(port)
            .WithArgs(context =>
            {
                context.Args.Add(configFile);
                context.Args.Add("--port");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .OnBeforeResourceStarted(async (r, e, ct) =>
            {
                if (!r.ServerFound)
                {
                    throw new LocalInfrastructureException(
                        $"{name}: redis-server not found{(serverPath is null ? " on PATH" : $" at {serverPath}")}. " +
                        SetupHintAnnotation.Fix(r, "Install Redis (Debian: apt-get install redis-server)"));
                }
                Directory.CreateDirectory(r.DataDirectory);
                var secret = r.PasswordParameter is null ? null : await r.PasswordParameter.GetValueAsync(ct).ConfigureAwait(false);
                var config = new StringBuilder()
                    .AppendLine("bind 127.0.0.1")
                    .AppendLine("protected-mode yes")
                    .AppendLine("daemonize no")
                    .AppendLine($"dir \"{r.DataDirectory}\"")
                    .AppendLine(r.Persistent ? "appendonly yes" : "appendonly no")
                    .AppendLine(r.Persistent ? "save 60 1" : "save \"\"");
                if (!string.IsNullOrEmpty(secret))
                {
                    config.AppendLine($"requirepass \"{secret.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
                }
                await File.WriteAllTextAsync(configFile, "", ct).ConfigureAwait(false);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await File.WriteAllTextAsync(configFile, config.ToString(), ct).ConfigureAwait(false);
            });
    }

    /// <summary>Sends AUTH (when a password is set) and PING over RESP; returns the PING reply line.</summary>
    internal static async Task<string> PingAsync(LocalRedisResource resource, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        // The server's own port, not DCP's proxy: the proxy accepts before the server listens and holds the probe; the
        // server's port refuses at once, so a starting server is seen ready within one short re-check.
        var port = await resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort).GetValueAsync(timeout.Token).ConfigureAwait(false);
        var password = resource.PasswordParameter is null ? null : await resource.PasswordParameter.GetValueAsync(timeout.Token).ConfigureAwait(false);

        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", int.Parse(port!, System.Globalization.CultureInfo.InvariantCulture), timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (!string.IsNullOrEmpty(password))
        {
            await stream.WriteAsync(Command("AUTH", password), timeout.Token).ConfigureAwait(false);
            var auth = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (auth != "+OK") return $"AUTH failed: {auth?.Split(' ').FirstOrDefault()}";
        }
        await stream.WriteAsync(Command("PING"), timeout.Token).ConfigureAwait(false);
        return await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? "(connection closed)";
    }

    private static byte[] Command(params string[] parts)
    {
        var sb = new StringBuilder($"*{parts.Length}\r\n");
        foreach (var part in parts) sb.Append($"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string? FindOnPath(string executable)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Where(d => d.Length > 0)
            .Select(d => Path.Combine(d, executable))
            .FirstOrDefault(File.Exists);
}
