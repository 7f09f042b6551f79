using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.AppHost;

/// <summary>Where PostgreSQL and Redis come from (local processes or containers) and where their data lives.</summary>
internal static class Infrastructure
{
    /// <summary>
    /// PostgreSQL with the application database (a child resource named NAME-db, added by AddDatabase in both modes), as a
    /// local process or a container.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddPostgresServer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, IchrisbirchSettings settings)
    {
        if (builder.ResolveInfrastructure(settings) == InfrastructureMode.Local)
        {
            var dataDirectory = Path.Combine(settings.PersistentData ? settings.DataRoot() : InMemoryRoot, name);
            var local = builder.AddLocalPostgres(name, password, dataDirectory,
                    settings.PostgresPort, inMemory: !settings.PersistentData, binDirectory: settings.Local.PostgresBinDirectory, majorVersion: settings.PostgresVersion)
                .WithSetupHint($"set {IchrisbirchSettings.SectionName}:Local:PostgresBinDirectory to their folder, or {SetupChecks.SetupScriptHint}")
                .WithBackupCommands(settings.Database, Path.Combine(settings.DataRoot(), "backups"));
            var localDatabase = local.AddDatabase($"{name}-db", settings.Database);
            return local.WithPostgresContract(local.Resource.PrimaryEndpoint, password, localDatabase.Resource.DatabaseName, LocalServerPort);
        }

        // The image's data folder: PostgreSQL 18 moved it up one level (and keeps PGDATA in a subfolder itself).
        var major = int.Parse(settings.PostgresVersion.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        var dataTarget = major >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
        var container = builder.AddPostgres(name, password: password, port: settings.PostgresPort)
            .WithImageTag(settings.PostgresVersion)
            .WithEnvironment("POSTGRES_DB", settings.Database) // the image creates it; its healthcheck and compose need it
            .WithEndpoint("tcp", e => e.IsExternal = settings.HostPorts)
            // Over TCP: the image's temporary init server listens on the socket only, so it is never reported ready.
            .WithHealthCheckShellCommand("pg_isready -h 127.0.0.1 -U postgres -d ${POSTGRES_DB}")
            .WithHealthCheckTiming(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), retries: 5);
        // Before 18 the data goes one folder below the mount: a fresh volume's root belongs to root, and a non-root
        // postgres (uid 999 under Kubernetes' runAsUser) may not take it over (the image's documented PGDATA advice).
        if (major < 18) container.WithEnvironment("PGDATA", $"{dataTarget}/pgdata");
        // Publish: an explicit name keeps the manifest and the compose files machine-independent; no name: scratch data.
        if (builder.ExecutionContext.IsPublishMode) container.WithVolume(settings.PersistentData ? $"{name}_data" : null, dataTarget);
        else if (settings.PersistentData) container.WithVolume($"ichrisbirch-{settings.EnvironmentName.ToLowerInvariant()}-{name}-data", dataTarget);
        var database = container.AddDatabase($"{name}-db", settings.Database);
        return container.WithPostgresContract(container.Resource.PrimaryEndpoint, password, database.Resource.DatabaseName);
    }

    /// <summary>Redis, as a local process or a container; the password is enforced in both.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, IchrisbirchSettings settings)
    {
        if (builder.ResolveInfrastructure(settings) == InfrastructureMode.Local)
        {
            var local = builder.AddLocalRedis(name, password, Path.Combine(settings.DataRoot(), name),
                    settings.RedisPort, persistent: settings.PersistentData, serverPath: settings.Local.RedisServerPath)
                .WithSetupHint($"set {IchrisbirchSettings.SectionName}:Local:RedisServerPath, or {SetupChecks.SetupScriptHint}");
            builder.FlushCacheAfterDatabaseRestore(local.Resource.PrimaryEndpoint, password);
            return local.WithRedisContract(local.Resource.PrimaryEndpoint, password, LocalServerPort);
        }

        var container = builder.AddRedis(name, settings.RedisPort, password)
            .WithImageTag(settings.RedisVersion)
            .WithRedisServerCommand(password, settings.PersistentData)
            .WithEndpoint("tcp", e => e.IsExternal = settings.HostPorts)
            .WithHealthCheckShellCommand("redis-cli ping | grep PONG") // authenticated by REDISCLI_AUTH
            .WithHealthCheckTiming(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), retries: 5);
        if (builder.ExecutionContext.IsPublishMode && settings.PersistentData) container.WithDataVolume($"{name}_data");
        else if (builder.ExecutionContext.IsPublishMode) container.WithVolume("/data");
        else if (settings.PersistentData) container.WithDataVolume();
        return container.WithRedisContract(container.Resource.PrimaryEndpoint, password);
    }

    /// <summary>
    /// The port services use to reach a local server: its own (the endpoint's target port), not DCP's proxy in front of
    /// it. Every cache hit is a Redis round trip, and the proxy hop cost the api a third of its throughput
    /// (BENCHMARKS.md, "Production data path"). The proxied port stays for people and tools on the host. A container's
    /// target port is inside the container, so containers keep the proxied port.
    /// </summary>
    private const EndpointProperty LocalServerPort = EndpointProperty.TargetPort;

    /// <summary>Publish is always Containers; Auto asks the container runtime once.</summary>
    private static InfrastructureMode ResolveInfrastructure(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings)
    {
        if (builder.ExecutionContext.IsPublishMode) return InfrastructureMode.Containers;
        return settings.Infrastructure switch
        {
            InfrastructureMode.Auto => ContainerRuntimeProbe.Of(builder).Answers ? InfrastructureMode.Containers : InfrastructureMode.Local,
            var mode => mode,
        };
    }

    /// <summary>Per-user data folder keyed by environment, never in the source tree.</summary>
    private static string DataRoot(this IchrisbirchSettings settings)
    {
        if (settings.Local.DataDirectory is { } configured) return Path.GetFullPath(configured);
        var root = Environment.UserName == "root" && OperatingSystem.IsLinux()
            ? "/var/lib/ichrisbirch-aspire" // readable by the postgres user, unlike /root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "ichrisbirch-aspire");
        return Path.Combine(root, settings.EnvironmentName.ToLowerInvariant());
    }

    /// <summary>Scratch data (PersistentData false): in memory where the machine has tmpfs.</summary>
    private static string InMemoryRoot => Directory.Exists("/dev/shm") ? "/dev/shm/ichrisbirch-aspire" : Path.Combine(Path.GetTempPath(), "ichrisbirch-aspire");
}
