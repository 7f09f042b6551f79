using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost;

/// <summary>Everything that differs between Development, Testing and Production: the <c>Ichrisbirch</c> section of appsettings.{Environment}.json.</summary>
public sealed record IchrisbirchSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ichrisbirch";

    /// <summary>Aspire environment name (Development, Testing, Production).</summary>
    public string EnvironmentName { get; init; } = "";
    /// <summary>Where PostgreSQL and Redis come from.</summary>
    public InfrastructureMode Infrastructure { get; init; } = InfrastructureMode.Auto;
    /// <summary>The Python project, relative to the AppHost folder.</summary>
    public string ServicesDirectory { get; init; } = "../services";
    /// <summary>The interpreter that creates a missing services/.venv (with system site packages).</summary>
    public string PythonInterpreter { get; init; } = "/usr/bin/python3";
    /// <summary>The application database.</summary>
    public string Database { get; init; } = "ichrisbirch";
    /// <summary>Keep data across restarts (false: in memory, gone after stop).</summary>
    public bool PersistentData { get; init; } = true;
    /// <summary>PostgreSQL major version of the container image (Containers mode, compose); Local mode checks its binaries against it.</summary>
    public string PostgresVersion { get; init; } = "15";
    /// <summary>Redis major version of the container image (Containers mode, compose).</summary>
    public string RedisVersion { get; init; } = "7";
    /// <summary>The fixed ports are reachable from outside the stack (published host ports); false: only the ingress is.</summary>
    public bool HostPorts { get; init; } = true;
    /// <summary>Fixed host port of PostgreSQL.</summary>
    public int? PostgresPort { get; init; }
    /// <summary>Fixed host port of Redis.</summary>
    public int? RedisPort { get; init; }
    /// <summary>The api server.</summary>
    public ServerSettings Api { get; init; } = new();
    /// <summary>The app server.</summary>
    public ServerSettings App { get; init; } = new();
    /// <summary>Scheduler job interval in seconds (null: daily at 01:00, as upstream).</summary>
    public int? SchedulerIntervalSeconds { get; init; }
    /// <summary>Add the test-runner resource (Testing).</summary>
    public bool TestRunner { get; init; }
    /// <summary>pytest arguments of the test-runner.</summary>
    public string TestRunnerArgs { get; init; } = "tests/live";
    /// <summary>When the test-runner finishes, stop the AppHost and exit with pytest's status (scripts/test-run.sh).</summary>
    public bool ExitWithTestRunner { get; init; }
    /// <summary>Local-mode locations.</summary>
    public LocalSettings Local { get; init; } = new();
    /// <summary>The published Kubernetes production overlay's host and certificate.</summary>
    public KubernetesSettings Kubernetes { get; init; } = new();
    /// <summary>Restart policy of the long-running services (run-mode supervisor and published <c>restart:</c>).</summary>
    public RestartPolicy RestartPolicy { get; init; } = RestartPolicy.Always;
    /// <summary>The services' log level (LOG_LEVEL).</summary>
    public ServiceLogLevel LogLevel { get; init; } = ServiceLogLevel.Info;
    /// <summary>Secret parameters must have non-empty values (Production).</summary>
    public bool RequireSecrets { get; init; }

    /// <summary>The fixed host ports with the resource and setting they belong to.</summary>
    public IEnumerable<(string Resource, string Key, int Port)> FixedPorts()
    {
        if (PostgresPort is { } pg) yield return ("postgres", nameof(PostgresPort), pg);
        if (RedisPort is { } redis) yield return ("redis", nameof(RedisPort), redis);
        if (Api.Port is { } api) yield return ("api", "Api:Port", api);
        if (App.Port is { } app) yield return ("app", "App:Port", app);
    }

    /// <summary>Reads and validates the section; throws with a message that names the setting to fix.</summary>
    public static IchrisbirchSettings Read(IConfiguration configuration, string environmentName)
    {
        var section = configuration.GetSection(SectionName);
        IchrisbirchSettings settings;
        try
        {
            settings = section.Get<IchrisbirchSettings>() ?? new();
        }
        catch (InvalidOperationException ex)
        {
            throw new SetupException($"Invalid setting in '{SectionName}': {ex.InnerException?.Message ?? ex.Message}", ex);
        }

        foreach (var (_, key, port) in settings.FixedPorts())
        {
            if (port is < 1 or > 65535)
            {
                throw new SetupException($"{SectionName}:{key} is {port}: a port must be between 1 and 65535.");
            }
        }
        return settings with { EnvironmentName = environmentName };
    }
}
