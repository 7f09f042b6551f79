using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost;

/// <summary>The wiring behind Program.cs: environment data, infrastructure mode and the services' contract.</summary>
internal static class Extensions
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
        builder.Configuration.AddEnvFile(builder.AppHostDirectory, environment);
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
                    settings.PostgresPort, inMemory: !settings.PersistentData, binDirectory: settings.Local.PostgresBinDirectory)
                .WithDatabase(settings.Database);
            return local.WithPostgresContract(local.Resource.PrimaryEndpoint, password, settings.Database);
        }

        var container = builder.AddPostgres(name, password: password, port: settings.PostgresPort)
            .WithEnvironment("POSTGRES_DB", settings.Database);
        // Publish: an explicit name keeps the manifest and the compose files machine-independent.
        if (builder.ExecutionContext.IsPublishMode) container.WithDataVolume("postgres_data");
        else if (settings.PersistentData) container.WithDataVolume();
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
            return local.WithRedisContract(local.Resource.PrimaryEndpoint, password);
        }

        var container = builder.AddRedis(name, settings.RedisPort, password);
        if (builder.ExecutionContext.IsPublishMode) container.WithDataVolume("redis_data");
        else if (settings.PersistentData) container.WithDataVolume();
        return container.WithRedisContract(container.Resource.PrimaryEndpoint, password);
    }

    /// <summary>Serves the app as this environment says (port, uvicorn/flask or gunicorn, workers, reload, debugpy).</summary>
    public static IResourceBuilder<T> WithServer<T>(this IResourceBuilder<T> builder, ServerSettings server) where T : PythonAppResource
    {
        builder.WithEndpoint("http", e => e.Port = server.Port);
        if (server.Gunicorn) builder.WithGunicorn(server.Workers);
        if (server.Debug) builder.WithDebugpy();
        return builder.WithReload(server.Reload);
    }

    /// <summary>The api's contract: FASTAPI_HOST/PORT/PROTOCOL and the shared API key.</summary>
    public static IResourceBuilder<T> WithApiSecretKey<T>(this IResourceBuilder<T> builder, IResourceBuilder<ParameterResource> key) where T : PythonAppResource
    {
        var http = builder.Resource.GetEndpoint("http");
        return builder.WithEnvironment("API_SECRET_KEY", key)
            .WithServiceContract(env =>
            {
                env["FASTAPI_PROTOCOL"] = "http";
                env["FASTAPI_HOST"] = http.Property(EndpointProperty.Host);
                env["FASTAPI_PORT"] = http.Property(EndpointProperty.Port);
                env["API_SECRET_KEY"] = key.Resource;
            });
    }

    /// <summary>The app's contract (FLASK_HOST/PORT) and its session secret.</summary>
    public static IResourceBuilder<PythonAppResource> WithFlaskSecretKey(this IResourceBuilder<PythonAppResource> builder, IResourceBuilder<ParameterResource> key)
    {
        var http = builder.Resource.GetEndpoint("http");
        return builder.WithEnvironment("FLASK_SECRET_KEY", key)
            .WithServiceContract(env =>
            {
                env["FLASK_HOST"] = http.Property(EndpointProperty.Host);
                env["FLASK_PORT"] = http.Property(EndpointProperty.Port);
            });
    }

    /// <summary>The scheduler's liveness endpoint (SCHEDULER_HEALTH_HOST/PORT) and job interval.</summary>
    public static IResourceBuilder<PythonAppResource> WithSchedulerHealth(this IResourceBuilder<PythonAppResource> builder, IchrisbirchSettings settings, int containerPort = 8100)
    {
        var publish = builder.ApplicationBuilder.ExecutionContext.IsPublishMode;
        builder.WithHttpEndpoint(targetPort: publish ? containerPort : null, name: "http", env: "SCHEDULER_HEALTH_PORT")
               .WithEnvironment("SCHEDULER_HEALTH_HOST", publish ? "0.0.0.0" : "127.0.0.1");
        if (settings.SchedulerIntervalSeconds is { } seconds)
        {
            builder.WithEnvironment("SCHEDULER_DECREASE_TASK_PRIORITY_SECONDS", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var http = builder.Resource.GetEndpoint("http");
        return builder.WithServiceContract(env =>
        {
            env["SCHEDULER_HEALTH_HOST"] = http.Property(EndpointProperty.Host);
            env["SCHEDULER_HEALTH_PORT"] = http.Property(EndpointProperty.Port);
        });
    }

    /// <summary>
    /// Testing only: runs the services' live pytest suite against the running stack once api, app and scheduler
    /// are healthy, as the compose test override's test-runner did; its exit code is pytest's.
    /// </summary>
    public static void AddTestRunner(this IDistributedApplicationBuilder builder, IchrisbirchSettings settings, params IResourceBuilder<IResource>[] stack)
    {
        if (!settings.TestRunner || !builder.ExecutionContext.IsRunMode) return;

        var runner = builder.AddPythonModule("test-runner", settings.ServicesDirectory, "pytest")
            .WithArgs(settings.TestRunnerArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .WithServiceDefaults()
            .WithRestartPolicy(RestartPolicy.No);
        foreach (var service in stack)
        {
            runner.WithReferenceRelationship(service).WaitFor(service);
        }
    }

    private static IResourceBuilder<T> WithPostgresContract<T>(this IResourceBuilder<T> builder, EndpointReference endpoint, IResourceBuilder<ParameterResource> password, string database)
        where T : IResource
        => builder.WithServiceContract(env =>
        {
            env["POSTGRES_HOST"] = endpoint.Property(EndpointProperty.Host);
            env["POSTGRES_PORT"] = endpoint.Property(EndpointProperty.Port);
            env["POSTGRES_DB"] = database;
            env["POSTGRES_USERNAME"] = "postgres";
            env["POSTGRES_PASSWORD"] = password.Resource;
        });

    private static IResourceBuilder<T> WithRedisContract<T>(this IResourceBuilder<T> builder, EndpointReference endpoint, IResourceBuilder<ParameterResource> password)
        where T : IResource
        => builder.WithServiceContract(env =>
        {
            env["REDIS_HOST"] = endpoint.Property(EndpointProperty.Host);
            env["REDIS_PORT"] = endpoint.Property(EndpointProperty.Port);
            env["REDIS_PASSWORD"] = password.Resource;
        });

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
