using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost;

/// <summary>The wiring behind Program.cs: environment data, infrastructure mode and the services' contract.</summary>
internal static partial class Extensions
{
    /// <summary>Reads the environment's settings (appsettings.{Environment}.json) once and validates them.</summary>
    public static IchrisbirchSettings AddIchrisbirchSettings(this IDistributedApplicationBuilder builder)
    {
        SetupException.ReportUnhandledAsOneLine();
        var environment = builder.Environment.EnvironmentName;
        if (!ServiceDefaultsExtensions.ServiceEnvironments.ContainsKey(environment))
        {
            throw new SetupException(
                $"Unknown environment '{environment}'. Use Development, Testing or Production " +
                "(--environment NAME, DOTNET_ENVIRONMENT or the launch profile).");
        }
        // Publish models read only the checked-in appsettings*.json, so the published files are the same on every machine.
        if (builder.ExecutionContext.IsRunMode) builder.Configuration.AddEnvFile(builder.AppHostDirectory, environment);
        var settings = IchrisbirchSettings.Read(builder.Configuration, environment);
        builder.ConfigurePythonHosting(python =>
        {
            python.SetupHint = "run scripts/bootstrap.sh";
            python.BaseInterpreter = settings.PythonInterpreter; // Debian's, with the python3-* packages
            python.SystemSitePackages = true;
            python.InstallArgs.Add("--no-deps"); // requirements.txt is the complete closure, see its header
        });
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>(async (e, ct) =>
            {
                await EnsureSecretsAsync(e.Model, settings, ct).ConfigureAwait(false);
                EnsurePortsFree(builder.Configuration, settings);
            });
        }
        return settings;
    }

    /// <summary>Before any process starts: every secret parameter has a value (Production: a non-empty one).</summary>
    private static async Task EnsureSecretsAsync(DistributedApplicationModel model, IchrisbirchSettings settings, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(p => p.Secret))
        {
            string? value;
            try
            {
                value = await parameter.GetValueAsync(ct).ConfigureAwait(false);
            }
            catch (MissingParameterValueException)
            {
                value = null;
            }
            if (value is null || (settings.RequireSecrets && value.Length == 0)) missing.Add(parameter.Name);
        }
        if (missing.Count == 0) return;

        var envKeys = EnvFiles.Keys.Where(k => missing.Any(m => k.Value == $"Parameters:{m}")).Select(k => k.Key);
        throw new SetupException(
            $"{settings.EnvironmentName} needs a value for the secret parameter(s) {string.Join(", ", missing)}. Supply each NAME with " +
            "'dotnet user-secrets set Parameters:NAME VALUE --project AppHost', the environment variable Parameters__NAME, " +
            $"--Parameters:NAME=VALUE, or {string.Join("/", envKeys)} in {EnvFiles.FileNames[settings.EnvironmentName]}.");
    }

    /// <summary>Fixed host ports must be free (unless the test builder randomizes them).</summary>
    private static void EnsurePortsFree(IConfiguration configuration, IchrisbirchSettings settings)
    {
        if (configuration.GetValue<bool>("DcpPublisher:RandomizePorts")) return;
        var busy = new List<string>();
        foreach (var (resource, key, port) in settings.FixedPorts())
        {
            try
            {
                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
            }
            catch (System.Net.Sockets.SocketException)
            {
                busy.Add($"{resource}: port {port} is already in use (setting {IchrisbirchSettings.SectionName}:{key})");
            }
        }
        if (busy.Count > 0)
        {
            throw new SetupException(
                $"{string.Join("; ", busy)}. Stop what listens there, or choose another port with --{IchrisbirchSettings.SectionName}:KEY=PORT " +
                $"or in appsettings.{settings.EnvironmentName}.json.");
        }
    }

    /// <summary>PostgreSQL with the application database, as a local process or a container.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddPostgresServer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, IchrisbirchSettings settings)
    {
        if (builder.ResolveInfrastructure(settings) == InfrastructureMode.Local)
        {
            var local = builder.AddLocalPostgres(name, password, Path.Combine(settings.DataRoot(), name),
                    settings.PostgresPort, inMemory: !settings.PersistentData, binDirectory: settings.Local.PostgresBinDirectory, majorVersion: settings.PostgresVersion)
                .WithDatabase(settings.Database)
                .WithBackupCommands(settings.Database, Path.Combine(settings.DataRoot(), "backups"));
            return local.WithPostgresContract(local.Resource.PrimaryEndpoint, password, settings.Database);
        }

        var container = builder.AddPostgres(name, password: password, port: settings.PostgresPort)
            .WithImageTag(settings.PostgresVersion)
            .WithEnvironment("POSTGRES_DB", settings.Database)
            .WithEndpoint("tcp", e => e.IsExternal = settings.HostPorts)
            .WithHealthCheckShellCommand("pg_isready -U postgres -d ${POSTGRES_DB}")
            .WithHealthCheckTiming(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), retries: 5);
        // The image's data folder: PostgreSQL 18 moved it up one level.
        var dataTarget = int.Parse(settings.PostgresVersion.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture) >= 18
            ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
        // Publish: an explicit name keeps the manifest and the compose files machine-independent; no name: scratch data.
        if (builder.ExecutionContext.IsPublishMode) container.WithVolume(settings.PersistentData ? $"{name}_data" : null, dataTarget);
        else if (settings.PersistentData) container.WithVolume($"ichrisbirch-{settings.EnvironmentName.ToLowerInvariant()}-{name}-data", dataTarget);
        return container.WithPostgresContract(container.Resource.PrimaryEndpoint, password, settings.Database);
    }

    /// <summary>Redis, as a local process or a container; the password is enforced in both.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, IchrisbirchSettings settings)
    {
        if (builder.ResolveInfrastructure(settings) == InfrastructureMode.Local)
        {
            var local = builder.AddLocalRedis(name, password, Path.Combine(settings.DataRoot(), name),
                settings.RedisPort, persistent: settings.PersistentData, serverPath: settings.Local.RedisServerPath);
            builder.FlushCacheAfterDatabaseRestore(local.Resource.PrimaryEndpoint, password);
            return local.WithRedisContract(local.Resource.PrimaryEndpoint, password);
        }

        var container = builder.AddRedis(name, settings.RedisPort, password)
            .WithImageTag(settings.RedisVersion)
            .WithEndpoint("tcp", e => e.IsExternal = settings.HostPorts)
            .WithHealthCheckShellCommand("redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping | grep PONG")
            .WithHealthCheckTiming(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), retries: 5);
        if (builder.ExecutionContext.IsPublishMode && settings.PersistentData) container.WithDataVolume($"{name}_data");
        else if (builder.ExecutionContext.IsPublishMode) container.WithVolume("/data");
        else if (settings.PersistentData) container.WithDataVolume();
        return container.WithRedisContract(container.Resource.PrimaryEndpoint, password);
    }

    /// <summary>
    /// Serves the app as this environment says (port, uvicorn/flask or gunicorn, workers, reload, debugpy); the port is
    /// reachable from outside the stack when <paramref name="hostPort"/>. A reloading server is deployed with its live source.
    /// </summary>
    public static IResourceBuilder<T> WithServer<T>(this IResourceBuilder<T> builder, ServerSettings server, bool hostPort) where T : PythonAppResource
    {
        builder.WithEndpoint("http", e => { e.Port = server.Port; e.IsExternal = hostPort; });
        if (server.Gunicorn) builder.WithGunicorn(server.Workers);
        if (server.Debug) builder.WithDebugpy();
        if (server.Reload && builder.ApplicationBuilder.ExecutionContext.IsPublishMode) builder.WithLiveSource(builder.Resource.AppDirectory, ImageWorkingDirectory);
        return builder.WithReload(server.Reload).WithWebHealthTiming();
    }

    /// <summary>
    /// Testing only: runs the services' live pytest suite against the running stack once api, app and scheduler
    /// are healthy (run mode, and the published test override); its exit code is pytest's; never restarted.
    /// </summary>
    public static void AddTestRunner(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings, params IResourceBuilder<IResource>[] stack)
    {
        if (!settings.TestRunner) return;

        var runner = builder.AddPythonModule("test-runner", settings.ServicesDirectory, "pytest")
            .WithArgs(settings.TestRunnerArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .WithServiceDefaults()
            .WithRestartPolicy(RestartPolicy.No);
        if (settings.ExitWithTestRunner) runner.WithApplicationExitOnCompletion();
        foreach (var service in stack)
        {
            runner.WithReferenceRelationship(service).WaitFor(service);
        }
    }

    /// <summary>Publish is always Containers; Auto asks the container runtime once.</summary>
    private static InfrastructureMode ResolveInfrastructure(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings)
    {
        if (builder.ExecutionContext.IsPublishMode) return InfrastructureMode.Containers;
        return settings.Infrastructure switch
        {
            InfrastructureMode.Auto => s_autoMode ??= ContainerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local,
            var mode => mode,
        };
    }

    private static InfrastructureMode? s_autoMode;

    private static bool ContainerRuntimeAnswers()
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (process is null) continue;
                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0) return true;
                if (!process.HasExited) process.Kill();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }
        return false;
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
}
